import { type FreezeInput, Optimizer, type StartStudyInput, type StudyArm, type StudyQuery } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { type FlagsByField, withFlagErrors } from "../flag-errors.ts";
import { fixed, print, printJson, status, table } from "../output.ts";
import { decimal, decimals, freeze, integer, integers, list, oneOf, studyArms } from "../parse.ts";
import { resolveDataset, resolveModel } from "../resolve.ts";
import { studyCsv } from "../study-export.ts";

interface StartOptions {
  name: string;
  base: string[];
  dataset: string;
  fractions: number[];
  arms: StudyArm[];
  seeds: number[];
  epochs: number;
  batchSize?: number;
  optimizer?: Optimizer;
  lr?: number;
  freeze?: FreezeInput;
  hiddenUnits?: number;
  dropout?: number;
  validationSplit?: number;
  maxSamples?: number;
  featureLayer?: string;
  inputSize?: number;
  pool?: string;
}

const FLAGS: FlagsByField = {
  "input.name": "--name",
  "input.epochs": "--epochs",
  "input.fineTune.batchSize": "--batch-size",
  "input.fineTune.learningRate": "--lr",
  "input.fineTune.head.hiddenUnits": "--hidden-units",
  "input.fineTune.head.dropout": "--dropout",
  "input.fineTune.validationSplit": "--validation-split",
  "input.fineTune.maxSamples": "--max-samples",
  "input.fineTune.featureLayer": "--feature-layer",
  "input.fineTune.inputSize": "--input-size",
};

type StudyView = NonNullable<StudyQuery["study"]>;

const pct = (f: number) => `${Number((f * 100).toPrecision(3))}%`;
const armName = (arm: string) => arm.toLowerCase().replaceAll("_", "-");

function printStudy(study: StudyView): void {
  const done = study.runs.filter((r) => r.status === "SUCCEEDED").length;
  print(`Study ${study.name} (${study.id}): ${status(study.status)}, ${done}/${study.runs.length} runs succeeded`);
  print(
    `${study.baseModels.map((m) => m.name).join(", ")} on ${study.dataset.name}; fractions ${study.fractions.map(pct).join(", ")}; ` +
      `arms ${study.arms.map(armName).join(", ")}; seeds ${study.seeds.join(", ")}; ${study.epochs} epochs`,
  );
  print(`Target accuracy: ${fixed(study.targetAccuracy)}`);
  print(
    table(
      ["BASE", "ARM", "FRACTION", "SAMPLES", "SEEDS", "MEAN ACC", "STD", "MEAN S", "EPOCHS TO TARGET", "S TO TARGET"],
      study.cells.map((c) => [
        c.baseModel.name,
        armName(c.arm),
        pct(c.fraction),
        String(c.samples),
        `${c.seeds}/${c.runs}`,
        fixed(c.meanAccuracy),
        fixed(c.stdAccuracy),
        fixed(c.meanSeconds, 1),
        c.epochsToTarget === null || c.epochsToTarget === undefined
          ? "-"
          : `${fixed(c.epochsToTarget, 1)} (${c.reachedTarget}/${c.seeds})`,
        fixed(c.secondsToTarget, 1),
      ]),
    ),
  );
}

export function studyCommand(program: Command): void {
  const study = program.command("study").description("data-efficiency studies: bases x fractions x arms x seeds");

  study
    .command("start")
    .description("start a study: one run per base, data fraction, arm and seed")
    .requiredOption("--name <name>", "study name")
    .requiredOption("--base <models>", "base model names or ids (comma-separated)", list)
    .requiredOption("--dataset <dataset>", "dataset name or id")
    .option("--fractions <list>", "shares of the training split, in (0, 1]", decimals, [0.01, 0.1, 1])
    .option("--arms <list>", "fine-tune, scratch, linear-probe", studyArms, ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"])
    .option("--seeds <list>", "seeds (each run's split and initialization)", integers, [1, 2])
    .option("--epochs <n>", "epochs", integer(), 5)
    .option("--batch-size <n>", "batch size", integer())
    .option(
      "--optimizer <name>",
      "optimizer of every arm",
      oneOf(Object.values(Optimizer), (v) => v.toUpperCase()),
    )
    .option("--lr <rate>", "learning rate (default: the base's measured default)", decimal())
    .option("--freeze <spec>", "the fine-tune arm: all (default), none or first:N", freeze)
    .option("--hidden-units <n>", "hidden dense units in the fine-tune arm's head", integer())
    .option("--dropout <p>", "dropout before the classifier", decimal())
    .option("--validation-split <f>", "share of samples held out (the same validation set for every cell)", decimal())
    .option("--max-samples <n>", "cap on the dataset before the split", integer())
    .option("--feature-layer <name>", "layer to cut the base at")
    .option(
      "--input-size <px>",
      "every arm trains at px x px images (multiple of 32, e.g. 64 for mobilenet-v2)",
      integer(),
    )
    .option("--pool <pool>", "trainer pool")
    .action(async (opts: StartOptions, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const [bases, dataset] = await Promise.all([
        Promise.all(opts.base.map((b) => resolveModel(client, b))),
        resolveDataset(client, opts.dataset),
      ]);
      const wrong = bases.find((b) => b.task !== dataset.task);
      if (wrong)
        throw new UsageError(
          `${wrong.name} is a ${wrong.task} model but ${dataset.name} is a ${dataset.task} dataset`,
          "dataset",
        );
      const input: StartStudyInput = {
        name: opts.name,
        baseModelIds: bases.map((b) => b.id),
        datasetId: dataset.id,
        fractions: opts.fractions,
        arms: opts.arms,
        seeds: opts.seeds,
        epochs: opts.epochs,
        pool: opts.pool,
        fineTune: {
          batchSize: opts.batchSize,
          optimizer: opts.optimizer,
          learningRate: opts.lr,
          freeze: opts.freeze,
          head:
            opts.hiddenUnits !== undefined || opts.dropout !== undefined
              ? { hiddenUnits: opts.hiddenUnits, dropout: opts.dropout }
              : undefined,
          validationSplit: opts.validationSplit,
          maxSamples: opts.maxSamples,
          featureLayer: opts.featureLayer,
          inputSize: opts.inputSize,
        },
      };
      const started = await withFlagErrors(FLAGS, () => client.startStudy(input));
      if (ctx.json) return printJson(started);
      const runs = bases.length * opts.fractions.length * opts.arms.length * opts.seeds.length;
      print(`Started study ${started.name} (${started.id}): ${runs} runs (graft study show ${started.id})`);
    });

  study
    .command("show <id>")
    .description("a study's table: accuracy, spread, time and epochs to target per base, arm and fraction")
    .option("--target <accuracy>", "target accuracy (default 0.9 x the best final accuracy)", decimal(0, 1))
    .action(async (id: string, opts: { target?: number }, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.client().study(id, { targetAccuracy: opts.target });
      if (!found) throw new UsageError(`no study ${id}`, "id");
      if (ctx.json) return printJson(found);
      printStudy(found);
    });

  study
    .command("list")
    .description("the project's studies, newest first")
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const items = await ctx.client().studies();
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "STATUS", "DATASET", "BASES", "FRACTIONS", "SEEDS"],
          items.map((s) => [
            s.id,
            s.name,
            status(s.status),
            s.dataset.name,
            s.baseModels.map((m) => m.name).join(","),
            s.fractions.map(pct).join(","),
            String(s.seeds.length),
          ]),
        ),
      );
    });

  study
    .command("export <id>")
    .description("a study's cells (and, as JSON, its runs and curve) on stdout")
    .option(
      "--format <format>",
      "json or csv",
      oneOf(["json", "csv"], (v) => v.toLowerCase()),
      "json",
    )
    .option("--target <accuracy>", "target accuracy (default 0.9 x the best final accuracy)", decimal(0, 1))
    .action(async (id: string, opts: { format: "json" | "csv"; target?: number }, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.client().study(id, { targetAccuracy: opts.target });
      if (!found) throw new UsageError(`no study ${id}`, "id");
      if (opts.format === "json") return printJson(found);
      print(studyCsv(found.cells));
    });
}

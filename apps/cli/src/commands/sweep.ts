import {
  type FloatParamInput,
  type IntParamInput,
  type MetricName,
  Optimizer,
  type StartSweepInput,
  type SweepQuery,
  SweepScale,
  type SweepSpaceInput,
} from "@graft/client";
import type { Command, InvalidArgumentError } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { type FlagsByField, withFlagErrors } from "../flag-errors.ts";
import { fixed, paramsText, print, printJson, status, table } from "../output.ts";
import { decimal, freeze, integer, list, oneOf } from "../parse.ts";
import { resolveDataset, resolveModel } from "../resolve.ts";

interface StartOptions {
  name: string;
  base: string;
  dataset: string;
  method: "GRID" | "RANDOM";
  seed?: number;
  epochs: number;
  maxTrials?: number;
  maxConcurrent?: number;
  metric?: MetricName;
  asha: boolean;
  eta?: number;
  minEpochs?: number;
  lr?: FloatParamInput;
  hiddenUnits?: IntParamInput;
  dropout?: FloatParamInput;
  batchSize?: IntParamInput;
  optimizer?: Optimizer[];
  freeze?: string[];
  featureLayer?: string[];
  maxSamples?: number;
  validationSplit?: number;
  pool?: string;
}

const SPACE_FLAGS: Record<string, string> = {
  learningRate: "--lr",
  hiddenUnits: "--hidden-units",
  dropout: "--dropout",
  batchSize: "--batch-size",
  optimizer: "--optimizer",
  freeze: "--freeze",
  featureLayer: "--feature-layer",
};

/**
 * The gateway names a swept parameter as `input.space.<name>[.values|.min|.max]`, and a value
 * one trial's fine-tune refuses as that fine-tune's field (`input.learningRate`): both are the
 * parameter's flag.
 */
const FLAGS: FlagsByField = {
  "input.name": "--name",
  "input.maxEpochs": "--epochs",
  "input.maxTrials": "--max-trials",
  "input.maxConcurrentTrials": "--max-concurrent",
  "input.seed": "--seed",
  "input.asha.reductionFactor": "--eta",
  "input.asha.minEpochs": "--min-epochs",
  "input.fineTune.maxSamples": "--max-samples",
  "input.fineTune.validationSplit": "--validation-split",
  "input.maxSamples": "--max-samples",
  "input.validationSplit": "--validation-split",
  "input.batchSize": "--batch-size",
  "input.learningRate": "--lr",
  "input.optimizer": "--optimizer",
  "input.featureLayer": "--feature-layer",
  "input.freeze.strategy": "--freeze",
  "input.freeze.layers": "--freeze",
  "input.head.hiddenUnits": "--hidden-units",
  "input.head.dropout": "--dropout",
  ...Object.fromEntries(
    Object.entries(SPACE_FLAGS).flatMap(([name, flag]) =>
      ["", ".values", ".min", ".max"].map((part) => [`input.space.${name}${part}`, flag]),
    ),
  ),
};

/** `0.1,0.01` (values), `1e-5:1e-2` (a range) or `1e-5:1e-2:log` (log-uniform). */
function floatParam(value: string): FloatParamInput {
  const range = /^([^:]+):([^:]+)(?::(log|linear))?$/i.exec(value.trim());
  if (range)
    return {
      min: decimal()(range[1] as string),
      max: decimal()(range[2] as string),
      scale: range[3]?.toLowerCase() === "log" ? SweepScale.Log : SweepScale.Linear,
    };
  return { values: list(value).map((v) => decimal()(v)) };
}

/** `0,64,128` (values) or `16:256` (a range, RANDOM). */
function intParam(value: string): IntParamInput {
  const range = /^([^:]+):([^:]+)$/.exec(value.trim());
  if (range) return { min: integer()(range[1] as string), max: integer()(range[2] as string) };
  return { values: list(value).map((v) => integer()(v)) };
}

function optimizers(value: string): Optimizer[] {
  return list(value).map((v) => oneOf(Object.values(Optimizer), (s) => s.toUpperCase())(v));
}

type SweepView = NonNullable<SweepQuery["sweep"]>;

function printSweep(sweep: SweepView): void {
  const launched = sweep.trials.filter((t) => t.run).length;
  print(
    `Sweep ${sweep.name} (${sweep.id}): ${status(sweep.status)}, ${sweep.method} ${launched}/${sweep.trialCount} trials launched, ` +
      `at most ${sweep.maxConcurrentTrials} at once`,
  );
  print(
    `${sweep.baseModel.name} on ${sweep.dataset.name}; ${sweep.metric} (${sweep.goal.toLowerCase()}); ${sweep.maxEpochs} epochs; ` +
      (sweep.reductionFactor
        ? `ASHA eta ${sweep.reductionFactor}, rungs at epochs ${sweep.rungs.join(", ") || "-"}`
        : "no early stopping"),
  );
  print(
    table(
      ["TRIAL", "PARAMS", "RUN", "STATUS", "RUNG", "METRIC", "NOTE"],
      sweep.trials.map((t) => [
        String(t.index + 1),
        paramsText(t.params),
        t.run?.id ?? "-",
        t.run ? status(t.run.status) : "waiting",
        String(t.rungReached),
        fixed(t.metric),
        t.stoppedEarly ? `EARLY_STOPPED: stopped at epoch ${t.stoppedAtRung}` : "",
      ]),
    ),
  );
  const best = sweep.bestTrial;
  if (best)
    print(
      `Best: trial ${best.index + 1} (${paramsText(best.params)}), ${sweep.metric} ${fixed(best.metric)}` +
        (sweep.bestModel ? `; model ${sweep.bestModel.name} (${sweep.bestModel.id})` : ""),
    );
}

export function sweepCommand(program: Command): void {
  const sweep = program.command("sweep").description("hyperparameter sweeps with ASHA early stopping");

  sweep
    .command("start")
    .description("start a sweep: grid or seeded random search over the given parameters")
    .requiredOption("--name <name>", "sweep name")
    .requiredOption("--base <model>", "base model name or id")
    .requiredOption("--dataset <dataset>", "dataset name or id")
    .option(
      "--method <method>",
      "grid or random",
      oneOf(["GRID", "RANDOM"] as const, (v) => v.toUpperCase()),
      "GRID",
    )
    .option("--seed <n>", "seed of the random draws", integer(0))
    .option("--epochs <n>", "epochs of a trial that is not stopped", integer(), 5)
    .option("--max-trials <n>", "trials (random); the cap on grid points (grid)", integer())
    .option("--max-concurrent <n>", "trials running at once", integer())
    .option(
      "--metric <name>",
      "metric trials are judged by",
      oneOf(["valAccuracy", "valLoss", "accuracy", "loss"] as const),
    )
    .option("--no-asha", "run every trial to the last epoch")
    .option("--eta <n>", "ASHA reduction factor: keep the top 1/eta at each rung", integer())
    .option("--min-epochs <n>", "ASHA's first rung", integer())
    .option("--lr <space>", "learning rates: 0.01,0.001 or 1e-5:1e-2:log", floatParam)
    .option("--hidden-units <space>", "hidden units: 0,64,128 or 16:256", intParam)
    .option("--dropout <space>", "dropout: 0,0.5 or 0:0.5", floatParam)
    .option("--batch-size <space>", "batch sizes: 16,32", intParam)
    .option("--optimizer <list>", "optimizers: adam,sgd", optimizers)
    .option("--freeze <list>", "freeze strategies: all,none,first:N", list)
    .option("--feature-layer <list>", "layers to cut the base at", list)
    .option("--max-samples <n>", "cap on the dataset before the split (every trial)", integer())
    .option("--validation-split <f>", "share of samples held out (every trial)", decimal())
    .option("--pool <pool>", "trainer pool")
    .action(async (opts: StartOptions, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const [base, dataset] = await Promise.all([
        resolveModel(client, opts.base),
        resolveDataset(client, opts.dataset),
      ]);
      let freezes: SweepSpaceInput["freeze"];
      try {
        freezes = opts.freeze?.map(freeze);
      } catch (error) {
        throw new UsageError(`--freeze: ${(error as InvalidArgumentError).message}`, "freeze");
      }
      const input: StartSweepInput = {
        name: opts.name,
        baseModelId: base.id,
        datasetId: dataset.id,
        method: opts.method,
        seed: opts.seed,
        maxEpochs: opts.epochs,
        maxTrials: opts.maxTrials,
        maxConcurrentTrials: opts.maxConcurrent,
        metric: opts.metric,
        asha: opts.asha ? { reductionFactor: opts.eta, minEpochs: opts.minEpochs } : null,
        pool: opts.pool,
        space: {
          learningRate: opts.lr,
          hiddenUnits: opts.hiddenUnits,
          dropout: opts.dropout,
          batchSize: opts.batchSize,
          optimizer: opts.optimizer,
          freeze: freezes,
          featureLayer: opts.featureLayer,
        },
        fineTune: { maxSamples: opts.maxSamples, validationSplit: opts.validationSplit },
      };
      const started = await withFlagErrors(FLAGS, () => client.startSweep(input));
      if (ctx.json) return printJson(started);
      print(
        `Started sweep ${started.name} (${started.id}): ${started.trialCount} trials (graft sweep show ${started.id})`,
      );
    });

  sweep
    .command("show <id>")
    .description("a sweep's trials: parameters, run, rung reached, metric; and its best trial")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const found = await ctx.client().sweep(id);
      if (!found) throw new UsageError(`no sweep ${id}`, "id");
      if (ctx.json) return printJson(found);
      printSweep(found);
    });

  sweep
    .command("cancel <id>")
    .description("stop a running sweep: no more trials start, the active ones are cancelled")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const cancelled = await ctx.client().cancelSweep(id);
      if (ctx.json) return printJson(cancelled);
      print(`Sweep ${cancelled.name} (${cancelled.id}): ${status(cancelled.status)}`);
    });

  sweep
    .command("list")
    .description("the project's sweeps, newest first")
    .action(async (_opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const items = await ctx.client().sweeps();
      if (ctx.json) return printJson(items);
      print(
        table(
          ["ID", "NAME", "STATUS", "METHOD", "BASE", "DATASET", "TRIALS", "BEST"],
          items.map((s) => [
            s.id,
            s.name,
            status(s.status),
            s.method,
            s.baseModel.name,
            s.dataset.name,
            String(s.trialCount),
            s.bestTrial ? `trial ${s.bestTrial.index + 1}: ${fixed(s.bestTrial.metric)}` : "-",
          ]),
        ),
      );
    });
}

import { type ControlKind, type FreezeInput, MetricName, Optimizer, type StartFineTuneInput } from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { type FlagsByField, withFlagErrors } from "../flag-errors.ts";
import { paint, print, printJson, printJsonLine } from "../output.ts";
import { controls, decimal, freeze, integer, oneOf } from "../parse.ts";
import { resolveDataset, resolveExperimentId, resolveModel } from "../resolve.ts";
import { watchRun } from "../watch.ts";

interface FinetuneOptions {
  base: string;
  dataset: string;
  name?: string;
  epochs: number;
  batchSize?: number;
  optimizer?: Optimizer;
  lr?: number;
  freeze?: FreezeInput;
  hiddenUnits?: number;
  dropout?: number;
  earlyStopping?: number | true;
  monitor?: MetricName;
  validationSplit?: number;
  seed?: number;
  maxSamples?: number;
  featureLayer?: string;
  controls?: ControlKind[];
  scratch?: boolean;
  keepCheckpoints?: number;
  inputSize?: number;
  pool?: string;
  experiment?: string;
  watch?: boolean;
}

// The flags whose ranges the gateway checks (hyperparameters schema); its BAD_USER_INPUT on
// one of these fields is a usage error naming the flag. Cross-field refusals (a validation
// metric without a validation split) stay API errors: no single flag is wrong.
const FLAGS: FlagsByField = {
  "input.epochs": "--epochs",
  "input.batchSize": "--batch-size",
  "input.learningRate": "--lr",
  "input.head.hiddenUnits": "--hidden-units",
  "input.head.dropout": "--dropout",
  "input.earlyStopping.patience": "--early-stopping",
  "input.validationSplit": "--validation-split",
  "input.seed": "--seed",
  "input.maxSamples": "--max-samples",
  "input.featureLayer": "--feature-layer",
  "input.controls": "--controls",
  "input.keepCheckpoints": "--keep-checkpoints",
  "input.inputSize": "--input-size",
};

export function finetuneCommand(program: Command): void {
  program
    .command("finetune")
    .description("start a fine-tune of a base model on a dataset (names or ids)")
    .requiredOption("--base <model>", "base model name or id")
    .requiredOption("--dataset <dataset>", "dataset name or id")
    .option("--name <name>", "run name")
    .option("--epochs <n>", "epochs", integer(), 5)
    .option("--batch-size <n>", "batch size", integer())
    .option(
      "--optimizer <name>",
      Object.values(Optimizer)
        .map((o) => o.toLowerCase())
        .join(", "),
      oneOf(Object.values(Optimizer), (v) => v.toUpperCase()),
    )
    .option("--lr <rate>", "learning rate (default: the base's measured default, see `graft models layers`)", decimal())
    .option("--freeze <spec>", "all (default), none or first:N", freeze)
    .option("--hidden-units <n>", "hidden dense units in the new head (0 = none; default: the base's)", integer())
    .option("--dropout <p>", "dropout before the classifier", decimal())
    .option("--early-stopping [patience]", "stop after <patience> epochs without improvement (default 3)", integer())
    .option("--monitor <metric>", "metric early stopping watches", oneOf(Object.values(MetricName)))
    .option("--validation-split <f>", "share of samples held out", decimal())
    .option("--seed <n>", "random seed", integer())
    .option("--max-samples <n>", "cap on training samples (stratified)", integer())
    .option("--feature-layer <name>", "layer to cut the base at (candidates: `graft models layers <base>`)")
    .option(
      "--controls <kinds>",
      "control runs on the same split and seed: scratch, linear-probe (comma-separated)",
      controls,
    )
    .option("--scratch", "train the base's architecture from re-initialized weights (needs --freeze none)")
    .option(
      "--keep-checkpoints <k>",
      "keep the last k epochs' checkpoints after the run, to fork from (`graft runs fork`)",
      integer(),
    )
    .option(
      "--input-size <px>",
      "train at px x px images (multiple of 32; bases pooled over the image, e.g. mobilenet-v2)",
      integer(),
    )
    .option("--pool <pool>", "trainer pool")
    .option("--experiment <experiment>", "experiment name or id")
    .option("--watch", "follow the run to its end (exit 1 if it fails)")
    .action(async (opts: FinetuneOptions, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const [base, dataset, experimentId] = await Promise.all([
        resolveModel(client, opts.base),
        resolveDataset(client, opts.dataset),
        opts.experiment ? resolveExperimentId(client, opts.experiment) : undefined,
      ]);
      // A base reads one kind of data; say so before the gateway has to.
      if (base.task !== dataset.task)
        throw new UsageError(
          `${base.name} is a ${base.task} model but ${dataset.name} is a ${dataset.task} dataset`,
          "dataset",
        );
      const input: StartFineTuneInput = {
        baseModelId: base.id,
        datasetId: dataset.id,
        experimentId,
        name: opts.name,
        pool: opts.pool,
        epochs: opts.epochs,
        batchSize: opts.batchSize,
        optimizer: opts.optimizer,
        learningRate: opts.lr,
        freeze: opts.freeze,
        head:
          opts.hiddenUnits !== undefined || opts.dropout !== undefined
            ? { hiddenUnits: opts.hiddenUnits, dropout: opts.dropout }
            : undefined,
        earlyStopping:
          opts.earlyStopping !== undefined
            ? { patience: opts.earlyStopping === true ? 3 : opts.earlyStopping, monitor: opts.monitor }
            : undefined,
        validationSplit: opts.validationSplit,
        seed: opts.seed,
        maxSamples: opts.maxSamples,
        featureLayer: opts.featureLayer,
        initialization: opts.scratch ? "SCRATCH" : undefined,
        controls: opts.controls,
        keepCheckpoints: opts.keepCheckpoints,
        inputSize: opts.inputSize,
      };
      const run = await withFlagErrors(FLAGS, () => client.startFineTune(input));
      if (!opts.watch) {
        if (ctx.json) return printJson(run);
        return print(
          `Started run ${run.id} (${run.status}): ${base.name} on ${dataset.name} (${taskName(base.task)}), ${run.hyperparameters.epochs} epochs` +
            (opts.controls?.length ? `, with ${opts.controls.length} control run(s) (graft runs show ${run.id})` : ""),
        );
      }
      if (!ctx.json)
        print(`Started run ${paint(run.id, "bold")}: ${base.name} on ${dataset.name} (${taskName(base.task)})`);
      const final = await watchRun(client, run.id, { json: ctx.json });
      if (ctx.json) return printJsonLine({ type: "result", run: final });
      print(`Output model: ${final.outputModel ? `${final.outputModel.name} (${final.outputModel.id})` : "-"}`);
    });
}

const taskName = (task: string) => (task === "text-classification" ? "text" : "images");

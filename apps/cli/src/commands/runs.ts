import {
  type ForkRunInput,
  type FreezeInput,
  type RunDetail,
  RunOrderField,
  RunStatus,
  type RunSummary,
  SortDirection,
  type TransferGain,
} from "@graft/client";
import type { Command } from "commander";
import { contextOf } from "../context.ts";
import { UsageError } from "../errors.ts";
import { type FlagsByField, withFlagErrors } from "../flag-errors.ts";
import { fixed, paint, paramsText, print, printJson, printJsonLine, status, table } from "../output.ts";
import { decimal, freeze, integer, list } from "../parse.ts";
import { resolveExperimentId } from "../resolve.ts";
import { watchRun } from "../watch.ts";

const ORDERS = {
  queued: RunOrderField.QueuedAt,
  finished: RunOrderField.FinishedAt,
  "val-accuracy": RunOrderField.BestValAccuracy,
  "val-loss": RunOrderField.BestValLoss,
} as const;
const RUN_STATUSES: readonly string[] = Object.values(RunStatus);

interface ForkOptions {
  epoch: number;
  name?: string;
  epochs?: number;
  lr?: number;
  freeze?: FreezeInput;
  batchSize?: number;
  keepCheckpoints?: number;
  pool?: string;
  watch?: boolean;
}

// forkRun's BAD_USER_INPUT on one of these fields is a usage error naming the flag.
const FORK_FLAGS: FlagsByField = {
  "input.epoch": "--epoch",
  "input.epochs": "--epochs",
  "input.learningRate": "--lr",
  "input.freeze.layers": "--freeze",
  "input.batchSize": "--batch-size",
  "input.keepCheckpoints": "--keep-checkpoints",
};

const when = (iso: string | null) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");

function runRow(r: RunSummary): string[] {
  return [
    r.id,
    status(r.status),
    r.baseModel.name,
    r.dataset.name,
    r.hyperparameters.freezeStrategy,
    String(r.hyperparameters.epochs),
    fixed(r.bestEpoch?.valAccuracy),
    r.trainer?.name ?? "-",
    when(r.queuedAt),
  ];
}

export function runsCommand(program: Command): void {
  const runs = program.command("runs").description("fine-tune runs");

  runs
    .command("list")
    .description("list runs, newest first")
    .option("--status <list>", `comma-separated: ${RUN_STATUSES.join(",")}`, (v) => list(v).map((s) => s.toUpperCase()))
    .option("--experiment <experiment>", "experiment name or id")
    .option("--limit <n>", "how many", integer(1, 500), 50)
    .option("--order <field>", `${Object.keys(ORDERS).join(", ")}`, "queued")
    .action(
      async (opts: { status?: string[]; experiment?: string; limit: number; order: string }, command: Command) => {
        const ctx = contextOf(command);
        const bad = opts.status?.find((s) => !RUN_STATUSES.includes(s));
        if (bad) throw new UsageError(`unknown status ${bad}; expected ${RUN_STATUSES.join(", ")}`, "status");
        const field = ORDERS[opts.order as keyof typeof ORDERS];
        if (!field)
          throw new UsageError(`unknown order ${opts.order}; expected ${Object.keys(ORDERS).join(", ")}`, "order");
        const client = ctx.client();
        const experimentId = opts.experiment ? await resolveExperimentId(client, opts.experiment) : undefined;
        const result = await client.runs({
          filter: { status: opts.status as RunStatus[] | undefined, experimentId },
          first: opts.limit,
          orderBy: { field, direction: field === RunOrderField.BestValLoss ? SortDirection.Asc : SortDirection.Desc },
        });
        if (ctx.json) return printJson(result);
        print(
          table(
            ["ID", "STATUS", "BASE", "DATASET", "FREEZE", "EPOCHS", "BEST VAL ACC", "TRAINER", "QUEUED"],
            result.runs.map(runRow),
          ),
        );
        if (result.totalCount > result.runs.length)
          print(paint(`${result.runs.length} of ${result.totalCount} runs`, "gray"));
      },
    );

  runs
    .command("show <run>")
    .description("a run's hyperparameters, attempts, epochs, and its controls' transfer gain")
    .option("--target <accuracy>", "accuracy the speed-up is measured to (default 0.9 x the best arm's)", decimal())
    .action(async (id: string, opts: { target?: number }, command: Command) => {
      const ctx = contextOf(command);
      const run = await getRun(ctx.client(), id, opts.target);
      if (ctx.json) return printJson(run);
      printRun(run);
    });

  runs
    .command("watch <run>")
    .description("follow a run's epochs until it ends (exit 1 if it fails)")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const final = await watchRun(ctx.client(), id, { json: ctx.json });
      if (ctx.json) return printJsonLine({ type: "result", run: final });
      print(`Output model: ${final.outputModel ? `${final.outputModel.name} (${final.outputModel.id})` : "-"}`);
    });

  runs
    .command("cancel <run>")
    .description("cancel a queued or running run")
    .action(async (id: string, _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      const run = await ctx.client().cancelRun(id);
      if (ctx.json) return printJson(run);
      print(`Run ${run.id}: ${status(run.status)}`);
    });

  runs
    .command("fork <run>")
    .description("start a run from a run's kept checkpoint after an epoch (see --keep-checkpoints)")
    .requiredOption("--epoch <k>", "the epoch whose weights the fork starts from", integer(1))
    .option("--name <name>", "run name (default: the parent's, with the epoch)")
    .option("--epochs <n>", "epochs the fork trains (default: the parent's)", integer())
    .option("--lr <rate>", "learning rate (default: the parent's)", decimal())
    .option("--freeze <spec>", "all, none or first:N (default: the parent's)", freeze)
    .option("--batch-size <n>", "batch size (default: the parent's)", integer())
    .option("--keep-checkpoints <k>", "keep the fork's last k epoch checkpoints", integer())
    .option("--pool <pool>", "trainer pool (default: the parent's)")
    .option("--watch", "follow the fork to its end (exit 1 if it fails)")
    .action(async (id: string, opts: ForkOptions, command: Command) => {
      const ctx = contextOf(command);
      const client = ctx.client();
      const input: ForkRunInput = {
        runId: id,
        epoch: opts.epoch,
        name: opts.name,
        pool: opts.pool,
        epochs: opts.epochs,
        learningRate: opts.lr,
        freeze: opts.freeze,
        batchSize: opts.batchSize,
        keepCheckpoints: opts.keepCheckpoints,
      };
      const run = await withFlagErrors(FORK_FLAGS, () => client.forkRun(input));
      if (!opts.watch) {
        if (ctx.json) return printJson(run);
        return print(`Started run ${run.id} (${run.status}): a fork of ${id} at epoch ${opts.epoch}`);
      }
      if (!ctx.json) print(`Started run ${paint(run.id, "bold")}: a fork of ${id} at epoch ${opts.epoch}`);
      const final = await watchRun(client, run.id, { json: ctx.json });
      if (ctx.json) return printJsonLine({ type: "result", run: final });
      print(`Output model: ${final.outputModel ? `${final.outputModel.name} (${final.outputModel.id})` : "-"}`);
    });

  runs
    .command("compare <runs...>")
    .description("runs side by side: hyperparameters and best epoch")
    .action(async (ids: string[], _opts: unknown, command: Command) => {
      const ctx = contextOf(command);
      if (ids.length < 2) throw new UsageError("compare needs at least two run ids", "runs");
      const client = ctx.client();
      const items = await Promise.all(ids.map((id) => getRun(client, id)));
      if (ctx.json) return printJson(items);
      const rows: [string, (r: RunDetail) => string][] = [
        ["status", (r) => status(r.status)],
        ["base", (r) => r.baseModel.name],
        ["dataset", (r) => r.dataset.name],
        ["epochs", (r) => String(r.hyperparameters.epochs)],
        ["batch size", (r) => String(r.hyperparameters.batchSize)],
        ["optimizer", (r) => r.hyperparameters.optimizer],
        ["learning rate", (r) => String(r.hyperparameters.learningRate)],
        [
          "freeze",
          (r) =>
            `${r.hyperparameters.freezeStrategy}${r.hyperparameters.freezeLayers !== null ? `:${r.hyperparameters.freezeLayers}` : ""}`,
        ],
        ["training path", (r) => r.trainingPath ?? "-"],
        ["best epoch", (r) => (r.bestEpoch ? String(r.bestEpoch.epoch) : "-")],
        ["best val acc", (r) => fixed(r.bestEpoch?.valAccuracy)],
        ["best val loss", (r) => fixed(r.bestEpoch?.valLoss)],
        ["final loss", (r) => fixed(epochsOf(r).at(-1)?.loss)],
        [
          "samples/s",
          (r) =>
            epochsOf(r).length
              ? String(Math.round(epochsOf(r).reduce((s, e) => s + e.samplesPerSecond, 0) / epochsOf(r).length))
              : "-",
        ],
        ["output model", (r) => r.outputModel?.name ?? "-"],
      ];
      print(
        table(
          ["", ...items.map((r) => r.id)],
          rows.map(([label, get]) => [label, ...items.map(get)]),
        ),
      );
    });
}

// client.run() asks for every epoch; the type allows the dashboard's reduced-series variant.
const epochsOf = (run: RunDetail) => run.epochs ?? [];

async function getRun(
  client: ReturnType<ReturnType<typeof contextOf>["client"]>,
  id: string,
  targetAccuracy?: number,
): Promise<RunDetail> {
  const run = await client.run(id, targetAccuracy === undefined ? {} : { targetAccuracy });
  if (!run) throw new UsageError(`no run with id ${id}`, "run");
  return run;
}

function printRun(run: RunDetail): void {
  const hp = run.hyperparameters;
  print(`${paint(run.name ?? run.id, "bold")}  ${run.id}  ${status(run.status)}`);
  print(
    `base ${run.baseModel.name} -> dataset ${run.dataset.name}   pool ${run.pool}   trainer ${run.trainer?.name ?? "-"}`,
  );
  print(
    `epochs ${hp.epochs}  batch ${hp.batchSize}  ${hp.optimizer} lr ${hp.learningRate}  freeze ${hp.freezeStrategy}${hp.freezeLayers !== null ? `:${hp.freezeLayers}` : ""}${hp.inputSize !== null ? `  input ${hp.inputSize}x${hp.inputSize}` : ""}  path ${run.trainingPath ?? "-"}`,
  );
  print(
    `queued ${when(run.queuedAt)}  started ${when(run.startedAt)}  finished ${when(run.finishedAt)}  attempts ${run.attemptCount}`,
  );
  if (run.error) print(paint(`error ${run.error.code}: ${run.error.message}`, "red"));
  if (run.outputModel)
    print(
      `output model ${run.outputModel.name} (${run.outputModel.id})${run.outputModel.initialization === "SCRATCH" ? " re-initialized: not derived from the base's weights" : ""}`,
    );
  if (run.forkedFrom)
    print(
      `forked from ${run.forkedFrom.run.name ?? run.forkedFrom.run.id} (${run.forkedFrom.run.id}) at epoch ${run.forkedFrom.epoch}`,
    );
  for (const f of run.forks) print(`fork: ${f.id} ${status(f.status)}`);
  if (run.sweep && run.sweepTrial)
    print(
      `trial ${run.sweepTrial.index + 1} of sweep ${run.sweep.name} (${run.sweep.id}): ${paramsText(run.sweepTrial.params)}`,
    );
  if (run.forkableEpochs.length)
    print(`forkable at epochs ${run.forkableEpochs.join(", ")} (graft runs fork ${run.id} --epoch k)`);
  if (run.controlOf && run.controlKind)
    print(
      `${controlLabel(run.controlKind)} control of ${run.controlOf.name ?? run.controlOf.id} (${run.controlOf.id})`,
    );
  for (const c of run.controls) print(`control ${controlLabel(c.controlKind)}: ${c.id} ${status(c.status)}`);
  if (run.transferGain) printTransferGain(run.transferGain);
  const epochs = epochsOf(run);
  if (epochs.length) {
    print("");
    print(
      table(
        ["EPOCH", "LOSS", "ACC", "VAL LOSS", "VAL ACC", "LR", "MS", "SAMPLES/S", "ATTEMPT"],
        epochs.map((e) => [
          String(e.epoch),
          fixed(e.loss),
          fixed(e.accuracy),
          fixed(e.valLoss),
          fixed(e.valAccuracy),
          String(e.learningRate),
          String(Math.round(e.durationMs)),
          String(Math.round(e.samplesPerSecond)),
          String(e.attempt),
        ]),
      ),
    );
  }
}

const controlLabel = (kind: string | null) =>
  kind === "SCRATCH" ? "scratch" : kind === "LINEAR_PROBE" ? "linear probe" : "-";
const signed = (v: number | null) => (v === null ? "-" : `${v >= 0 ? "+" : ""}${(100 * v).toFixed(1)} pts`);
const times = (v: number | null) => (v === null ? "-" : `${v.toFixed(2)}x`);
const reached = (arm: { epochs: number | null; seconds: number | null }) =>
  arm.epochs === null ? "not reached" : `epoch ${arm.epochs} (${(arm.seconds ?? 0).toFixed(1)} s)`;

/** The transfer-gain panel of `runs show`: what pre-training bought against the controls. */
function printTransferGain(g: TransferGain): void {
  print("");
  print(paint(`transfer gain (${g.metric})${g.complete ? "" : ", controls still running"}`, "bold"));
  print(`  vs scratch at epoch ${g.finalEpoch ?? "-"}:  ${signed(g.finalDifference)}`);
  if (g.perEpoch.length)
    print(`  per epoch:              ${g.perEpoch.map((e) => `${e.epoch}: ${signed(e.difference)}`).join("  ")}`);
  const target = g.targetAccuracy === null ? "-" : fixed(g.targetAccuracy);
  print(`  to ${target}:  run ${reached(g.run)}, scratch ${reached(g.scratch)}`);
  print(`  speed-up:               ${times(g.epochSpeedup)} in epochs, ${times(g.timeSpeedup)} in seconds`);
  print(`  vs linear probe at epoch ${g.linearProbeEpoch ?? "-"}: ${signed(g.linearProbeGap)}`);
}

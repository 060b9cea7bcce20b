import { randomUUID } from "node:crypto";
import { epochCheckpointKey, forkSeedKey } from "@graft/artifacts";
import {
  ACTIVE_RUN_STATUSES,
  CONTROL_KINDS,
  type ControlKind,
  encodeMessage,
  findJobSeq,
  type Hyperparameters,
  hyperparametersSchema,
  JOBS_STREAM,
  runControlSubject,
} from "@graft/contracts";
import { type Db, type ProjectScope, runs } from "@graft/db";
import { jetstreamManager } from "@nats-io/jetstream";
import { and, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { checkFineTunable, checkResizable } from "../compatibility.ts";
import type { DomainDeps, RunStatusNotice } from "../deps.ts";
import { BadUserInputError, ConflictError } from "../errors.ts";
import { fineTuneDefaultsOf } from "../fine-tune-defaults.ts";
import { fineTuneSources } from "../fine-tune-sources.ts";
import { checkName, checkPool, parseInput } from "../input.ts";
import { insertQueuedRuns } from "../job-outbox.ts";
import type { DatasetRow, ModelRow, RunRow } from "../rows.ts";
import type { RunQueries } from "../runs.ts";

export interface StartFineTuneInput {
  baseModelId: string;
  datasetId: string;
  experimentId?: string | null;
  name?: string | null;
  pool?: string | null;
  epochs: number;
  batchSize?: number | null;
  optimizer?: string | null;
  learningRate?: number | null;
  freeze?: { strategy: string; layers?: number | null } | null;
  head?: { hiddenUnits?: number | null; dropout?: number | null } | null;
  unfreezeSchedule?: readonly { epoch: number; layers: number }[] | null;
  earlyStopping?: { monitor?: string | null; patience?: number | null; minDelta?: number | null } | null;
  validationSplit?: number | null;
  seed?: number | null;
  maxSamples?: number | null;
  trainFraction?: number | null;
  featureLayer?: string | null;
  initialization?: string | null;
  controls?: readonly string[] | null;
  keepCheckpoints?: number | null;
  inputSize?: number | null;
}

/** forkRun's input: the parent run and epoch, and what the fork changes (the rest is the parent's). */
export interface ForkRunInput {
  runId: string;
  epoch: number;
  name?: string | null;
  pool?: string | null;
  epochs?: number | null;
  batchSize?: number | null;
  optimizer?: string | null;
  learningRate?: number | null;
  freeze?: { strategy: string; layers?: number | null } | null;
  unfreezeSchedule?: readonly { epoch: number; layers: number }[] | null;
  earlyStopping?: { monitor?: string | null; patience?: number | null; minDelta?: number | null } | null;
  keepCheckpoints?: number | null;
}

/** A fine-tune's input, validated, with the rows it refers to. */
export interface PreparedFineTune {
  hyperparameters: Hyperparameters;
  controlKinds: ControlKind[];
  base: ModelRow;
  dataset: DatasetRow;
  experimentId: string | null;
  pool: string;
  name: string | null;
}

/** A run about to be stored, and what its job needs. */
export interface PlannedRun {
  values: typeof runs.$inferInsert & { id: string };
  base: ModelRow;
  dataset: DatasetRow;
  controlOf: string | null;
  controlKind: ControlKind | null;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const isLinearProbe = (hp: Hyperparameters) =>
  hp.freeze.strategy === "ALL_BASE" && hp.head.hiddenUnits === 0 && hp.unfreezeSchedule.length === 0;

/** Known kinds, each at most once. */
function parseControls(kinds: readonly string[] | null | undefined): ControlKind[] {
  const parsed = parseInput(z.array(z.enum(CONTROL_KINDS)).max(CONTROL_KINDS.length), kinds ?? [], "input.controls");
  if (new Set(parsed).size !== parsed.length)
    throw new BadUserInputError("input.controls", "input.controls names a control kind twice");
  return parsed;
}

/** No control that would repeat the run itself (checked on its hyperparameters with the base's defaults). */
function checkControlsFit(parsed: ControlKind[], hp: Hyperparameters): ControlKind[] {
  if (parsed.includes("SCRATCH") && hp.initialization === "SCRATCH")
    throw new BadUserInputError(
      "input.controls",
      "the run already trains every layer from scratch: a SCRATCH control would repeat it",
    );
  if (parsed.length > 0 && hp.initialization === "SCRATCH")
    throw new BadUserInputError("input.controls", "controls measure a pre-trained run; this one starts from scratch");
  if (parsed.includes("LINEAR_PROBE") && isLinearProbe(hp))
    throw new BadUserInputError(
      "input.controls",
      "the run is already a linear probe (frozen base, no hidden layer): a LINEAR_PROBE control would repeat it",
    );
  return parsed;
}

/**
 * A control arm's hyperparameters: the run's, on the same split and seed, changed only
 * where the arm differs. SCRATCH: re-initialized weights, every layer trained. LINEAR_PROBE:
 * the base frozen throughout, no hidden layer.
 */
export function controlHyperparameters(kind: ControlKind, hp: Hyperparameters): Hyperparameters {
  return kind === "SCRATCH"
    ? { ...hp, initialization: "SCRATCH", freeze: { strategy: "NONE" }, unfreezeSchedule: [] }
    : { ...hp, freeze: { strategy: "ALL_BASE" }, head: { hiddenUnits: 0, dropout: 0 }, unfreezeSchedule: [] };
}

const isActive = (run: RunRow) => (ACTIVE_RUN_STATUSES as readonly string[]).includes(run.status);

const controlName = (name: string | null, kind: ControlKind) =>
  `${name ?? "run"} (${kind === "SCRATCH" ? "scratch" : "linear probe"} control)`;

/** A run row QUEUED with these hyperparameters (the typed columns and the whole document). */
export function runRowValues(
  owner: { projectId: string; experimentId: string | null; base: ModelRow; dataset: DatasetRow; pool: string },
  runId: string,
  hp: Hyperparameters,
  runName: string | null,
): PlannedRun["values"] {
  return {
    projectId: owner.projectId,
    experimentId: owner.experimentId,
    baseModelId: owner.base.id,
    datasetId: owner.dataset.id,
    pool: owner.pool,
    status: "QUEUED" as const,
    id: runId,
    name: runName,
    epochs: hp.epochs,
    batchSize: hp.batchSize,
    optimizer: hp.optimizer,
    learningRate: hp.learningRate,
    freezeStrategy: hp.freeze.strategy,
    seed: hp.seed,
    hyperparameters: hp,
    outputModelId: randomUUID(),
  };
}

/** graphql-js drops undefined but keeps null; zod defaults apply only to undefined. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;

export class RunCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
    private readonly q: { runs: RunQueries },
  ) {}

  /**
   * Validates everything, stores the run QUEUED (with its control arms and their jobs, in one
   * transaction), then publishes the jobs; never leaves half a run, nor a run without its job.
   */
  async start(input: StartFineTuneInput): Promise<RunRow> {
    const p = await this.prepare(input);
    const mainId = randomUUID();
    const planned: PlannedRun[] = [
      this.plan(p, mainId, p.hyperparameters, p.name),
      ...p.controlKinds.map((kind) => ({
        ...this.plan(p, randomUUID(), controlHyperparameters(kind, p.hyperparameters), controlName(p.name, kind)),
        controlOf: mainId,
        controlKind: kind,
      })),
    ];
    const stored = await this.storeAndDispatch(planned);
    return stored[0] as RunRow;
  }

  /**
   * A new run from `input.runId`'s checkpoint after `input.epoch`: same base, dataset, split,
   * seed, cut and head (the checkpoint's weights only fit that model), with the fork's own
   * training settings. The checkpoint is copied to the fork's seed key before the job goes
   * out, so the parent's retention (it drops old epochs as it trains) cannot pull it away.
   */
  async fork(input: ForkRunInput): Promise<RunRow> {
    parseInput(z.number().int().min(1).max(1000), input.epoch, "input.epoch");
    const parent = await this.q.runs.get(input.runId, "input.runId");
    const hp = parent.hyperparameters as Hyperparameters;
    if (input.epoch > hp.epochs)
      throw new BadUserInputError(
        "input.epoch",
        `run ${parent.id} has ${hp.epochs} epochs; there is no epoch ${input.epoch}`,
      );
    const p = await this.prepare({
      baseModelId: parent.baseModelId,
      datasetId: parent.datasetId,
      experimentId: parent.experimentId,
      name: input.name ?? `${parent.name ?? `run ${parent.id.slice(0, 8)}`} (fork at epoch ${input.epoch})`,
      pool: input.pool ?? parent.pool,
      // What the checkpoint's weights and the comparison with the parent depend on stays the parent's.
      featureLayer: hp.featureLayer,
      head: hp.head,
      seed: hp.seed,
      validationSplit: hp.validationSplit,
      maxSamples: hp.maxSamples,
      trainFraction: hp.trainFraction,
      initialization: hp.initialization,
      inputSize: hp.inputSize ?? null,
      // What is trained next may change.
      epochs: input.epochs ?? hp.epochs,
      batchSize: input.batchSize ?? hp.batchSize,
      optimizer: input.optimizer ?? hp.optimizer,
      learningRate: input.learningRate ?? hp.learningRate,
      freeze: input.freeze ?? hp.freeze,
      // An unfreeze schedule counts the parent's epochs: it carries over only when asked for.
      unfreezeSchedule: input.unfreezeSchedule ?? [],
      earlyStopping: input.earlyStopping === undefined ? hp.earlyStopping : input.earlyStopping,
      keepCheckpoints: input.keepCheckpoints ?? 0,
    });
    // Read last, after every check that needs no object store, and copied as a stream: a
    // checkpoint holds weights and optimizer state, and the gateway never holds it whole.
    const checkpoint = await this.deps.store.getStream(epochCheckpointKey(parent.id, input.epoch));
    if (!checkpoint) {
      const why =
        (hp.keepCheckpoints ?? 0) === 0
          ? "it keeps no epoch checkpoints (start it with keepCheckpoints > 0)"
          : `it keeps the last ${hp.keepCheckpoints} epochs' checkpoints, and epoch ${input.epoch} is not (or not yet) one of them`;
      throw new BadUserInputError("input.epoch", `run ${parent.id} has no checkpoint of epoch ${input.epoch}: ${why}`);
    }
    const run = this.plan(p, randomUUID(), p.hyperparameters, p.name);
    run.values.forkedFromRunId = parent.id;
    run.values.forkedFromEpoch = input.epoch;
    await this.deps.store.putStream(forkSeedKey(run.values.id), checkpoint);
    try {
      const [stored] = await this.storeAndDispatch([run]);
      return stored as RunRow;
    } catch (error) {
      // A fork that was not stored never reads its seed.
      await this.deps.store.delete(forkSeedKey(run.values.id)).catch(() => undefined);
      throw error;
    }
  }

  /** The input checked and completed with the base's defaults; nothing stored yet. */
  async prepare(input: StartFineTuneInput): Promise<PreparedFineTune> {
    const chosen = defined({
      epochs: input.epochs,
      batchSize: input.batchSize,
      optimizer: input.optimizer,
      learningRate: input.learningRate,
      freeze: input.freeze ? defined({ strategy: input.freeze.strategy, layers: input.freeze.layers }) : undefined,
      head: input.head ? defined({ ...input.head }) : undefined,
      unfreezeSchedule: input.unfreezeSchedule ? [...input.unfreezeSchedule] : undefined,
      earlyStopping: input.earlyStopping ? defined({ ...input.earlyStopping }) : undefined,
      validationSplit: input.validationSplit,
      seed: input.seed,
      maxSamples: input.maxSamples,
      trainFraction: input.trainFraction,
      featureLayer: input.featureLayer,
      initialization: input.initialization,
      keepCheckpoints: input.keepCheckpoints,
      inputSize: input.inputSize,
    });
    // Checked before any lookup, so a bad value is reported as itself whatever the ids are.
    parseInput(hyperparametersSchema, chosen, "input");
    const requestedControls = parseControls(input.controls);
    const pool = checkPool(input.pool, "input.pool");
    const name = input.name === null || input.name === undefined ? null : checkName(input.name, "input.name");
    const { base, dataset, experiment } = await fineTuneSources(this.deps.db, this.scope, input);
    // What the input leaves out comes from the base's measured defaults (docs/transfer-defaults.md).
    const defaults = fineTuneDefaultsOf(base);
    const hyperparameters: Hyperparameters = parseInput(
      hyperparametersSchema,
      {
        ...(defaults.featureLayer ? { featureLayer: defaults.featureLayer } : {}),
        head: defaults.head,
        learningRate: defaults.learningRate,
        ...(chosen as Record<string, unknown>),
      },
      "input",
    );
    const controlKinds = checkControlsFit(requestedControls, hyperparameters);
    const { featureLayer, baseLayerCount } = checkFineTunable(base, dataset, hyperparameters.featureLayer);
    if (hyperparameters.inputSize !== null) checkResizable(base, featureLayer, hyperparameters.inputSize);
    if (hyperparameters.freeze.strategy === "FIRST_N" && (hyperparameters.freeze.layers ?? 0) > baseLayerCount) {
      throw new BadUserInputError(
        "input.freeze.layers",
        `input.freeze.layers is ${hyperparameters.freeze.layers}, but the base has ${baseLayerCount} layers up to ${featureLayer}`,
      );
    }
    for (const [i, step] of hyperparameters.unfreezeSchedule.entries()) {
      if (step.layers > baseLayerCount) {
        throw new BadUserInputError(
          `input.unfreezeSchedule.${i}.layers`,
          `input.unfreezeSchedule.${i}.layers is ${step.layers}, but the base has ${baseLayerCount} layers up to ${featureLayer}`,
        );
      }
    }
    return { hyperparameters, controlKinds, base, dataset, experimentId: experiment?.id ?? null, pool, name };
  }

  /** A run to store for a prepared fine-tune, with these hyperparameters (the run's own or an arm's). */
  plan(p: PreparedFineTune, runId: string, hp: Hyperparameters, runName: string | null): PlannedRun {
    return {
      values: runRowValues(
        {
          projectId: this.scope.projectId,
          experimentId: p.experimentId,
          base: p.base,
          dataset: p.dataset,
          pool: p.pool,
        },
        runId,
        hp,
        runName,
      ),
      base: p.base,
      dataset: p.dataset,
      controlOf: null,
      controlKind: null,
    };
  }

  /**
   * Stores the planned runs QUEUED together with their jobs in the outbox (one statement; in
   * one transaction after `before`, which may insert what they reference), then publishes the
   * jobs. A job that cannot go out now (NATS away) stays in the outbox and goes out later: the
   * runs are stored QUEUED either way, and this throws only when they were not stored.
   */
  async storeAndDispatch(planned: readonly PlannedRun[], before?: (tx: Tx) => Promise<void>): Promise<RunRow[]> {
    const items = planned.map((p) => ({
      run: { ...p.values, controlOf: p.controlOf, controlKind: p.controlKind },
      base: p.base,
      dataset: p.dataset,
    }));
    const { runs: stored, jobs } = before
      ? await this.deps.db.transaction(async (tx) => {
          await before(tx);
          return await insertQueuedRuns(tx, items);
        })
      : await insertQueuedRuns(this.deps.db, items);
    await this.deps.jobs.publishNow(jobs);
    // Not awaited: the flush waits for NATS, and the runs are stored whether or not NATS is
    // there. The notices carry the rows as stored, so they are in the connection's buffer
    // before this returns and cannot reach a subscriber after a later status (a cancel).
    for (const run of stored) void this.announce(run.id, queuedNotice(run));
    return stored;
  }

  /**
   * A QUEUED run ends CANCELLED at once and its job is removed from the queue; a run a trainer
   * holds gets a cancel on its control subject and ends when the trainer reports `cancelled`.
   * Its control arms still queued or running are cancelled with it: they only mean something
   * beside the run.
   */
  async cancel(id: string, reason = "cancelled by user"): Promise<RunRow> {
    const run = await this.q.runs.get(id);
    if (!isActive(run)) {
      throw new ConflictError(`run ${run.id} is ${run.status}; only queued or running runs can be cancelled`);
    }
    const cancelled = await this.cancelActive(run, reason);
    for (const control of await this.q.runs.controlsOf(run.id)) {
      if (!isActive(control)) continue;
      await this.cancelActive(control, reason).catch((error: unknown) =>
        this.deps.log(`cancelRun: could not cancel control ${control.id} of ${run.id}: ${String(error)}`),
      );
    }
    return cancelled;
  }

  private async cancelActive(run: RunRow, reason: string): Promise<RunRow> {
    const control = encodeMessage({ type: "cancel", runId: run.id, reason });
    if (run.status !== "QUEUED") {
      this.deps.nc.publish(runControlSubject(run.id), control);
      return run;
    }
    const [cancelled] = await this.deps.db
      .update(runs)
      .set({ status: "CANCELLED", finishedAt: new Date() })
      .where(and(eq(runs.id, run.id), inArray(runs.status, ["QUEUED"])))
      .returning();
    // A trainer may have taken the job in between: it hears the cancel either way.
    this.deps.nc.publish(runControlSubject(run.id), control);
    if (!cancelled) return await this.q.runs.get(run.id);
    // Awaited only briefly: with NATS away the JetStream API would hold the mutation for its
    // timeouts (about 6 s). The removal goes on behind the answer; a job that outlives it is
    // stopped by ingest as soon as a trainer reports taking it.
    const removal = this.removeQueuedJob(run.id, run.pool).catch((error: unknown) =>
      this.deps.log(`cancelRun: could not remove the queued job of ${run.id}: ${String(error)}`),
    );
    await settledWithin(removal, QUEUED_JOB_REMOVAL_WAIT_MS);
    await this.announce(run.id);
    return cancelled;
  }

  /** Subscribers hear of status changes the domain makes itself; a failure here only loses that notice. */
  private async announce(runId: string, notice?: RunStatusNotice): Promise<void> {
    try {
      await this.deps.events?.publishRunUpdate(runId, notice);
    } catch (error) {
      this.deps.log(`run ${runId}: could not announce its status: ${String(error)}`);
    }
  }

  /** Deletes the run's job from the work queue so no trainer picks up a cancelled run. */
  private async removeQueuedJob(runId: string, pool: string): Promise<void> {
    const jsm = await jetstreamManager(this.deps.nc);
    const seq = await findJobSeq(jsm, pool, runId);
    if (seq !== undefined) await jsm.streams.deleteMessage(JOBS_STREAM, seq, false);
  }
}

/** How long cancelRun waits for a queued job's removal before it answers. */
const QUEUED_JOB_REMOVAL_WAIT_MS = 1_000;

/** Resolves when `work` settles or after `ms`, whichever comes first; `work` runs on either way. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}

/** The notice of a run just stored: QUEUED, no attempt yet. */
function queuedNotice(run: RunRow): RunStatusNotice {
  return {
    kind: "STATUS",
    runId: run.id,
    status: run.status,
    attempt: null,
    message: null,
    epoch: null,
    progress: null,
    at: new Date(),
  };
}

import { randomUUID } from "node:crypto";
import {
  ACTIVE_RUN_STATUSES,
  encodeMessage,
  findJobSeq,
  type Hyperparameters,
  hyperparametersSchema,
  JOBS_STREAM,
  type JobMessage,
  jobMessageId,
  jobMessageSchema,
  jobsSubject,
  runControlSubject,
} from "@graft/contracts";
import { type ProjectScope, runs } from "@graft/db";
import { jetstreamManager } from "@nats-io/jetstream";
import { and, eq, inArray } from "drizzle-orm";
import { checkFineTunable } from "../compatibility.ts";
import type { DatasetQueries } from "../datasets.ts";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError, ConflictError, DomainError } from "../errors.ts";
import type { ExperimentQueries } from "../experiments.ts";
import { checkName, checkPool, parseInput } from "../input.ts";
import type { ModelQueries } from "../models.ts";
import type { RunRow } from "../rows.ts";
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
  featureLayer?: string | null;
}

/** The job could not be put on NATS; the run was marked FAILED (DISPATCH_FAILED). */
export class DispatchFailedError extends DomainError {
  override name = "DispatchFailedError";
  readonly code = "DISPATCH_FAILED";
  constructor(
    readonly runId: string,
    options: { cause: unknown },
  ) {
    super(`could not dispatch run ${runId} to the trainers (NATS unavailable?); the run is marked FAILED`, options);
  }
  override extensions() {
    return { runId: this.runId };
  }
}

/** graphql-js drops undefined but keeps null; zod defaults apply only to undefined. */
const defined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined)) as T;

export class RunCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
    private readonly q: {
      models: ModelQueries;
      datasets: DatasetQueries;
      experiments: ExperimentQueries;
      runs: RunQueries;
    },
  ) {}

  /** Validates everything, stores the run QUEUED, then publishes its job; never leaves half a run. */
  async start(input: StartFineTuneInput): Promise<RunRow> {
    const hyperparameters: Hyperparameters = parseInput(
      hyperparametersSchema,
      defined({
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
        featureLayer: input.featureLayer,
      }),
      "input",
    );
    const pool = checkPool(input.pool, "input.pool");
    const name = input.name === null || input.name === undefined ? null : checkName(input.name, "input.name");
    const base = await this.q.models.get(input.baseModelId, "input.baseModelId");
    const dataset = await this.q.datasets.get(input.datasetId, "input.datasetId");
    const experiment = input.experimentId
      ? await this.q.experiments.get(input.experimentId, "input.experimentId")
      : null;
    const { featureLayer, baseLayerCount } = checkFineTunable(base, dataset, hyperparameters.featureLayer);
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

    const runId = randomUUID();
    const outputModelId = randomUUID();
    const [run] = await this.deps.db
      .insert(runs)
      .values({
        id: runId,
        projectId: this.scope.projectId,
        name,
        experimentId: experiment?.id ?? null,
        baseModelId: base.id,
        datasetId: dataset.id,
        pool,
        status: "QUEUED",
        epochs: hyperparameters.epochs,
        batchSize: hyperparameters.batchSize,
        optimizer: hyperparameters.optimizer,
        learningRate: hyperparameters.learningRate,
        freezeStrategy: hyperparameters.freeze.strategy,
        seed: hyperparameters.seed,
        hyperparameters,
        outputModelId,
      })
      .returning();
    if (!run) throw new Error("insert into runs returned nothing");

    const job: JobMessage = jobMessageSchema.parse({
      runId,
      projectId: this.scope.projectId,
      pool,
      outputModelId,
      baseModel: {
        id: base.id,
        name: base.name,
        artifactKey: base.artifactKey,
        inputShape: base.inputShape,
        labels: base.labels,
        preprocessing: base.preprocessing,
        featureLayer: base.featureLayer,
      },
      // The row stores any built-in key; the parse checks it names a built-in trainers know.
      dataset: {
        id: dataset.id,
        name: dataset.name,
        source: dataset.source as JobMessage["dataset"]["source"],
        labels: dataset.labels,
      },
      hyperparameters,
      enqueuedAt: run.queuedAt.toISOString(),
    } satisfies JobMessage);
    try {
      await this.deps.js.publish(jobsSubject(pool), encodeMessage(job), { msgID: jobMessageId(runId), timeout: 5_000 });
    } catch (cause) {
      this.deps.log(`startFineTune: publishing job of run ${runId} failed: ${String(cause)}`);
      await this.deps.db
        .update(runs)
        .set({
          status: "FAILED",
          finishedAt: new Date(),
          error: { code: "DISPATCH_FAILED", message: "the job could not be published to NATS" },
        })
        .where(eq(runs.id, runId));
      await this.announce(runId);
      throw new DispatchFailedError(runId, { cause });
    }
    await this.announce(runId);
    return run;
  }

  /**
   * A QUEUED run ends CANCELLED at once and its job is removed from the queue; a run a trainer
   * holds gets a cancel on its control subject and ends when the trainer reports `cancelled`.
   */
  async cancel(id: string): Promise<RunRow> {
    const run = await this.q.runs.get(id);
    if (!(ACTIVE_RUN_STATUSES as readonly string[]).includes(run.status)) {
      throw new ConflictError(`run ${run.id} is ${run.status}; only queued or running runs can be cancelled`);
    }
    const control = encodeMessage({ type: "cancel", runId: run.id, reason: "cancelled by user" });
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
    await this.removeQueuedJob(run.id, run.pool).catch((error: unknown) =>
      this.deps.log(`cancelRun: could not remove the queued job of ${run.id}: ${String(error)}`),
    );
    await this.announce(run.id);
    return cancelled;
  }

  /** Subscribers hear of status changes the domain makes itself; a failure here only loses that notice. */
  private async announce(runId: string): Promise<void> {
    try {
      await this.deps.events?.publishRunUpdate(runId);
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

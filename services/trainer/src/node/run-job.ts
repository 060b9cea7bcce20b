import { type ArtifactStore, getModel, modelArtifactKey, putModel } from "@graft/artifacts";
import {
  InvalidMessageError,
  isIdToken,
  type JobMessage,
  jobMessageSchema,
  parseMessage,
  runControlSchema,
  runControlSubject,
  trainingPathFor,
} from "@graft/contracts";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { PermanentJobError } from "../job-errors.ts";
import { type Checkpoint, deleteCheckpoint, loadCheckpoint, loadForkSeed, saveCheckpoint } from "./checkpoint.ts";
import type { EngineHost, EngineModel, JobEngine } from "./engine-port.ts";
import { JobStoppedError, type StopReason } from "./errors.ts";
import { classifyFailure, retryDelayMs } from "./failures.ts";
import { keepJobAlive } from "./keep-alive.ts";
import type { Outbox } from "./outbox.ts";
import { loadOutputRecord, type SucceededBody, saveOutputRecord } from "./output-record.ts";
import { progressReporter } from "./progress-reporter.ts";
import { type RunEventBody, runEventPublisher } from "./run-events.ts";

export interface JobDeps {
  nc: NatsConnection;
  js: JetStreamClient;
  /** The artifact store as one job may use it (the gateway's artifact route, scoped by the job token). */
  storeFor: (job: { runId: string; jobToken: string }) => ArtifactStore;
  engine: EngineHost;
  trainerId: string;
  backend: string;
  ackWaitMs: number;
  /** The consumer's max_deliver; the delivery that reaches it is the last chance. */
  maxDeliver: number;
  log: (line: string) => void;
  /** Where epochs and outcomes wait for JetStream's ack (see Outbox); without one they are published directly. */
  outbox?: Outbox;
}

export type JobPhase = "loading" | "training" | "finishing";

/** A job this node holds; the worker keeps these to report current runs and to hand back on stop. */
export interface JobHandle {
  readonly seq: number;
  runId: string | undefined;
  phase: JobPhase;
  /** Stop at the next epoch boundary (or now, before training) and give the job back to the pool. */
  handBack(): void;
  /**
   * Stop now: hand the job back and end its training thread, mid-batch if need be. For a
   * node that must leave within a bounded time (a second signal, a dead NATS connection).
   */
  terminate(): Promise<void>;
  readonly done: Promise<void>;
}

/** The handle as the job itself sees it: it also holds the job's engine, for terminate(). */
type JobState = JobHandle & { engine?: JobEngine };

export function startJob(msg: JsMsg, deps: JobDeps): JobHandle {
  const controller = new AbortController();
  let handBackAfterEpoch = false;
  const handle: JobState = {
    seq: msg.seq,
    runId: undefined,
    phase: "loading",
    handBack() {
      if (handle.phase === "training") handBackAfterEpoch = true;
      else if (handle.phase === "loading") stop(controller, { kind: "hand-back" });
    },
    async terminate() {
      stop(controller, { kind: "hand-back" });
      await handle.engine?.close();
      await handle.done;
    },
    done: Promise.resolve(),
  };
  (handle as { done: Promise<void> }).done = runJob(msg, deps, handle, controller, () => handBackAfterEpoch).catch(
    (error: unknown) => deps.log(`job ${msg.seq}: unexpected error ${(error as Error).stack ?? error}`),
  );
  return handle;
}

const stop = (controller: AbortController, reason: StopReason) => {
  if (!controller.signal.aborted) controller.abort(reason);
};

function stopReasonOf(signal: AbortSignal): StopReason | undefined {
  return signal.aborted ? (signal.reason as StopReason) : undefined;
}

function throwIfStopped(signal: AbortSignal) {
  const reason = stopReasonOf(signal);
  if (reason) throw new JobStoppedError(reason);
}

async function runJob(
  msg: JsMsg,
  deps: JobDeps,
  handle: JobState,
  controller: AbortController,
  handBackRequested: () => boolean,
): Promise<void> {
  const attempt = msg.info.deliveryCount;
  const keepAlive = keepJobAlive(msg, deps.ackWaitMs);
  try {
    let job: JobMessage;
    try {
      job = parseMessage(jobMessageSchema, msg.subject, msg.data);
    } catch (error) {
      await rejectInvalidJob(msg, deps, attempt, error);
      return;
    }
    handle.runId = job.runId;
    const publish = runEventPublisher(
      deps.js,
      { runId: job.runId, attempt, trainerId: deps.trainerId, jobToken: job.jobToken },
      deps.outbox,
    );
    // Subscribe before announcing the assignment: a cancel the gateway sends in answer to
    // `assigned` (or any time later) must find us listening. A newer delivery of this job
    // means JetStream gave up on us (we looked stalled); the gateway says so here once it
    // sees the newer attempt: stop, and neither report nor ack, so the newer attempt keeps
    // the job (a late ack would remove it from the queue under it).
    const control = deps.nc.subscribe(runControlSubject(job.runId), {
      callback: (error, message) => {
        if (error) return;
        const parsed = runControlSchema.safeParse(safeJson(message.data));
        if (!parsed.success || parsed.data.runId !== job.runId) {
          deps.log(`run ${job.runId}: ignored invalid control message`);
          return;
        }
        const control = parsed.data;
        if (control.type === "superseded") {
          if (control.attempt <= attempt) return;
          deps.log(`run ${job.runId}: attempt ${control.attempt} took over from attempt ${attempt}; stopping`);
          stop(controller, { kind: "superseded", by: control.attempt });
          return;
        }
        deps.log(`run ${job.runId}: cancel requested${control.reason ? ` (${control.reason})` : ""}`);
        stop(controller, { kind: "cancel", reason: control.reason });
      },
    });
    try {
      await deps.nc.flush();
      // The job's fate goes to JetStream only while it is surely still ours (see keepJobAlive).
      const settle: Settle = (action, what) => {
        if (!keepAlive.mayHaveLost()) return action();
        deps.log(`run ${job.runId}: attempt ${attempt} was frozen past the ack wait; no ${what}, JetStream decides`);
      };
      await execute(job, attempt, msg, deps, handle, controller, handBackRequested, keepAlive.touch, publish, settle);
    } finally {
      control.unsubscribe();
    }
  } finally {
    keepAlive.stop();
  }
}

/** Runs `action` (an ack, NAK or TERM of the job) unless the job may be another trainer's by now. */
type Settle = (action: () => unknown, what: string) => unknown;

async function execute(
  job: JobMessage,
  attempt: number,
  msg: JsMsg,
  deps: JobDeps,
  handle: JobState,
  controller: AbortController,
  handBackRequested: () => boolean,
  touch: () => void,
  publish: (body: RunEventBody) => Promise<void>,
  settle: Settle,
): Promise<void> {
  const { signal } = controller;
  const hp = job.hyperparameters;
  const store = deps.storeFor(job);
  const models: EngineModel[] = [];
  let engine: JobEngine | undefined;
  // Fire and forget: a progress event lost to a NATS blip is replaced by the next one.
  const progress = progressReporter((report) => {
    publish({ type: "progress", progress: report }).catch(() => {});
  });
  deps.log(`run ${job.runId}: attempt ${attempt} assigned`);
  try {
    await publish({ type: "assigned" });
    const finished = await loadOutputRecord(store, job.outputModelId);
    if (finished) {
      // An earlier attempt saved the child but its report or ack got lost: report it again.
      await publish(finished);
      await settle(() => finalAck(msg), "ack");
      await deleteCheckpoint(store, job.runId);
      deps.log(`run ${job.runId}: already trained by an earlier attempt; reported its result again`);
      return;
    }
    throwIfStopped(signal);

    // Downloads: the base model, and an uploaded dataset (read by the engine through readArtifact).
    const downloads = job.dataset.source.kind === "UPLOAD" ? 2 : 1;
    const downloading = (done: number) =>
      progress.report({ phase: "DOWNLOADING", done, total: downloads, epoch: null, epochs: null, etaSeconds: null });
    downloading(0);
    const artifact = await getModel(store, job.baseModel.artifactKey);
    downloading(1);
    if (!artifact) {
      throw new PermanentJobError("MODEL_NOT_FOUND", `base model artifact ${job.baseModel.artifactKey} is missing`);
    }
    engine = await deps.engine.openJob();
    handle.engine = engine;
    throwIfStopped(signal);
    const base = await engine.loadModel({ kind: "artifact", artifact });
    models.push(base);
    throwIfStopped(signal);
    const [height, width] = job.baseModel.inputShape;
    const dataset = await engine.loadDataset(job.dataset.source, {
      readArtifact: async (key) => {
        const bytes = await store.get(key);
        downloading(2);
        return bytes;
      },
      onProgress: progress.report,
      ...(height && width ? { imageSize: [height, width] as [number, number] } : {}),
    });
    throwIfStopped(signal);

    const checkpoint = await loadCheckpoint(store, job.runId);
    // A fork starts from its parent's weights after the fork epoch, unless it has its own checkpoint already.
    const seed = job.forkedFrom && !checkpoint ? await loadForkSeed(store, job.runId) : null;
    if (job.forkedFrom && !checkpoint && !seed) {
      throw new PermanentJobError(
        "CORRUPT_MODEL",
        `the checkpoint of run ${job.forkedFrom.runId} after epoch ${job.forkedFrom.epoch} is missing or unreadable`,
      );
    }
    const history: Checkpoint["epochs"] = checkpoint?.epochs ?? [];
    // A killed attempt may have stored a checkpoint without getting its epoch event out; this
    // attempt re-announces them (the gateway stores each epoch once, whoever reports it).
    for (const { epoch, metrics } of history) await publish({ type: "epoch", epoch, metrics });

    await publish({
      type: "started",
      backend: deps.backend,
      trainingPath: trainingPathFor(hp),
      resumedFromEpoch: checkpoint?.completedEpochs ?? 0,
    });
    if (checkpoint) deps.log(`run ${job.runId}: resuming after epoch ${checkpoint.completedEpochs}`);

    handle.phase = "training";
    models.length = 0; // fineTune consumes the base; from here only its result is ours to dispose.
    const result = await engine.fineTune({
      base,
      preprocessing: job.baseModel.preprocessing,
      featureLayer: hp.featureLayer ?? job.baseModel.featureLayer,
      dataset,
      ...(artifact.tokenizer ? { tokenizer: artifact.tokenizer } : {}),
      hyperparameters: hp,
      ...(checkpoint ? { resume: { completedEpochs: checkpoint.completedEpochs, checkpoint: checkpoint.engine } } : {}),
      ...(seed ? { initialWeights: seed.engine } : {}),
      signal,
      onBatch: touch,
      onProgress: progress.report,
      onEpoch: async (epoch, metrics, takeCheckpoint) => {
        touch();
        history.push({ epoch, metrics });
        // Checkpoint before the event: an announced epoch is always resumable.
        const engine = await takeCheckpoint();
        const saved: Checkpoint = { completedEpochs: epoch, attempt, epochs: history, engine };
        await saveCheckpoint(store, job.runId, saved, hp.keepCheckpoints);
        await publish({ type: "epoch", epoch, metrics });
        touch();
        if (handBackRequested() && epoch < hp.epochs) stop(controller, { kind: "hand-back" });
      },
    });
    models.push(result.model);
    progress.stop(); // training is over; the outcome follows
    handle.phase = "finishing";
    touch();

    const frozenLayerNames =
      result.frozenLayerNames ?? result.model.layers.filter((layer) => !layer.trainable).map((layer) => layer.name);
    const { artifact: output, parsed } = await engine.exportModel(result.model, {
      frozenLayerNames,
      ...(artifact.tokenizer ? { tokenizer: artifact.tokenizer } : {}),
    });
    const artifactKey = modelArtifactKey(job.outputModelId);
    const { sizeBytes, sha256 } = await putModel(store, artifactKey, output);
    if (stopReasonOf(signal)?.kind === "superseded") throw new JobStoppedError(stopReasonOf(signal) as StopReason);
    const succeeded: SucceededBody = {
      type: "succeeded",
      trainingPath: result.trainingPath,
      stoppedEarly: result.stoppedEarly,
      outputModel: {
        artifactKey,
        sizeBytes,
        sha256,
        inputShape: parsed.inputShape,
        labels: job.dataset.labels,
        featureLayer: result.featureLayer,
        layers: parsed.layers,
        ...(parsed.tokenizer ? { tokenizerSha256: parsed.tokenizer.sha256 } : {}),
      },
    };
    await saveOutputRecord(store, job.outputModelId, succeeded);
    touch();
    await publish(succeeded);
    await settle(() => finalAck(msg), "ack");
    await deleteCheckpoint(store, job.runId);
    deps.log(`run ${job.runId}: succeeded after ${result.epochsCompleted} epochs (${result.trainingPath})`);
  } catch (error) {
    progress.stop();
    await settleFailure(error, job, attempt, msg, deps, store, signal, publish, settle);
  } finally {
    progress.stop();
    for (const model of models) model.dispose();
    await engine?.close();
  }
}

async function settleFailure(
  error: unknown,
  job: JobMessage,
  attempt: number,
  msg: JsMsg,
  deps: JobDeps,
  store: ArtifactStore,
  signal: AbortSignal,
  publish: (body: RunEventBody) => Promise<void>,
  settle: Settle,
): Promise<void> {
  const stopped = stopReasonOf(signal) ?? (error instanceof JobStoppedError ? error.reason : undefined);
  try {
    if (stopped?.kind === "cancel") {
      await publish({ type: "cancelled" });
      await settle(() => finalAck(msg), "ack");
      await deleteCheckpoint(store, job.runId);
      deps.log(`run ${job.runId}: cancelled`);
      return;
    }
    if (stopped?.kind === "superseded") {
      deps.log(`run ${job.runId}: attempt ${attempt} abandoned to attempt ${stopped.by}`);
      return;
    }
    if (stopped?.kind === "hand-back") {
      await publish({
        type: "failed",
        error: { code: "TRAINER_STOPPED", message: "the trainer stopped; another trainer resumes from the checkpoint" },
        final: false,
      });
      // No delay: another trainer should pick it up at once.
      settle(() => msg.nak(), "NAK");
      deps.log(`run ${job.runId}: handed back to the pool`);
      return;
    }
    const failure = classifyFailure(error);
    const final = !failure.retryable || attempt >= deps.maxDeliver;
    await publish({ type: "failed", error: { code: failure.code, message: failure.message }, final });
    if (final) {
      // No reason string: nats-server 2.9 ignores a `+TERM` that carries one.
      // A newer holder may still need the checkpoint: it goes only with our TERM.
      await settle(async () => {
        msg.term();
        await deleteCheckpoint(store, job.runId);
      }, "TERM");
    } else {
      settle(() => msg.nak(retryDelayMs(attempt, failure.code)), "NAK");
    }
    deps.log(
      `run ${job.runId}: attempt ${attempt} failed (${failure.code}${final ? ", final" : ", will retry"}): ${failure.message}`,
    );
  } catch (publishError) {
    // Could not report (NATS down?): leave the job unacked; JetStream redelivers it after the ack wait.
    deps.log(`run ${job.runId}: could not settle the job: ${(publishError as Error).message}`);
  }
}

/** An ack we wait for: the job must not come back once the run has ended. */
async function finalAck(msg: JsMsg): Promise<void> {
  try {
    if (!(await msg.ackAck({ timeout: 5_000 }))) msg.ack();
  } catch {
    msg.ack();
  }
}

/**
 * A job that does not fit the schema can never run: terminate it so JetStream stops
 * delivering it, and when its run id is readable end the run FAILED so it does not wait forever.
 */
async function rejectInvalidJob(msg: JsMsg, deps: JobDeps, attempt: number, error: unknown): Promise<void> {
  const reason = error instanceof InvalidMessageError ? error.message : String(error);
  deps.log(`job ${msg.seq} on ${msg.subject} rejected: ${reason}`);
  const { runId, jobToken } = (safeJson(msg.data) ?? {}) as { runId?: unknown; jobToken?: unknown };
  // Without its token the gateway would not believe our report: the run is left to its owner.
  if (isIdToken(runId) && typeof jobToken === "string") {
    try {
      const publish = runEventPublisher(deps.js, { runId, attempt, trainerId: deps.trainerId, jobToken });
      await publish({ type: "failed", error: { code: "INVALID_JOB", message: reason.slice(0, 2_000) }, final: true });
    } catch (publishError) {
      deps.log(`job ${msg.seq}: could not report the invalid job: ${(publishError as Error).message}`);
    }
  }
  msg.term();
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

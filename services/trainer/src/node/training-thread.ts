import { Worker } from "node:worker_threads";
import type { ModelArtifact, ParsedModel } from "@graft/artifacts";
import type { EpochMetrics, RunProgress } from "@graft/contracts";
import type { EngineHost, EngineModel, FineTuneResult, JobEngine } from "./engine-port.ts";
import {
  type FeatureCacheOptions,
  type FineTuneCall,
  Peer,
  type Port,
  type TrainingWorkerData,
} from "./worker-protocol.ts";

/**
 * The engine in a worker thread, one per job (training-worker.ts is the other end). Training
 * is long synchronous TensorFlow work; on the main thread it starved heartbeats and
 * in-progress acks, so a busy trainer looked dead. Here the main thread only moves bytes
 * and messages, and `close()` ends a job's training at once, even mid-batch.
 */

const BOOTSTRAP = new URL("./training-worker.mjs", import.meta.url);

/** The training worker thread ended (crashed, ran out of memory, or was closed) while a call waited. */
export class TrainingWorkerExitedError extends Error {
  override name = "TrainingWorkerExitedError";
  /** Another attempt, on a fresh thread, may well succeed. */
  readonly retryable = true;
  constructor(
    readonly exitCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(`the training worker thread exited${exitCode === undefined ? "" : ` with code ${exitCode}`}`, options);
  }
}

class RemoteModel implements EngineModel {
  constructor(
    readonly id: number,
    readonly layers: readonly { name: string; trainable: boolean }[],
    private readonly peer: Peer,
  ) {}
  dispose() {
    this.peer.notify("dispose", [this.id]);
  }
}

class RemoteDataset {
  constructor(readonly id: number) {}
}

function remoteId<T extends RemoteModel | RemoteDataset>(value: unknown, type: new (...args: never[]) => T): number {
  if (!(value instanceof type)) throw new TypeError(`not a ${type.name} of this training thread`);
  return value.id;
}

/** Starts a worker thread and returns the engine port over it. */
async function openTrainingThread(
  forcedBackend: string | undefined,
  featureCache: FeatureCacheOptions | undefined,
): Promise<JobEngine> {
  // The worker inherits the parent's execArgv (tsx's loader when tests run under tsx); the
  // bootstrap registers tsx itself so `node bin/graft-trainer.mjs` works too.
  const workerData: TrainingWorkerData = { featureCache: featureCache ?? null };
  const worker = new Worker(BOOTSTRAP, { workerData });
  const peer = new Peer(worker as unknown as Port);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    worker.once("error", (error) => peer.fail(new TrainingWorkerExitedError(undefined, { cause: error })));
    worker.once("exit", (code) => {
      exited = true;
      peer.fail(new TrainingWorkerExitedError(code));
      resolve();
    });
  });

  // The worker reports progress as notices; they go to the listener of the call in flight.
  let onProgress: ((report: RunProgress) => void) | undefined;
  peer.onNotice("progress", (report: RunProgress) => onProgress?.(report));

  const engine: JobEngine = {
    initBackend: (forced) => peer.call("initBackend", [forced]),
    async loadModel(source) {
      const { id, layers } = await peer.call<{ id: number; layers: RemoteModel["layers"] }>("loadModel", [
        source.artifact,
      ]);
      return new RemoteModel(id, layers, peer);
    },
    async loadDataset(source, options) {
      peer.handle("readArtifact", (key: string) => options.readArtifact(key));
      onProgress = options.onProgress;
      const { id } = await peer.call<{ id: number }>("loadDataset", [source, options.imageSize]);
      return new RemoteDataset(id);
    },
    async fineTune(options): Promise<FineTuneResult> {
      const call: FineTuneCall = {
        baseId: remoteId(options.base, RemoteModel),
        datasetId: remoteId(options.dataset, RemoteDataset),
        preprocessing: options.preprocessing,
        featureLayer: options.featureLayer,
        ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
        hyperparameters: options.hyperparameters,
        ...(options.resume ? { resume: options.resume } : {}),
        ...(options.initialWeights ? { initialWeights: options.initialWeights } : {}),
      };
      peer.handle("epoch", (epoch: number, metrics: EpochMetrics, checkpoint: Uint8Array) =>
        options.onEpoch?.(epoch, metrics, async () => checkpoint),
      );
      onProgress = options.onProgress;
      const { signal } = options;
      const abort = () => peer.notify("abort", [signal?.reason]);
      signal?.addEventListener("abort", abort, { once: true });
      try {
        // An abort before the call must still reach the worker once the call is there.
        const result = peer.call<Omit<FineTuneResult, "model"> & { modelId: number; layers: RemoteModel["layers"] }>(
          "fineTune",
          [call],
        );
        if (signal?.aborted) abort();
        const { modelId, layers, ...rest } = await result;
        return { ...rest, model: new RemoteModel(modelId, layers, peer) };
      } finally {
        signal?.removeEventListener("abort", abort);
      }
    },
    exportModel: (model, options) =>
      peer.call<{ artifact: ModelArtifact; parsed: ParsedModel }>("exportModel", [
        remoteId(model, RemoteModel),
        options,
      ]),
    async close() {
      if (!exited) await worker.terminate();
      await exit;
    },
  };
  try {
    await engine.initBackend(forcedBackend);
  } catch (error) {
    await engine.close();
    throw error;
  }
  return engine;
}

/**
 * The real engine for a trainer node: `initBackend` probes the backend in a short-lived
 * thread (the main thread never loads TensorFlow), and every job opens its own thread.
 * With `featureCache`, frozen fine-tunes keep their extracted features there across runs.
 */
export function threadedEngine(options: { featureCache?: FeatureCacheOptions } = {}): EngineHost {
  let forced: string | undefined;
  return {
    async initBackend(backend) {
      forced = backend;
      const probe = await openTrainingThread(forced, undefined);
      try {
        return await probe.initBackend(forced);
      } finally {
        await probe.close();
      }
    },
    openJob: () => openTrainingThread(forced, options.featureCache),
  };
}

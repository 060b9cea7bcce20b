import { parentPort, workerData } from "node:worker_threads";
import type { ModelArtifact } from "@graft/artifacts";
import type { DatasetSource, EpochMetrics } from "@graft/contracts";
import type * as tf from "@tensorflow/tfjs";
import type { BackendName, TrainingData } from "../engine/index.ts";
import * as engine from "../engine/index.ts";
import { type FineTuneCall, Peer, type Port, type TrainingWorkerData } from "./worker-protocol.ts";

/**
 * The training worker thread: owns TensorFlow.js and runs one job's engine calls, so the
 * trainer's main thread keeps its event loop for heartbeats, in-progress acks and control
 * messages however long a batch takes. Models and datasets stay here; the main thread holds
 * them by id (training-thread.ts is its other end).
 */

if (!parentPort) throw new Error("training-worker.ts runs only as a worker thread");
const peer = new Peer(parentPort as unknown as Port);
const { featureCache } = (workerData ?? { featureCache: null }) as TrainingWorkerData;
const featureStore = featureCache ? engine.openFeatureCache(featureCache) : undefined;
const models = new Map<number, tf.LayersModel>();
const datasets = new Map<number, TrainingData>();
let nextId = 1;
let controller: AbortController | undefined;
// Throttled by the engine's meters; the main thread publishes at most once a second.
const reportProgress = (report: engine.ProgressReport) => peer.notify("progress", [report]);

const layersOf = (model: tf.LayersModel) => model.layers.map((l) => ({ name: l.name, trainable: l.trainable }));

function keep<T>(map: Map<number, T>, value: T): number {
  const id = nextId++;
  map.set(id, value);
  return id;
}

function need<T>(map: Map<number, T>, id: number, what: string): T {
  const value = map.get(id);
  if (value === undefined) throw new Error(`training worker holds no ${what} ${id}`);
  return value;
}

peer.handle("initBackend", (forced?: BackendName) => engine.initBackend(forced));

peer.handle("loadModel", async (artifact: ModelArtifact) => {
  const model = await engine.loadModel({ kind: "artifact", artifact });
  return { id: keep(models, model), layers: layersOf(model) };
});

peer.handle("loadDataset", async (source: DatasetSource, imageSize?: [number, number]) => {
  const meter = new engine.ProgressMeter(reportProgress);
  meter.begin("PREPROCESSING", 0); // the sample count is known once an upload is unpacked
  const dataset = await engine.loadDataset(source, {
    readArtifact: (key) => peer.call<Uint8Array | null>("readArtifact", [key]),
    ...(imageSize ? { imageSize } : {}),
    onDecoded: (done, total) => {
      if (done === 1) meter.begin("PREPROCESSING", total);
      meter.advance();
    },
  });
  return { id: keep(datasets, dataset) };
});

peer.handle("fineTune", async (call: FineTuneCall) => {
  const base = need(models, call.baseId, "model");
  models.delete(call.baseId); // consumed by the engine
  const dataset = need(datasets, call.datasetId, "dataset");
  controller = new AbortController();
  try {
    const result = await engine.fineTune({
      base,
      dataset,
      preprocessing: call.preprocessing,
      featureLayer: call.featureLayer,
      ...(call.tokenizer ? { tokenizer: call.tokenizer } : {}),
      hyperparameters: call.hyperparameters,
      ...(featureStore ? { featureStore } : {}),
      ...(call.resume ? { resume: call.resume } : {}),
      ...(call.initialWeights ? { initialWeights: call.initialWeights } : {}),
      signal: controller.signal,
      onProgress: reportProgress,
      // The main thread saves the checkpoint and publishes the epoch before training goes on,
      // as in-process: an announced epoch is always resumable, and a hand-back lands here.
      onEpoch: async (epoch: number, metrics: EpochMetrics, checkpoint: () => Promise<Uint8Array>) => {
        const bytes = await checkpoint();
        await peer.call("epoch", [epoch, metrics, bytes]);
      },
    });
    return {
      modelId: keep(models, result.model),
      layers: layersOf(result.model),
      trainingPath: result.trainingPath,
      featureLayer: result.featureLayer,
      stoppedEarly: result.stoppedEarly,
      epochsCompleted: result.epochsCompleted,
      frozenLayerNames: result.frozenLayerNames,
    };
  } finally {
    datasets.delete(call.datasetId);
    controller = undefined;
  }
});

peer.handle("exportModel", (modelId: number, options: { frozenLayerNames: string[]; tokenizer?: Uint8Array }) =>
  engine.exportModel(need(models, modelId, "model"), options),
);

peer.onNotice("dispose", (id: number) => {
  models.get(id)?.dispose();
  models.delete(id);
});

// Acts at the next batch boundary: the engine yields to the event loop after every batch.
peer.onNotice("abort", (reason: unknown) => controller?.abort(reason));

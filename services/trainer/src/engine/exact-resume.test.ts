import assert from "node:assert/strict";
import { test } from "node:test";
import type { EpochMetrics } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { fineTune } from "./fine-tune.ts";
import { loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });

// Adam (whose step and moments shape every update), an unfreeze step before the interruption
// and early stopping that counts epochs without improvement: all of it must survive a resume.
const settings = hyperparameters({
  epochs: 4,
  maxSamples: 120,
  batchSize: 16,
  optimizer: "ADAM",
  learningRate: 0.005,
  seed: 7,
  freeze: { strategy: "FIRST_N", layers: 4 },
  unfreezeSchedule: [{ epoch: 2, layers: 2 }],
  earlyStopping: { monitor: "valLoss", patience: 10, minDelta: 0 },
});

async function train(options: { resume?: { completedEpochs: number; checkpoint: Uint8Array }; keepAfter?: number }) {
  const { meta, base } = await loadBuiltin("digits-cnn");
  const metrics = new Map<number, EpochMetrics>();
  let checkpoint: Uint8Array | undefined;
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: meta.featureLayer,
    dataset: mnist59,
    hyperparameters: settings,
    ...(options.resume ? { resume: options.resume } : {}),
    onEpoch: async (epoch, m, save) => {
      metrics.set(epoch, m);
      if (epoch === options.keepAfter) checkpoint = await save();
    },
  });
  result.model.dispose();
  return { metrics, checkpoint };
}

test("a run resumed after epoch 2 reports the same metrics for epochs 3..4 as an uninterrupted one", async () => {
  const whole = await train({ keepAfter: 2 });
  assert.ok(whole.checkpoint, "the checkpoint after epoch 2");
  // On a fresh base, as another trainer would start it.
  const resumed = await train({ resume: { completedEpochs: 2, checkpoint: whole.checkpoint } });
  assert.deepEqual([...resumed.metrics.keys()], [3, 4]);
  for (const epoch of [3, 4]) {
    const a = whole.metrics.get(epoch) as EpochMetrics;
    const b = resumed.metrics.get(epoch) as EpochMetrics;
    for (const key of ["loss", "accuracy", "valLoss", "valAccuracy"] as const) {
      const [x, y] = [a[key] as number, b[key] as number];
      assert.ok(Math.abs(x - y) <= 1e-4, `epoch ${epoch} ${key}: uninterrupted ${x}, resumed ${y}`);
    }
    assert.equal(b.trainableParams, a.trainableParams);
    assert.equal(b.frozenLayers, a.frozenLayers);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import type { EpochMetrics, HyperparametersInput } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import { CorruptModelError } from "../job-errors.ts";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { fineTune } from "./fine-tune.ts";
import { loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });

// digits-cnn (pre-trained on 0-4) onto 5-9 with its conv layers frozen: the head trains on
// cached features. Few samples and a small learning rate, so one epoch moves the head visibly.
const parentSettings: Partial<HyperparametersInput> = {
  epochs: 2,
  maxSamples: 300,
  batchSize: 16,
  optimizer: "ADAM",
  learningRate: 0.002,
  seed: 11,
  freeze: { strategy: "ALL_BASE" },
  featureLayer: "flatten",
  head: { hiddenUnits: 32, dropout: 0 },
};

async function train(overrides: Partial<HyperparametersInput>, initialWeights?: Uint8Array) {
  const { meta, base } = await loadBuiltin("digits-cnn");
  const metrics = new Map<number, EpochMetrics>();
  const checkpoints = new Map<number, Uint8Array>();
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: meta.featureLayer,
    dataset: mnist59,
    hyperparameters: hyperparameters({ ...parentSettings, ...overrides }),
    ...(initialWeights ? { initialWeights } : {}),
    onEpoch: async (epoch, m, save) => {
      metrics.set(epoch, m);
      checkpoints.set(epoch, await save());
    },
  });
  result.model.dispose();
  return { metrics, checkpoints };
}

const at = (m: Map<number, EpochMetrics>, epoch: number) => m.get(epoch) as EpochMetrics;

const parent = await train({});
const afterEpoch1 = parent.checkpoints.get(1) as Uint8Array;

test("a fork that barely trains validates like its parent after the fork epoch: it starts from those weights", async () => {
  // A learning rate of 1e-9 leaves the weights where the checkpoint put them.
  const still = await train({ epochs: 1, learningRate: 1e-9 }, afterEpoch1);
  const [fork, parentEpoch1] = [at(still.metrics, 1), at(parent.metrics, 1)];
  assert.ok(
    Math.abs((fork.valLoss as number) - (parentEpoch1.valLoss as number)) < 1e-3,
    `fork valLoss ${fork.valLoss}, parent's after epoch 1 ${parentEpoch1.valLoss}`,
  );
  assert.equal(fork.valAccuracy, parentEpoch1.valAccuracy);
});

test("a fork at epoch 1 of a 2-epoch run trains its first epoch like the parent's second, not like a fresh head", async () => {
  const fresh = await train({ epochs: 1 });
  const fork = await train({ epochs: 1 }, afterEpoch1);
  const forkLoss = at(fork.metrics, 1).valLoss as number;
  const parentSecond = at(parent.metrics, 2).valLoss as number;
  const freshFirst = at(fresh.metrics, 1).valLoss as number;
  assert.ok(
    Math.abs(forkLoss - parentSecond) < Math.abs(forkLoss - freshFirst),
    `fork epoch 1 valLoss ${forkLoss}; parent epoch 2 ${parentSecond}; fresh epoch 1 ${freshFirst}`,
  );
  // The fresh head's training loss over its first epoch is the untrained head's; the fork's is not.
  assert.ok(
    (at(fork.metrics, 1).loss as number) < (at(fresh.metrics, 1).loss as number),
    `fork epoch 1 loss ${at(fork.metrics, 1).loss}, fresh ${at(fresh.metrics, 1).loss}`,
  );
});

test("a fork may unfreeze the backbone: it trains every layer, starting from the parent's head", async () => {
  // Every layer trains on the full path here (no feature cache): the backbone's features come
  // from the restored weights too. A tiny learning rate keeps them at the checkpoint's.
  const fork = await train({ epochs: 1, learningRate: 1e-9, freeze: { strategy: "NONE" } }, afterEpoch1);
  assert.ok(at(fork.metrics, 1).trainableParams > at(parent.metrics, 1).trainableParams);
  assert.equal(at(fork.metrics, 1).frozenLayers, 0);
  assert.equal(at(fork.metrics, 1).valAccuracy, at(parent.metrics, 1).valAccuracy);
  assert.ok(Math.abs((at(fork.metrics, 1).valLoss as number) - (at(parent.metrics, 1).valLoss as number)) < 1e-3);
});

test("a checkpoint of another head does not fit a fork: CORRUPT_MODEL, nothing trained", async () => {
  await assert.rejects(
    train({ epochs: 1, head: { hiddenUnits: 64, dropout: 0 } }, afterEpoch1),
    (error: unknown) => error instanceof CorruptModelError && /another shape|not in the model/.test(error.message),
  );
});

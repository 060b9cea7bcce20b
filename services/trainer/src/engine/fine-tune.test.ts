import assert from "node:assert/strict";
import { test } from "node:test";
import type { EpochMetrics } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { FineTuneCancelledError } from "./errors.ts";
import { exportModel } from "./export.ts";
import { fineTune } from "./fine-tune.ts";
import { changedFrozenLayers, loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });
const CHANCE = 1 / 5;
// These tests are about freezing dense base layers: they cut digits-cnn above its 32-unit
// `features` layer, not at its default cut (`flatten`, docs/transfer-defaults.md).
const ABOVE_FEATURES = "features";

test("digits-cnn FULL fine-tune with FIRST_N freezing learns mnist-5-9 and keeps frozen layers bit-identical", async () => {
  const { meta, parsed: parent, base } = await loadBuiltin("digits-cnn");
  const epochs: [number, EpochMetrics][] = [];
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: ABOVE_FEATURES,
    dataset: mnist59,
    hyperparameters: hyperparameters({ maxSamples: 300, freeze: { strategy: "FIRST_N", layers: 4 } }),
    onEpoch: async (epoch, metrics) => {
      epochs.push([epoch, metrics]);
    },
  });
  assert.equal(result.trainingPath, "FULL");
  assert.equal(result.featureLayer, "features");
  assert.deepEqual(result.frozenLayerNames, ["conv1", "pool1", "conv2", "pool2"]);
  assert.deepEqual(
    epochs.map(([e]) => e),
    [1, 2],
  );
  for (const [, m] of epochs) {
    assert.ok(Number.isFinite(m.loss) && m.valLoss !== null && Number.isFinite(m.valLoss));
    assert.ok(m.samplesPerSecond > 0 && m.durationMs > 0);
    assert.equal(m.frozenLayers, 4);
    // features (5*5*16 inputs -> 32) + new head (32 -> 5) train; the convs do not.
    assert.equal(m.trainableParams, 400 * 32 + 32 + 32 * 5 + 5);
  }
  const last = epochs.at(-1)?.[1] as EpochMetrics;
  assert.ok((last.valAccuracy as number) > CHANCE + 0.3, `valAccuracy ${last.valAccuracy} is far above chance`);

  const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
  assert.deepEqual(changedFrozenLayers(parent, child, result.frozenLayerNames), []);
  const hash = (p: typeof parent, name: string) => p.layers.find((l) => l.name === name)?.weightHash;
  assert.notEqual(hash(child, "features"), hash(parent, "features"), "the trainable feature layer moved");
  assert.equal(child.layers.find((l) => l.name === "conv1")?.trainable, false);
  assert.equal(child.outputUnits, 5);
  result.model.dispose();
});

test("ALL_BASE freezing trains through the feature cache, learns, and leaks no tensors", async () => {
  const before = tf.memory().numTensors;
  const { meta, parsed: parent, base } = await loadBuiltin("digits-cnn");
  const losses: number[] = [];
  let accuracy = 0;
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: null,
    dataset: mnist59,
    hyperparameters: hyperparameters({
      maxSamples: 300,
      epochs: 3,
      featureLayer: "features",
      head: { hiddenUnits: 16, dropout: 0.1 },
    }),
    onEpoch: async (_, m) => {
      losses.push(m.loss);
      accuracy = m.valAccuracy as number;
      assert.equal(m.trainableParams, 32 * 16 + 16 + 16 * 5 + 5);
    },
  });
  assert.equal(result.trainingPath, "FEATURE_CACHE");
  assert.equal(result.frozenLayerNames.length, 6);
  assert.ok((losses.at(-1) as number) < (losses[0] as number), `loss falls: ${losses}`);
  assert.ok(accuracy > CHANCE + 0.3, `valAccuracy ${accuracy}`);
  const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
  assert.deepEqual(changedFrozenLayers(parent, child, result.frozenLayerNames), []);
  assert.deepEqual(
    child.layers.slice(-3).map((l) => l.name),
    ["graft_head_hidden", "graft_head_dropout", "graft_head_output"],
  );
  result.model.dispose();
  assert.equal(tf.memory().numTensors, before, "every tensor is released");
});

test("an unfreeze schedule makes the top base layers trainable at its epoch", async () => {
  const { meta, base } = await loadBuiltin("digits-cnn");
  const frozen: number[] = [];
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: ABOVE_FEATURES,
    dataset: mnist59,
    hyperparameters: hyperparameters({ maxSamples: 100, unfreezeSchedule: [{ epoch: 2, layers: 2 }] }),
    onEpoch: async (_, m) => {
      frozen.push(m.frozenLayers);
    },
  });
  assert.equal(result.trainingPath, "FULL");
  assert.deepEqual(frozen, [6, 4]);
  assert.deepEqual(result.frozenLayerNames, ["conv1", "pool1", "conv2", "pool2"]);
  result.model.dispose();
});

test("aborting the signal stops mid-epoch with FineTuneCancelledError", async () => {
  const { meta, base } = await loadBuiltin("digits-cnn");
  const controller = new AbortController();
  let batches = 0;
  let epochs = 0;
  await assert.rejects(
    fineTune({
      base,
      preprocessing: meta.preprocessing,
      featureLayer: meta.featureLayer,
      dataset: mnist59,
      hyperparameters: hyperparameters({ maxSamples: 300, batchSize: 16, freeze: { strategy: "NONE" } }),
      signal: controller.signal,
      onBatch: () => {
        if (++batches === 3) controller.abort();
      },
      onEpoch: async () => {
        epochs++;
      },
    }),
    FineTuneCancelledError,
  );
  assert.equal(batches, 3, "no batch runs after the abort");
  assert.equal(epochs, 0);
});

test("resume restores the checkpoint and continues at the next epoch", async () => {
  const first = await loadBuiltin("digits-cnn");
  let checkpoint: Uint8Array | undefined;
  const settings = hyperparameters({ maxSamples: 100, epochs: 2, freeze: { strategy: "FIRST_N", layers: 4 } });
  const a = await fineTune({
    base: first.base,
    preprocessing: first.meta.preprocessing,
    featureLayer: first.meta.featureLayer,
    dataset: mnist59,
    hyperparameters: { ...settings, epochs: 1 },
    onEpoch: async (_, __, save) => {
      checkpoint = await save();
    },
  });
  const { parsed: atCheckpoint } = await exportModel(a.model);
  a.model.dispose();
  assert.ok(checkpoint);

  // Nothing left to train: the model must be exactly the checkpoint.
  const second = await loadBuiltin("digits-cnn");
  const restored = await fineTune({
    base: second.base,
    preprocessing: second.meta.preprocessing,
    featureLayer: second.meta.featureLayer,
    dataset: mnist59,
    hyperparameters: { ...settings, epochs: 1 },
    resume: { completedEpochs: 1, checkpoint },
  });
  assert.equal(restored.epochsCompleted, 1);
  const { parsed: restoredParsed } = await exportModel(restored.model);
  assert.deepEqual(
    restoredParsed.layers.map((l) => l.weightHash),
    atCheckpoint.layers.map((l) => l.weightHash),
  );
  restored.model.dispose();

  const third = await loadBuiltin("digits-cnn");
  const seen: number[] = [];
  const resumed = await fineTune({
    base: third.base,
    preprocessing: third.meta.preprocessing,
    featureLayer: third.meta.featureLayer,
    dataset: mnist59,
    hyperparameters: settings,
    resume: { completedEpochs: 1, checkpoint },
    onEpoch: async (epoch) => {
      seen.push(epoch);
    },
  });
  assert.deepEqual(seen, [2]);
  assert.equal(resumed.epochsCompleted, 2);
  resumed.model.dispose();
});

test("early stopping ends the run when the monitored metric stops improving", async () => {
  const { meta, base } = await loadBuiltin("digits-cnn");
  const seen: number[] = [];
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: meta.featureLayer,
    dataset: mnist59,
    // No epoch can cut the loss by a whole nat after the first: patience 1 stops at epoch 2.
    hyperparameters: hyperparameters({
      maxSamples: 100,
      epochs: 6,
      earlyStopping: { monitor: "loss", patience: 1, minDelta: 1 },
    }),
    onEpoch: async (epoch) => {
      seen.push(epoch);
    },
  });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(result.stoppedEarly, true);
  assert.equal(result.epochsCompleted, 2);
  result.model.dispose();
});

test("SCRATCH initialization trains the base's architecture from re-initialized weights, the same for a seed", async () => {
  const trained = async (seed: number) => {
    const { meta, parsed: parent, base } = await loadBuiltin("digits-cnn");
    let first: EpochMetrics | undefined;
    const result = await fineTune({
      base,
      preprocessing: meta.preprocessing,
      featureLayer: meta.featureLayer,
      dataset: mnist59,
      hyperparameters: hyperparameters({
        maxSamples: 60,
        epochs: 1,
        seed,
        initialization: "SCRATCH",
        freeze: { strategy: "NONE" },
      }),
      onEpoch: async (_, m) => {
        first = m;
      },
    });
    const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
    result.model.dispose();
    return { parent, child, first, result };
  };
  const a = await trained(5);
  const hash = (p: typeof a.parent, name: string) => p.layers.find((l) => l.name === name)?.weightHash;
  assert.equal(a.result.trainingPath, "FULL");
  assert.deepEqual(a.result.frozenLayerNames, []);
  // Every conv weight trains from scratch: conv1 80 + conv2 1168 + the head on 400 features.
  assert.equal(a.first?.trainableParams, 80 + 1168 + 400 * 5 + 5);
  assert.notEqual(hash(a.child, "conv1"), hash(a.parent, "conv1"), "conv1 does not start from the base");
  const again = await trained(5);
  assert.equal(hash(again.child, "conv1"), hash(a.child, "conv1"), "one seed, one result");
  const other = await trained(6);
  assert.notEqual(hash(other.child, "conv1"), hash(a.child, "conv1"), "another seed, other weights");
});

test("a feature layer that is not a vector is refused before training", async () => {
  const { meta, base } = await loadBuiltin("digits-cnn");
  await assert.rejects(
    fineTune({
      base,
      preprocessing: meta.preprocessing,
      featureLayer: "conv2",
      dataset: mnist59,
      hyperparameters: hyperparameters({ maxSamples: 100 }),
    }),
    /not a feature vector/,
  );
});

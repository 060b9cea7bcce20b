import assert from "node:assert/strict";
import { test } from "node:test";
import type { EpochMetrics } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { exportModel } from "./export.ts";
import { fineTune } from "./fine-tune.ts";
import { changedFrozenLayers, loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });

test("mobilenet-v2 frozen fine-tune runs through the feature cache on grey digits resized to 224x224x3", async () => {
  const { meta, parsed: parent, base } = await loadBuiltin("mobilenet-v2");
  const epochs: EpochMetrics[] = [];
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: null,
    dataset: mnist59,
    hyperparameters: hyperparameters({ maxSamples: 40, batchSize: 8, validationSplit: 0.25 }),
    onEpoch: async (_, m) => {
      epochs.push(m);
    },
  });
  assert.equal(result.trainingPath, "FEATURE_CACHE");
  assert.equal(result.featureLayer, "flatten_1", "the cut guessed past dense_1..dense_3");
  assert.equal(epochs.length, 2);
  for (const m of epochs) {
    assert.ok(Number.isFinite(m.loss) && Number.isFinite(m.valLoss as number));
    assert.equal(m.trainableParams, 1280 * 5 + 5);
  }
  const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
  assert.equal(result.frozenLayerNames.length, child.layers.length - 2);
  // The parent's weights are uint8-quantized; the child's float32 copies must hash the same.
  assert.deepEqual(changedFrozenLayers(parent, child, result.frozenLayerNames), []);
  assert.deepEqual(child.inputShape, [224, 224, 3]);
  result.model.dispose();
});

test("frozen BatchNormalization layers keep their statistics on the FULL path", async () => {
  const { meta, parsed: parent, base } = await loadBuiltin("mobilenet-v2");
  const baseLayers = base.layers.findIndex((l) => l.name === "flatten_1");
  // Everything frozen but Conv_1_bn and the weightless layers above it: a FULL run whose
  // forward pass goes through ~50 frozen BN layers in training mode.
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: "flatten_1",
    dataset: mnist59,
    hyperparameters: hyperparameters({
      epochs: 1,
      maxSamples: 16,
      batchSize: 8,
      validationSplit: 0,
      freeze: { strategy: "FIRST_N", layers: baseLayers - 4 },
    }),
  });
  assert.equal(result.trainingPath, "FULL");
  const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
  assert.ok(result.frozenLayerNames.includes("block_16_project_BN"));
  assert.deepEqual(changedFrozenLayers(parent, child, result.frozenLayerNames), []);
  const hash = (p: typeof parent) => p.layers.find((l) => l.name === "Conv_1_bn")?.weightHash;
  assert.notEqual(hash(child), hash(parent), "the trainable BN layer did train");
  result.model.dispose();
});

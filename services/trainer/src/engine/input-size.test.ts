import assert from "node:assert/strict";
import { test } from "node:test";
import { HEAD_LAYER_NAMES, type ImagePreprocessing } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import * as tf from "@tensorflow/tfjs";
import { InvalidFineTuneError } from "../job-errors.ts";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { exportModel } from "./export.ts";
import { featureCacheKey } from "./feature-cache.ts";
import { fineTune } from "./fine-tune.ts";
import { atInputSize } from "./input-size.ts";
import { preprocessBatch } from "./preprocess.ts";
import { changedFrozenLayers, loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });
if (!("images" in mnist59)) throw new Error("mnist-5-9 is an image dataset");
const backboneOf = (model: tf.LayersModel) =>
  tf.model({ inputs: model.inputs, outputs: model.getLayer("flatten_1").output as tf.SymbolicTensor });

test("mobilenet-v2 rebuilt at its own 224x224 gives the original's features (its 7x7 pooling is a global average)", async () => {
  const original = await loadBuiltin("mobilenet-v2");
  const copy = await loadBuiltin("mobilenet-v2");
  const rebuilt = await atInputSize(copy.base, 224, "flatten_1");
  const x = preprocessBatch(mnist59, [0, 1, 2], [224, 224, 3], original.meta.preprocessing as ImagePreprocessing);
  const [expected, actual] = [backboneOf(original.base), backboneOf(rebuilt)].map((m) => m.predict(x) as tf.Tensor);
  assert.deepEqual(actual?.shape, [3, 1280]);
  const diff = tf.max(tf.abs(tf.sub(expected as tf.Tensor, actual as tf.Tensor))).dataSync()[0] as number;
  const scale = tf.max(tf.abs(expected as tf.Tensor)).dataSync()[0] as number;
  assert.ok(scale > 0.01, "the features are not all zero");
  assert.ok(diff <= 1e-4 * scale, `largest difference ${diff} against features up to ${scale}`);
  tf.dispose([x, expected as tf.Tensor, actual as tf.Tensor]);
  original.base.dispose();
  rebuilt.dispose();
});

test("a frozen mobilenet-v2 fine-tune at inputSize 64 trains end to end and exports a 64x64 model", async () => {
  const { meta, parsed: parent, base } = await loadBuiltin("mobilenet-v2");
  const reference = await loadBuiltin("mobilenet-v2");
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: "flatten_1",
    dataset: mnist59,
    hyperparameters: hyperparameters({ epochs: 1, maxSamples: 12, batchSize: 4, validationSplit: 0.25, inputSize: 64 }),
  });
  assert.equal(result.trainingPath, "FEATURE_CACHE");
  assert.equal(result.featureLayer, "flatten_1");
  const { parsed: child } = await exportModel(result.model, { frozenLayerNames: result.frozenLayerNames });
  assert.deepEqual(child.inputShape, [64, 64, 3]);
  // The cut and its 1280 pooled features stay: a linear head over 5 classes.
  assert.equal(child.layers.find((l) => l.name === HEAD_LAYER_NAMES.output)?.params, 1280 * 5 + 5);
  // Every weight kept: the frozen layers hash as the parent's.
  assert.deepEqual(changedFrozenLayers(parent, child, result.frozenLayerNames), []);
  // The feature cache keeps 64x64 features apart from 224x224 ones (the input layer's config is hashed).
  const key = (model: tf.LayersModel) =>
    featureCacheKey({
      backbone: backboneOf(model),
      data: mnist59,
      preprocessing: meta.preprocessing as ImagePreprocessing,
      backend: "wasm",
    });
  assert.notEqual(key(result.model), key(reference.base));
  result.model.dispose();
  reference.base.dispose();
});

test("digits-cnn cannot change its input size: its flatten reads a spatial map", async () => {
  const { base } = await loadBuiltin("digits-cnn");
  await assert.rejects(atInputSize(base, 64, "flatten"), (error: unknown) => {
    assert.ok(error instanceof InvalidFineTuneError);
    assert.match(error.message, /flatten flattens a spatial map/);
    return true;
  });
  base.dispose();
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelArtifact } from "@graft/artifacts";
import {
  BUILTIN_DATASETS,
  BUILTIN_MODELS,
  builtinModel,
  loadBuiltinDatasetPixels,
  UnknownBuiltinError,
} from "./index.ts";

test("built-in dataset metadata matches the pixels the mnist package holds", async () => {
  for (const dataset of BUILTIN_DATASETS) {
    const pixels = await loadBuiltinDatasetPixels(dataset.key);
    assert.equal(pixels.shape[0], dataset.sampleCount);
    assert.equal(pixels.images.length, dataset.sampleCount * 28 * 28);
    assert.deepEqual(pixels.labelNames, dataset.labels);
    const counts = new Array(dataset.labels.length).fill(0);
    for (const label of pixels.labels) counts[label]++;
    assert.deepEqual(counts, dataset.classCounts);
  }
  const mnist = BUILTIN_DATASETS.find((d) => d.key === "mnist");
  assert.equal(mnist?.sampleCount, 10_000);
});

test("mnist pixels are 0..255 digits, not blank", async () => {
  const { images } = await loadBuiltinDatasetPixels("mnist-5-9");
  const first = images.subarray(0, 784);
  assert.equal(Math.max(...first), 255);
  assert.ok(first.filter((v) => v > 0).length > 50, "a digit has ink");
});

test("unknown built-ins are refused with a typed error", async () => {
  await assert.rejects(loadBuiltinDatasetPixels("cifar"), UnknownBuiltinError);
  assert.throws(() => builtinModel("resnet"), UnknownBuiltinError);
});

test("every built-in model loads as a valid artifact matching its metadata", async () => {
  for (const model of BUILTIN_MODELS) {
    const parsed = parseModelArtifact(await model.load());
    assert.deepEqual(parsed.inputShape, model.inputShape, model.key);
    assert.equal(parsed.outputUnits, model.labels.length, model.key);
    assert.ok(
      parsed.layers.some((l) => l.name === model.featureLayer),
      `${model.key} has its feature layer`,
    );
    assert.ok(parsed.paramCount > 1000, model.key);
  }
  const digits = builtinModel("digits-cnn");
  assert.equal(digits.provenance.seed, 1234);
  assert.ok((digits.provenance.finalHoldoutAccuracy as number) > 0.9);
  assert.equal(builtinModel("mobilenet-v2").provenance.package, "nsfwjs");
});

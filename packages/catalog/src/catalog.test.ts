import assert from "node:assert/strict";
import { test } from "node:test";
import { parseModelArtifact } from "@graft/artifacts";
import {
  BUILTIN_DATASETS,
  BUILTIN_MODELS,
  builtinModel,
  builtinSampleTexts,
  loadBuiltinDatasetPixels,
  loadBuiltinDatasetTexts,
  TEXT_DATASETS,
  UnknownBuiltinError,
} from "./index.ts";

test("built-in dataset metadata matches the pixels the mnist package holds", async () => {
  for (const dataset of BUILTIN_DATASETS) {
    if (dataset.task !== "image-classification") continue;
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

test("built-in text dataset metadata matches the texts its corpus package holds", async () => {
  for (const dataset of TEXT_DATASETS) {
    const data = await loadBuiltinDatasetTexts(dataset.key);
    assert.equal(data.texts.length, dataset.sampleCount, dataset.key);
    assert.deepEqual(data.labelNames, dataset.labels);
    const counts = new Array(dataset.labels.length).fill(0);
    for (const label of data.labels) counts[label]++;
    assert.deepEqual(counts, dataset.classCounts, dataset.key);
    for (const text of data.texts) assert.ok(text.trim().length > 0 && text.length <= 2000, dataset.key);
  }
});

test("spam texts are decoded mail bodies without markup, and previews need not parse the corpus", async () => {
  const spam = await loadBuiltinDatasetTexts("spam-assassin");
  const tagged = spam.texts.filter((t) => /<\/?(html|body|table|td|font|p)\b/i.test(t));
  assert.ok(tagged.length < spam.texts.length / 100, `${tagged.length} texts still hold HTML tags`);
  const undecoded = spam.texts.filter((t) => t.includes("=3D"));
  // A few mails carry quoted-printable without declaring it; the declared ones are decoded.
  assert.ok(undecoded.length < spam.texts.length / 100, `${undecoded.length} texts hold quoted-printable`);
  const samples = await builtinSampleTexts("spam-assassin", 2);
  assert.deepEqual(
    samples.map((s) => s.length),
    [2, 2],
  );
  assert.equal(
    samples[1]?.[0],
    spam.texts[spam.labels.indexOf(1)]?.slice(0, 279).concat(samples[1]?.[0]?.endsWith("…") ? "…" : ""),
  );
  const brown = await builtinSampleTexts("brown-genres", 1);
  assert.equal(brown.length, 15);
  assert.match(brown[0]?.[0] ?? "", /^The Fulton County Grand Jury said Friday/);
  assert.doesNotMatch(brown[0]?.[0] ?? "", /\/(at|nn)\b/, "part-of-speech tags are removed");
});

test("unknown built-ins are refused with a typed error", async () => {
  await assert.rejects(loadBuiltinDatasetPixels("cifar"), UnknownBuiltinError);
  await assert.rejects(loadBuiltinDatasetPixels("spam-assassin"), UnknownBuiltinError);
  assert.throws(() => loadBuiltinDatasetTexts("mnist"), UnknownBuiltinError);
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

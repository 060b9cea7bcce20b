import assert from "node:assert/strict";
import { test } from "node:test";
import { trainSampleCount } from "@graft/contracts";
import { stratifiedSplit } from "./split.ts";

// 3 classes x 100 samples.
const labels = Int32Array.from({ length: 300 }, (_, i) => i % 3);
const classCounts = (indices: Int32Array) => [0, 1, 2].map((c) => indices.filter((i) => labels[i] === c).length);

test("a train fraction keeps the validation set and subsamples each class's training part", () => {
  const full = stratifiedSplit(labels, 3, 0.2, 7, null);
  const tenth = stratifiedSplit(labels, 3, 0.2, 7, null, 0.1);
  const hundredth = stratifiedSplit(labels, 3, 0.2, 7, null, 0.01);
  assert.deepEqual([...tenth.validation], [...full.validation], "same validation set at every fraction");
  assert.deepEqual(classCounts(full.train), [80, 80, 80]);
  assert.deepEqual(classCounts(tenth.train), [8, 8, 8]);
  assert.deepEqual(classCounts(hundredth.train), [1, 1, 1], "at least one sample per class");
  const larger = new Set(tenth.train);
  assert.ok(
    [...hundredth.train].every((i) => larger.has(i)),
    "a smaller fraction is a subset of a larger one",
  );
  assert.ok(
    [...tenth.train].every((i) => !full.validation.includes(i)),
    "no validation sample is trained on",
  );
});

test("a train fraction repeats for a seed and differs between seeds", () => {
  const a = stratifiedSplit(labels, 3, 0.2, 7, null, 0.1);
  assert.deepEqual([...stratifiedSplit(labels, 3, 0.2, 7, null, 0.1).train], [...a.train]);
  assert.notDeepEqual([...stratifiedSplit(labels, 3, 0.2, 8, null, 0.1).train].sort(), [...a.train].sort());
});

test("trainSampleCount (what the gateway reports for a study cell) is the split's training size", () => {
  // Uneven classes: 37, 120 and 5 samples.
  const uneven = Int32Array.from([...Array(37).fill(0), ...Array(120).fill(1), ...Array(5).fill(2)]);
  for (const [validationSplit, maxSamples, fraction] of [
    [0.2, null, 1],
    [0.2, null, 0.1],
    [0.25, 100, 0.3],
    [0, null, 0.01],
  ] as const) {
    const split = stratifiedSplit(uneven, 3, validationSplit, 3, maxSamples, fraction);
    const hp = { validationSplit, maxSamples, trainFraction: fraction };
    assert.equal(trainSampleCount([37, 120, 5], hp), split.train.length, JSON.stringify(hp));
  }
});

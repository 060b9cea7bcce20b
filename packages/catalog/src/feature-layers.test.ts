import assert from "node:assert/strict";
import { test } from "node:test";
import { featureLayerCandidates } from "@graft/artifacts";
import { BUILTIN_MODELS } from "./models.ts";

const candidatesOf = async (key: string) => {
  const model = BUILTIN_MODELS.find((m) => m.key === key);
  if (!model) throw new Error(`no built-in ${key}`);
  return featureLayerCandidates(await model.load()).map((c) => `${c.name} [${c.outputShape}]`);
};

test("digits-cnn can be cut after its conv features or its 32-unit dense layer", async () => {
  // conv 3x3 valid 28->26, pool 13, conv 3x3 11, pool 5: 5 * 5 * 16 = 400.
  assert.deepEqual(await candidatesOf("digits-cnn"), ["flatten [400]", "features [32]"]);
});

test("mobilenet-v2 candidates include its globally pooled 1280 features and its dense layers", async () => {
  const found = await candidatesOf("mobilenet-v2");
  assert.ok(found.includes("flatten_1 [1280]"), found.join(", "));
  assert.ok(found.includes("dense_1 [256]"), found.join(", "));
  assert.ok(!found.some((c) => c.startsWith("dense_3")), "the classifier is not a candidate");
});

test("text bases can be cut after their sequence summary", async () => {
  assert.deepEqual(await candidatesOf("text-gru"), ["gru [64]", "features [64]"]);
  const transformer = await candidatesOf("text-transformer");
  assert.ok(transformer.includes("features [64]"), transformer.join(", "));
});

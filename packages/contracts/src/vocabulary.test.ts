import assert from "node:assert/strict";
import { test } from "node:test";
import { hyperparametersSchema } from "./hyperparameters.ts";
import { isIdToken, isUuid } from "./ids.ts";
import { runEventSchema } from "./messages.ts";
import { higherIsBetter } from "./metrics.ts";
import { trainingPathFor } from "./training-path.ts";

const failed = (code: string) => ({
  type: "failed",
  runId: "run-1",
  attempt: 1,
  trainerId: "trainer-1",
  at: new Date().toISOString(),
  claim: "0".repeat(64),
  error: { code, message: "it broke" },
  final: true,
});

test("a failed event keeps a known run error code and reads an unknown one as TRAINING_ERROR", () => {
  const known = runEventSchema.parse(failed("CORRUPT_MODEL"));
  assert.ok(known.type === "failed");
  assert.deepEqual(known.error, { code: "CORRUPT_MODEL", message: "it broke" });
  const unknown = runEventSchema.parse(failed("GPU_ON_FIRE"));
  assert.ok(unknown.type === "failed");
  assert.deepEqual(unknown.error, { code: "TRAINING_ERROR", message: "it broke" });
});

test("only a run that keeps every base layer frozen throughout trains on the feature cache", () => {
  const path = (input: object) => trainingPathFor(hyperparametersSchema.parse({ epochs: 3, ...input }));
  assert.equal(path({}), "FEATURE_CACHE");
  assert.equal(path({ freeze: { strategy: "ALL_BASE" }, unfreezeSchedule: [{ epoch: 2, layers: 1 }] }), "FULL");
  assert.equal(path({ freeze: { strategy: "FIRST_N", layers: 2 } }), "FULL");
  assert.equal(path({ freeze: { strategy: "NONE" } }), "FULL");
});

test("ids: UUIDs name rows, id tokens are safe in subjects and keys", () => {
  assert.ok(isUuid("0B5D2C1E-0000-4000-8000-000000000000"));
  assert.ok(!isUuid("../etc"));
  assert.ok(!isUuid(42));
  assert.ok(isIdToken("run_1-A"));
  for (const bad of ["", "a.b", "a*", "a>", "a b", "x".repeat(129), "../x"]) assert.ok(!isIdToken(bad), bad);
});

test("accuracies are better high, losses low", () => {
  assert.deepEqual((["loss", "accuracy", "valLoss", "valAccuracy"] as const).map(higherIsBetter), [
    false,
    true,
    false,
    true,
  ]);
});

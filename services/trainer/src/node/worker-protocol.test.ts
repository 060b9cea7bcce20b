import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import { IncompatibleDatasetError } from "../job-errors.ts";
import { classifyFailure } from "./failures.ts";
import { deserializeError, serializeError } from "./worker-protocol.ts";

/** What the main thread sees of an error thrown in the training thread (structured clone included). */
const across = (error: unknown) => deserializeError(structuredClone(serializeError(error)));

test("errors from the training thread keep the class and code the failure table reads", () => {
  const cases: [unknown, string, boolean][] = [
    [new IncompatibleDatasetError("1 label"), "INCOMPATIBLE_DATASET", false],
    [new InvalidModelError("short weights"), "CORRUPT_MODEL", false],
    [new InvalidDatasetError("no images", "a/b.png"), "INVALID_DATASET", false],
    [new RangeError("Array buffer allocation failed"), "OUT_OF_MEMORY", true],
    [Object.assign(new Error("connection closed"), { name: "ClosedConnectionError" }), "INFRASTRUCTURE_ERROR", true],
    [new Error("NaN loss"), "TRAINING_ERROR", true],
  ];
  for (const [error, code, retryable] of cases) {
    const before = classifyFailure(error);
    const after = classifyFailure(across(error));
    assert.deepEqual(after, before, `${(error as Error).name}`);
    assert.equal(after.code, code);
    assert.equal(after.retryable, retryable);
  }
  const rebuilt = across(new IncompatibleDatasetError("1 label"));
  assert.ok(rebuilt instanceof IncompatibleDatasetError);
  assert.equal(rebuilt.message, "incompatible dataset: 1 label");
});

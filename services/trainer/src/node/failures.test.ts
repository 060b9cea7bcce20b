import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import { CorruptModelError, IncompatibleDatasetError, InvalidFineTuneError, PermanentJobError } from "../job-errors.ts";
import { classifyFailure } from "./failures.ts";

const summary = (error: unknown) => {
  const { code, retryable } = classifyFailure(error);
  return { code, retryable };
};

test("the trainer's job errors are final with their own code, found by class", () => {
  assert.deepEqual(summary(new CorruptModelError("short weights")), { code: "CORRUPT_MODEL", retryable: false });
  assert.deepEqual(summary(new IncompatibleDatasetError("1 label")), {
    code: "INCOMPATIBLE_DATASET",
    retryable: false,
  });
  assert.deepEqual(summary(new InvalidFineTuneError("no layer x")), {
    code: "INVALID_HYPERPARAMETERS",
    retryable: false,
  });
  assert.deepEqual(summary(new PermanentJobError("MODEL_NOT_FOUND", "gone")), {
    code: "MODEL_NOT_FOUND",
    retryable: false,
  });
  // A subclass renamed or minified keeps its classification: the class decides, not the name.
  const renamed = Object.assign(new CorruptModelError("x"), { name: "Error" });
  assert.deepEqual(summary(renamed), { code: "CORRUPT_MODEL", retryable: false });
});

test("artifact format errors are final data errors", () => {
  assert.deepEqual(summary(new InvalidModelError("bad json")), { code: "CORRUPT_MODEL", retryable: false });
  assert.deepEqual(summary(new InvalidDatasetError("no images")), { code: "INVALID_DATASET", retryable: false });
});

test("anything else is a retried TRAINING_ERROR, whatever code or name it carries", () => {
  assert.deepEqual(summary(new Error("NATS hiccup")), { code: "TRAINING_ERROR", retryable: true });
  const system = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
  assert.deepEqual(summary(system), { code: "TRAINING_ERROR", retryable: true });
  const named = Object.assign(new Error("looks corrupt"), { name: "CorruptModelError" });
  assert.deepEqual(summary(named), { code: "TRAINING_ERROR", retryable: true });
  assert.deepEqual(summary("a string"), { code: "TRAINING_ERROR", retryable: true });
});

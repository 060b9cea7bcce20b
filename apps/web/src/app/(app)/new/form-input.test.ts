import assert from "node:assert/strict";
import { test } from "node:test";
import { controlForField, DEFAULT_VALUES, FormInputError, toStartFineTuneInput } from "./form-input.ts";

const filled = { ...DEFAULT_VALUES, baseModelId: "base", datasetId: "data" };

test("keep checkpoints: empty sends none (the API's 0), a whole number is sent, anything else stays on the field", () => {
  assert.equal(toStartFineTuneInput(filled).keepCheckpoints, undefined);
  assert.equal(toStartFineTuneInput({ ...filled, keepCheckpoints: " 2 " }).keepCheckpoints, 2);
  // Out of range is the API's call (its message goes next to the field), not the form's.
  assert.equal(toStartFineTuneInput({ ...filled, keepCheckpoints: "21" }).keepCheckpoints, 21);
  for (const bad of ["2.5", "two"]) {
    assert.throws(
      () => toStartFineTuneInput({ ...filled, keepCheckpoints: bad }),
      (e: unknown) => e instanceof FormInputError && e.control === "keepCheckpoints",
    );
  }
  assert.equal(controlForField("input.keepCheckpoints"), "keepCheckpoints");
});

test("input size: empty keeps the base's, a whole number is sent, a server refusal lands on the field", () => {
  assert.equal(toStartFineTuneInput(filled).inputSize, undefined);
  assert.equal(toStartFineTuneInput({ ...filled, inputSize: " 64 " }).inputSize, 64);
  assert.throws(
    () => toStartFineTuneInput({ ...filled, inputSize: "64px" }),
    (e: unknown) => e instanceof FormInputError && e.control === "inputSize",
  );
  assert.equal(controlForField("input.inputSize"), "inputSize");
});

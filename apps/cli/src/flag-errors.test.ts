import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftApiError } from "@graft/client";
import { UsageError } from "./errors.ts";
import { withFlagErrors } from "./flag-errors.ts";

const FLAGS = { "input.epochs": "--epochs" };
const refuse = (error: Error) => () => Promise.reject(error);

test("the gateway's refusal of a flag's value becomes a usage error naming the flag", async () => {
  const refused = new GraftApiError(
    "BAD_USER_INPUT",
    "input.epochs: Too big: expected number to be <=1000",
    "input.epochs",
  );
  const error = await withFlagErrors(FLAGS, refuse(refused)).catch((e: unknown) => e);
  assert.ok(error instanceof UsageError);
  assert.equal(error.field, "--epochs");
  assert.equal(error.message, "Too big: expected number to be <=1000");
  assert.equal(error.cause, refused);
});

test("other refusals pass through unchanged", async () => {
  for (const other of [
    new GraftApiError("BAD_USER_INPUT", "needs validationSplit > 0", "input.earlyStopping.monitor"),
    new GraftApiError("NOT_FOUND", "no such model", "input.epochs"),
    new Error("boom"),
  ]) {
    assert.equal(await withFlagErrors(FLAGS, refuse(other)).catch((e: unknown) => e), other);
  }
  assert.equal(await withFlagErrors(FLAGS, () => Promise.resolve(7)), 7);
});

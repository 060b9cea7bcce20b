import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftApiError, GraftConnectionError, GraftError } from "./errors.ts";

test("an API error takes code and field from the first GraphQL error and keeps them all", () => {
  const error = GraftApiError.fromErrors(
    [
      { message: "input.epochs: too big", extensions: { code: "BAD_USER_INPUT", field: "input.epochs" } },
      { message: "second", extensions: { code: "NOT_FOUND" } },
    ],
    400,
  );
  assert.ok(error instanceof GraftError);
  assert.equal(error.code, "BAD_USER_INPUT");
  assert.equal(error.field, "input.epochs");
  assert.equal(error.status, 400);
  assert.equal(error.message, "input.epochs: too big; second");
  assert.equal(error.errors.length, 2);
  const listed = GraftApiError.fromErrors([{ message: "m", extensions: { code: "X", field: ["input", "seed"] } }]);
  assert.equal(listed.field, "input.seed");
  assert.equal(GraftApiError.fromErrors([{ message: "no code" }]).code, "INTERNAL_SERVER_ERROR");
});

test("an error made here reads like one from the gateway", () => {
  const error = new GraftApiError("NOT_FOUND", 'no dataset named "x"', "dataset");
  assert.deepEqual(error.errors, [
    { message: 'no dataset named "x"', extensions: { code: "NOT_FOUND", field: "dataset" } },
  ]);
});

test("a connection error is a GraftError of its own kind, with the URL", () => {
  const error = new GraftConnectionError("http://127.0.0.1:1/graphql", "cannot reach");
  assert.ok(error instanceof GraftError);
  assert.ok(!(error instanceof GraftApiError));
  assert.equal(error.code, "GATEWAY_UNAVAILABLE");
  assert.equal(error.field, undefined);
  assert.equal(error.status, undefined);
  assert.equal(error.url, "http://127.0.0.1:1/graphql");
});

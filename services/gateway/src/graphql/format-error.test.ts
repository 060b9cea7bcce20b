import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphQLError } from "graphql";
import { BadUserInputError, NotFoundError } from "../domain/errors.ts";
import { createFormatError } from "./format-error.ts";

const located = (original: Error) => new GraphQLError(original.message, { path: ["run"], originalError: original });

test("hides the message and stack of unexpected errors and logs them instead", () => {
  const logged: string[] = [];
  const format = createFormatError((line) => logged.push(line));
  const secret = new Error("connection to 10.0.0.5:5432 refused");
  const out = format(
    { message: secret.message, path: ["run"], extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["x"] } },
    located(secret),
  );
  assert.deepEqual(out, {
    message: "Internal server error",
    path: ["run"],
    extensions: { code: "INTERNAL_SERVER_ERROR" },
  });
  assert.match(logged.join("\n"), /10\.0\.0\.5/);
});

test("gives domain errors their code, field and issues", () => {
  const format = createFormatError(() => {});
  const out = format(
    { message: "m", path: ["startFineTune"] },
    located(new BadUserInputError("input.epochs", "too many")),
  );
  assert.equal(out.extensions?.code, "BAD_USER_INPUT");
  assert.equal(out.extensions?.field, "input.epochs");
  assert.deepEqual(out.extensions?.issues, [{ field: "input.epochs", message: "too many" }]);
  assert.equal(format({ message: "m" }, located(new NotFoundError("run", "x"))).extensions?.code, "NOT_FOUND");
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import { startNatsServer } from "@graft/natsd";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { CorruptModelError, IncompatibleDatasetError, InvalidFineTuneError, PermanentJobError } from "../job-errors.ts";
import { classifyFailure, retryDelayMs } from "./failures.ts";

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
  const named = Object.assign(new Error("looks corrupt"), { name: "CorruptModelError" });
  assert.deepEqual(summary(named), { code: "TRAINING_ERROR", retryable: true });
  assert.deepEqual(summary("a string"), { code: "TRAINING_ERROR", retryable: true });
});

test("NATS and network failures are INFRASTRUCTURE_ERROR, retried after a longer wait than a training error", async () => {
  // Real errors from a real client: a request to a server that went away, a JetStream publish with no stream.
  const server = await startNatsServer();
  const nc = await connect({ servers: server.url, reconnect: false });
  const js = jetstream(nc, { timeout: 500 });
  const noStream = await js.publish("no.stream.here", "x").catch((e: unknown) => e);
  assert.deepEqual(summary(noStream), { code: "INFRASTRUCTURE_ERROR", retryable: true });
  await server.stop();
  await nc.closed();
  const closed = await nc.request("anything", "x", { timeout: 500 }).catch((e: unknown) => e);
  assert.deepEqual(summary(closed), { code: "INFRASTRUCTURE_ERROR", retryable: true });
  // Wrapped by whoever called NATS: the cause decides.
  const wrapped = new Error("saving the checkpoint failed", { cause: closed });
  assert.deepEqual(summary(wrapped), { code: "INFRASTRUCTURE_ERROR", retryable: true });
  const refused = await connect({ servers: server.url, reconnect: false }).catch((e: unknown) => e);
  assert.deepEqual(summary(refused), { code: "INFRASTRUCTURE_ERROR", retryable: true });

  assert.ok(retryDelayMs(1, "INFRASTRUCTURE_ERROR") > retryDelayMs(1, "TRAINING_ERROR"));
  assert.equal(retryDelayMs(1, "TRAINER_STOPPED"), 0);
});

test("running out of memory is OUT_OF_MEMORY, retried", () => {
  let failed: unknown;
  try {
    // A real allocation failure: a terabyte.
    new ArrayBuffer(2 ** 40);
  } catch (error) {
    failed = error;
  }
  assert.ok(failed instanceof RangeError);
  assert.deepEqual(summary(failed), { code: "OUT_OF_MEMORY", retryable: true });
  assert.ok(retryDelayMs(1, "OUT_OF_MEMORY") > retryDelayMs(1, "TRAINING_ERROR"));
});

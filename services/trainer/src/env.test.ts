import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidEnvError, readEnv } from "./env.ts";

const base = { GATEWAY_URL: "http://127.0.0.1:4000/graphql", NATS_URL: "nats://127.0.0.1:4222", GRAFT_JOIN_TOKEN: "t" };

test("reads the trainer environment with defaults", () => {
  const env = readEnv({ ...base, TRAINER_LABELS: "gpu, fast,,", TRAINER_MAX_CONCURRENT_RUNS: "2" });
  assert.equal(env.TRAINER_POOL, "default");
  assert.deepEqual(env.TRAINER_LABELS, ["gpu", "fast"]);
  assert.equal(env.TRAINER_MAX_CONCURRENT_RUNS, 2);
  assert.equal(env.TRAINER_HEARTBEAT_MS, 2_000);
  assert.equal(env.TRAINER_JOB_ACK_WAIT_MS, undefined, "read from the jobs consumer the gateway made");
  assert.match(env.TRAINER_NAME, /^[A-Za-z0-9_-]+$/);
});

test("rejects a bad environment naming every variable at fault", () => {
  assert.throws(
    () => readEnv({ ...base, GATEWAY_URL: "file:///etc/passwd", TRAINER_POOL: "a.b", TRAINER_BACKEND: "tpu" }),
    (error: unknown) =>
      error instanceof InvalidEnvError &&
      /GATEWAY_URL/.test(error.message) &&
      /TRAINER_POOL/.test(error.message) &&
      /TRAINER_BACKEND/.test(error.message),
  );
});

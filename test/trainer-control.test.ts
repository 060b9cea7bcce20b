import assert from "node:assert/strict";
import { test } from "node:test";
import { modelArtifactKey, openArtifactStore } from "@graft/artifacts";
import { JOBS_STREAM, jobsSubject, queuedJobIds } from "@graft/contracts";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { PLATFORM_WAIT, withStack } from "./support/stack.ts";
import { fineTuneInput, getRun, graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const stack = withStack({ trainers: ["solo"] });
const solo = () => stack.trainer("solo");
const fineTune = (overrides: Record<string, unknown> = {}) => fineTuneInput(stack.ids, overrides);

async function trainerStatus(): Promise<string | undefined> {
  const { trainer } = await graphql<{ trainer: { status: string } | null }>(
    stack.gateway,
    "query($id: ID!) { trainer(id: $id) { status } }",
    { id: solo().id },
  );
  return trainer?.status;
}

test("a corrupt base model artifact fails the run at once with a readable error; the trainer keeps working", async () => {
  const nc = await connect(gatewayConnectOptions(stack.nats));
  const store = await openArtifactStore(nc, { storage: "memory" });
  const weightsKey = `${modelArtifactKey(stack.ids.digitsCnn)}/weights.bin`;
  const original = await store.get(weightsKey);
  assert.ok(original, `no stored weights at ${weightsKey}`);
  try {
    await store.put(weightsKey, original.slice(0, Math.floor(original.byteLength / 2)));
    const queued = await startFineTune(stack.gateway, fineTune());
    const run = await waitForRunEnd(stack.gateway, queued.id);
    assert.equal(run.status, "FAILED");
    assert.equal(run.error?.code, "CORRUPT_MODEL", JSON.stringify(run.error));
    assert.match(run.error?.message ?? "", /weights|corrupt/i);
    assert.equal(run.attemptCount, 1, "a corrupt model is not retried");
    assert.equal(run.epochs.length, 0);
  } finally {
    await store.put(weightsKey, original);
    await nc.close();
  }
  assert.equal(solo().output().includes("unhandled"), false, solo().output());
  const next = await waitForRunEnd(stack.gateway, (await startFineTune(stack.gateway, fineTune())).id);
  assert.equal(next.status, "SUCCEEDED", JSON.stringify(next.error));
  assert.equal(next.trainer?.name, "solo");
});

test("cancelRun stops a running fine-tune: CANCELLED, and the trainer is free again", async () => {
  const queued = await startFineTune(
    stack.gateway,
    fineTune({ epochs: 50, freeze: { strategy: "NONE" }, maxSamples: 40, batchSize: 8 }),
  );
  await waitFor("the first epoch", async () => (await getRun(stack.gateway, queued.id)).epochs.length >= 1, {
    timeoutMs: 120_000,
  });
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: queued.id });
  const run = await waitForRunEnd(stack.gateway, queued.id, 60_000);
  assert.equal(run.status, "CANCELLED");
  assert.ok(run.epochs.length < 50, `ran ${run.epochs.length} epochs`);
  assert.equal(run.outputModel, null);
  await waitFor("solo to be idle again", async () => (await trainerStatus()) === "IDLE", PLATFORM_WAIT);
});

test("a drained trainer takes no new job", async () => {
  const { drainTrainer } = await graphql<{ drainTrainer: { status: string } }>(
    stack.gateway,
    "mutation($id: ID!) { drainTrainer(id: $id) { status } }",
    { id: solo().id },
  );
  assert.equal(drainTrainer.status, "DRAINING");
  await solo().waitForOutput(/draining: taking no new jobs/, 10_000);
  // A pull opened before the drain may still be waiting; let it expire.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const queued = await startFineTune(stack.gateway, fineTune());
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  const run = await getRun(stack.gateway, queued.id);
  assert.equal(run.status, "QUEUED");
  assert.equal(run.attemptCount, 0);
  // Heartbeats keep saying DRAINING, so the gateway does not flip it back.
  assert.equal(await trainerStatus(), "DRAINING");
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: queued.id });
});

test("a job that outlived its run's cancel is stopped as soon as a trainer reports taking it", async () => {
  // A pool no trainer serves yet, so the job waits in the queue.
  const pool = "leftover";
  const queued = await startFineTune(
    stack.gateway,
    fineTune({ pool, epochs: 50, freeze: { strategy: "NONE" }, maxSamples: 40, batchSize: 8 }),
  );
  const nc = await connect(gatewayConnectOptions(stack.nats));
  try {
    const jsm = await jetstreamManager(nc);
    const jobsInPool = async () => {
      const seqs: number[] = [];
      for await (const job of queuedJobIds(jsm, pool)) seqs.push(job.seq);
      return seqs;
    };
    const [seq] = await jobsInPool();
    assert.ok(seq, "the job is queued");
    const job = await jsm.streams.getMessage(JOBS_STREAM, { seq });
    assert.ok(job);
    await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: queued.id });
    await waitFor("cancelRun to remove the queued job", async () => (await jobsInPool()).length === 0, PLATFORM_WAIT);
    // As if that removal had been lost (NATS away, a timeout): the job is back in the queue.
    await jetstream(nc).publish(jobsSubject(pool), job.data, { msgID: `${queued.id}-leftover` });

    const trainer = await stack.startTrainer("leftover", { pool });
    await trainer.waitForOutput(new RegExp(`run ${queued.id}: cancel requested`), 60_000);
    await trainer.waitForOutput(new RegExp(`run ${queued.id}: cancelled`), 60_000);
    await waitFor("the leftover job to leave the queue", async () => (await jobsInPool()).length === 0, PLATFORM_WAIT);
    const run = await getRun(stack.gateway, queued.id);
    assert.equal(run.status, "CANCELLED");
    assert.equal(run.epochs.length, 0);
  } finally {
    await nc.close();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { openArtifactStore } from "@graft/artifacts";
import {
  encodeMessage,
  ensureJobsConsumer,
  ensureStreams,
  JOBS_STREAM,
  jobsConsumerName,
  jobsSubject,
  RUN_EVENTS_STREAM,
  type RunEvent,
  runEventsSubject,
} from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { testJobToken, waitFor } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Engine, inProcessEngine } from "./engine-port.ts";
import { startJobWorker } from "./job-worker.ts";

const untouchableEngine = new Proxy({} as Engine, {
  get: (_target, key) => () => {
    throw new Error(`engine.${String(key)} must not be called for an invalid job`);
  },
});

test("terminates invalid jobs, fails their run when the run id is readable, and keeps pulling", async () => {
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  const logs: string[] = [];
  let worker: ReturnType<typeof startJobWorker> | undefined;
  try {
    const jsm = await ensureStreams(nc, { storage: "memory" });
    await ensureJobsConsumer(jsm, "p1", { jobAckWaitMs: 4_000 });
    const js = jetstream(nc);
    const store = await openArtifactStore(nc, { storage: "memory" });
    worker = startJobWorker({
      nc,
      js,
      storeFor: () => store,
      engine: inProcessEngine(untouchableEngine),
      trainerId: "trainer-1",
      backend: "cpu",
      ackWaitMs: 4_000,
      maxDeliver: 5,
      log: (line) => logs.push(line),
      pool: "p1",
      maxConcurrentRuns: 1,
    });

    await js.publish(jobsSubject("p1"), new TextEncoder().encode("not json"));
    await js.publish(
      jobsSubject("p1"),
      encodeMessage({
        runId: "run-bad-hp",
        projectId: "p",
        hyperparameters: { epochs: -3 },
        jobToken: testJobToken("run-bad-hp"),
      }),
    );
    await js.publish(jobsSubject("p1"), encodeMessage({ runId: "../etc", hyperparameters: {} }));

    const consumerIdle = async () => {
      const info = await jsm.consumers.info(JOBS_STREAM, jobsConsumerName("p1"));
      return info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.consumer_seq === 3
        ? info
        : undefined;
    };
    const info = await waitFor("all three jobs to be terminated", consumerIdle);
    assert.equal(info.num_redelivered, 0, "a terminated job is never redelivered");
    // Work-queue retention: a terminated job leaves the stream.
    assert.equal((await jsm.streams.info(JOBS_STREAM)).state.messages, 0);

    const stored = await jsm.streams.getMessage(RUN_EVENTS_STREAM, {
      last_by_subj: runEventsSubject("trainer-1", "run-bad-hp"),
    });
    const event = stored?.json<RunEvent>();
    assert.equal(event?.type, "failed");
    assert.ok(event?.type === "failed" && event.final && event.error.code === "INVALID_JOB", JSON.stringify(event));
    assert.equal(event?.attempt, 1);
    assert.equal((await jsm.streams.info(RUN_EVENTS_STREAM)).state.messages, 1, "no event for an unreadable run id");
    assert.equal(logs.filter((line) => line.includes("rejected")).length, 3, logs.join("\n"));
    assert.deepEqual(worker.currentRuns(), []);
  } finally {
    await worker?.stop();
    await nc.close();
    await nats.stop();
  }
});

test("a draining worker takes no job until it resumes", async () => {
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  let worker: ReturnType<typeof startJobWorker> | undefined;
  try {
    const jsm = await ensureStreams(nc, { storage: "memory" });
    await ensureJobsConsumer(jsm, "p2", { jobAckWaitMs: 4_000 });
    const js = jetstream(nc);
    const store = await openArtifactStore(nc, { storage: "memory" });
    worker = startJobWorker({
      nc,
      js,
      storeFor: () => store,
      engine: inProcessEngine(untouchableEngine),
      trainerId: "trainer-2",
      backend: "cpu",
      ackWaitMs: 4_000,
      maxDeliver: 5,
      log: () => {},
      pool: "p2",
      maxConcurrentRuns: 1,
    });
    worker.setDraining(true);
    // Let a pull that was already open expire so the drain is fully in force.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await js.publish(jobsSubject("p2"), encodeMessage({ junk: true }));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    let info = await jsm.consumers.info(JOBS_STREAM, jobsConsumerName("p2"));
    assert.equal(info.delivered.consumer_seq, 0, "draining worker pulled a job");
    assert.equal(info.num_pending, 1);

    worker.setDraining(false);
    info = await waitFor("the job to be taken after resume", async () => {
      const i = await jsm.consumers.info(JOBS_STREAM, jobsConsumerName("p2"));
      return i.num_pending === 0 && i.num_ack_pending === 0 ? i : undefined;
    });
    assert.equal(info.delivered.consumer_seq, 1);
  } finally {
    await worker?.stop();
    await nc.close();
    await nats.stop();
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { modelArtifactKey, openArtifactStore } from "@graft/artifacts";
import {
  encodeMessage,
  ensureJobsConsumer,
  ensureStreams,
  JOBS_STREAM,
  jobsConsumerName,
  jobsSubject,
  RUN_EVENTS_STREAM,
  type RunEvent,
  runControlSubject,
  runEventsSubject,
} from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { jobMessage, waitFor } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NodeConnectionOptions } from "@nats-io/transport-node";
import { type Engine, inProcessEngine } from "./engine-port.ts";
import { startJobWorker } from "./job-worker.ts";

/** An engine whose model loading fails the way `failure(runId, attempt)` says; nothing else is reached. */
function failingEngine(failure: (call: number) => Error): Engine & { calls: number } {
  const engine = {
    calls: 0,
    initBackend: () => ({ backend: "cpu", devices: [] }),
    loadModel: async () => {
      engine.calls++;
      throw failure(engine.calls);
    },
    loadDataset: async () => {
      throw new Error("unreachable");
    },
    fineTune: async () => {
      throw new Error("unreachable");
    },
    exportModel: async () => {
      throw new Error("unreachable");
    },
  };
  return engine;
}

async function withWorker(engine: Engine, maxDeliver: number, body: (h: Harness) => Promise<void>) {
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  const jsm = await ensureStreams(nc, { storage: "memory" });
  await ensureJobsConsumer(jsm, "retry", { jobAckWaitMs: 4_000, jobMaxDeliver: maxDeliver });
  const store = await openArtifactStore(nc, { storage: "memory" });
  // Any stored model.json will do: the engine under test fails before reading it.
  await store.put(`${modelArtifactKey("base-1")}/model.json`, new TextEncoder().encode("{}"));
  const js = jetstream(nc);
  const worker = startJobWorker({
    nc,
    js,
    storeFor: () => store,
    engine: inProcessEngine(engine),
    trainerId: "trainer-r",
    backend: "cpu",
    ackWaitMs: 4_000,
    maxDeliver,
    log: () => {},
    pool: "retry",
    maxConcurrentRuns: 1,
  });
  const events = async (runId: string): Promise<RunEvent[]> => {
    const out: RunEvent[] = [];
    const info = await jsm.streams.info(RUN_EVENTS_STREAM);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const stored = await jsm.streams.getMessage(RUN_EVENTS_STREAM, { seq });
      if (stored?.subject === runEventsSubject("trainer-r", runId)) out.push(stored.json<RunEvent>());
    }
    return out;
  };
  const jobsLeft = async () => {
    const i = await jsm.consumers.info(JOBS_STREAM, jobsConsumerName("retry"));
    return i.num_pending + i.num_ack_pending;
  };
  try {
    await body({
      connectOptions: gatewayConnectOptions(nats),
      publishJob: (runId) => js.publish(jobsSubject("retry"), encodeMessage(jobMessage(runId, { pool: "retry" }))),
      events,
      jobsLeft,
    });
  } finally {
    await worker.stop();
    await nc.close();
    await nats.stop();
  }
}

interface Harness {
  connectOptions: NodeConnectionOptions;
  publishJob(runId: string): Promise<unknown>;
  events(runId: string): Promise<RunEvent[]>;
  jobsLeft(): Promise<number>;
}

const failures = (events: RunEvent[]) =>
  events.flatMap((e) => (e.type === "failed" ? [{ attempt: e.attempt, final: e.final, code: e.error.code }] : []));

test("a transient failure is retried on a new attempt; the last allowed delivery fails the run for good", async () => {
  const engine = failingEngine(() => new Error("NATS hiccup while loading"));
  await withWorker(engine, 2, async (h) => {
    await h.publishJob("run-flaky");
    await waitFor("two failed events", async () => failures(await h.events("run-flaky")).length === 2, {
      timeoutMs: 20_000,
    });
    assert.deepEqual(failures(await h.events("run-flaky")), [
      { attempt: 1, final: false, code: "TRAINING_ERROR" },
      { attempt: 2, final: true, code: "TRAINING_ERROR" },
    ]);
    await waitFor("the job to be terminated", async () => (await h.jobsLeft()) === 0, { timeoutMs: 20_000 });
    assert.equal(engine.calls, 2);
    const assigned = (await h.events("run-flaky")).filter((e) => e.type === "assigned").map((e) => e.attempt);
    assert.deepEqual(assigned, [1, 2]);
  });
});

test("a non-retryable failure ends the run on the first attempt", async () => {
  const corrupt = Object.assign(new Error("corrupt model: weights too short"), {
    name: "CorruptModelError",
    retryable: false,
    code: "CORRUPT_MODEL",
  });
  const engine = failingEngine(() => corrupt);
  await withWorker(engine, 5, async (h) => {
    await h.publishJob("run-corrupt");
    await waitFor("a failed event", async () => failures(await h.events("run-corrupt")).length === 1, {
      timeoutMs: 20_000,
    });
    await waitFor("the job to be terminated", async () => (await h.jobsLeft()) === 0, { timeoutMs: 20_000 });
    // Give a wrong redelivery the chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.deepEqual(failures(await h.events("run-corrupt")), [{ attempt: 1, final: true, code: "CORRUPT_MODEL" }]);
    assert.equal(engine.calls, 1);
  });
});

test("a trainer whose job was handed to a newer attempt stops without reporting or acking", async () => {
  let aborted: unknown;
  const engine: Engine = {
    initBackend: () => ({ backend: "cpu", devices: [] }),
    loadModel: async () => ({ layers: [], dispose: () => {} }),
    loadDataset: async () => ({}),
    // Trains until told to stop, as the real engine does at its next batch.
    fineTune: (options) =>
      new Promise((_, reject) => {
        options.signal?.addEventListener("abort", () => {
          aborted = options.signal?.reason;
          reject(new Error("fine-tune cancelled"));
        });
      }),
    exportModel: async () => {
      throw new Error("unreachable");
    },
  };
  await withWorker(engine, 5, async (h) => {
    await h.publishJob("run-taken");
    await waitFor("the run to start", async () => (await h.events("run-taken")).some((e) => e.type === "started"), {
      timeoutMs: 20_000,
    });
    // What the gateway says once another trainer's delivery of the same job announced itself.
    const nc = await connect(h.connectOptions);
    nc.publish(runControlSubject("run-taken"), encodeMessage({ type: "superseded", runId: "run-taken", attempt: 2 }));
    await nc.flush();
    await nc.close();
    await waitFor("the training to be stopped", async () => aborted !== undefined, { timeoutMs: 20_000 });
    assert.deepEqual(aborted, { kind: "superseded", by: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Progress is not a report of the run's outcome (and the gateway drops a stale attempt's).
    const types = (await h.events("run-taken"))
      .filter((e) => e.attempt === 1 && e.type !== "progress")
      .map((e) => e.type);
    assert.deepEqual(types, ["assigned", "started"], "attempt 1 reports nothing after the takeover");
    assert.equal(await h.jobsLeft(), 1, "the job is neither acked nor terminated by the superseded attempt");
  });
});

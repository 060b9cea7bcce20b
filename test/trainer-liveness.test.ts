import assert from "node:assert/strict";
import { test } from "node:test";
import { heartbeatSchema, trainerHeartbeatSubject } from "@graft/contracts";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect } from "@nats-io/transport-node";
import { TEST_OFFLINE_AFTER_MS, withStack } from "./support/stack.ts";
import { fineTuneInput, getRun, graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

// Training runs in a worker thread, so the trainer's main thread keeps heartbeating through
// long synchronous batches (seconds each on a loaded machine), which used to starve it.
// bench/liveness.bench.ts measures the same with MobileNetV2 and a CPU burner beside it.
const stack = withStack({ trainers: ["busy"] });

test("a trainer keeps heartbeating within the OFFLINE timeout through long batches, and a cancel mid-epoch stops it", async () => {
  const busy = stack.trainer("busy");
  const nc = await connect(gatewayConnectOptions(stack.nats));
  const beats: { at: number; status: string; seq: number }[] = [];
  nc.subscribe(trainerHeartbeatSubject(busy.id), {
    callback: (error, message) => {
      if (error) return;
      const beat = heartbeatSchema.parse(message.json());
      beats.push({ at: Date.now(), status: beat.status, seq: beat.seq });
    },
  });
  try {
    // Every layer trains (FULL path), in large batches: each is one long synchronous step.
    const queued = await startFineTune(
      stack.gateway,
      fineTuneInput(stack.ids, {
        epochs: 3,
        maxSamples: 4_000,
        batchSize: 256,
        validationSplit: 0,
        freeze: { strategy: "NONE" },
      }),
    );
    await waitFor("the run to train", async () => (await getRun(stack.gateway, queued.id)).status === "RUNNING", {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    // Once training has begun (the worker thread logs nothing, so count heartbeats from RUNNING on).
    const from = beats.length;
    await waitFor("8 heartbeats while training", async () => beats.length - from >= 8, {
      timeoutMs: 60_000,
      intervalMs: 250,
    });
    const epochsAtCancel = (await getRun(stack.gateway, queued.id)).epochs.length;

    const untilCancel = beats.length;
    await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: queued.id });
    const run = await waitForRunEnd(stack.gateway, queued.id, 120_000);
    assert.equal(run.status, "CANCELLED");
    // No epoch completed after the cancel: it stopped the epoch under way at a batch boundary.
    assert.equal(run.epochs.length, epochsAtCancel, `epochs: ${run.epochs.map((e) => e.epoch).join(", ")}`);

    const training = beats.slice(from);
    const gaps = training.slice(1).map((beat, i) => beat.at - (training[i]?.at ?? beat.at));
    const maxGap = Math.max(...gaps);
    assert.ok(
      maxGap < TEST_OFFLINE_AFTER_MS,
      `a heartbeat gap of ${maxGap} ms would have marked the trainer OFFLINE: ${gaps.join(", ")}`,
    );
    const whileTraining = beats.slice(from, untilCancel);
    assert.ok(
      whileTraining.every((beat) => beat.status === "BUSY"),
      `statuses: ${whileTraining.map((b) => b.status).join(", ")}`,
    );
    const { trainer } = await graphql<{ trainer: { status: string } }>(
      stack.gateway,
      "query($id: ID!) { trainer(id: $id) { status } }",
      { id: busy.id },
    );
    assert.notEqual(trainer.status, "OFFLINE");
  } finally {
    await nc.close();
  }
});

test("a trainer told to stop mid-epoch leaves within its stop grace, and reports no epoch", async () => {
  // Its own pool, so the job is surely this trainer's; the grace is short so the epoch under way cannot end first.
  const brief = await stack.startTrainer("brief", { pool: "brief", env: { TRAINER_STOP_GRACE_MS: "1000" } });
  const queued = await startFineTune(
    stack.gateway,
    fineTuneInput(stack.ids, {
      pool: "brief",
      epochs: 3,
      maxSamples: 4_000,
      batchSize: 256,
      validationSplit: 0,
      freeze: { strategy: "NONE" },
    }),
  );
  await waitFor("the run to train", async () => (await getRun(stack.gateway, queued.id)).status === "RUNNING", {
    timeoutMs: 120_000,
    intervalMs: 250,
  });
  brief.kill("SIGTERM");
  // Not a timing target: only that it leaves at all, long before an epoch of this size could end.
  const code = await Promise.race([
    brief.stopped,
    new Promise<string>((resolve) => setTimeout(() => resolve("still running after 30 s"), 30_000)),
  ]);
  assert.equal(code, 1, brief.output());
  assert.match(brief.output(), /stop grace over: ending training now/);
  const run = await getRun(stack.gateway, queued.id);
  assert.equal(run.epochs.length, 0, "no epoch was reported by the stopped trainer");
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: queued.id });
});

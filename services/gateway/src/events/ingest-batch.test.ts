import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ensureIngestConsumer,
  ensureStreams,
  GATEWAY_INGEST_CONSUMER,
  parseRunEvents,
  RUN_EVENT_BATCH_MAX_EVENTS,
  RUN_EVENTS_STREAM,
  type RunEvent,
  runEventBatchText,
  runEventsSubject,
} from "@graft/contracts";
import { eventDrops, runEpochs, runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { eq } from "drizzle-orm";
import { applyBatch } from "./apply-batch.ts";
import { events, type Harness, seedRun, setup, take, watchRun } from "./test-fixtures.ts";
import { checkOutput } from "./verify-output.ts";

/**
 * A trainer with a backlog sends several events of one run attempt in one message. Ingest
 * checks every event of it as it checks a bare one, and stores the message or refuses it whole.
 */

const drained = async (h: Harness) => {
  const info = await (await jetstreamManager(h.nc)).consumers.info(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
  return info.num_pending === 0 && info.num_ack_pending === 0;
};
const epochsOf = async (h: Harness, runId: string) =>
  (await h.db.select().from(runEpochs).where(eq(runEpochs.runId, runId)).orderBy(runEpochs.epoch)).map((r) => r.epoch);
const runRow = async (h: Harness, id: string) => {
  const [row] = await h.db.select().from(runs).where(eq(runs.id, id));
  assert.ok(row);
  return row;
};
/** Publishes a batch of events (or any JSON text) on `trainerId`'s subject of `runId`, as the outbox does. */
const publishBatch = async (
  h: Harness,
  s: { runId: string; trainerId: string },
  body: RunEvent[] | string,
  msgID?: string,
) => {
  const text = typeof body === "string" ? body : runEventBatchText(body.map((e) => JSON.stringify(e)));
  await jetstream(h.trainerNc).publish(
    runEventsSubject(s.trainerId, s.runId),
    new TextEncoder().encode(text),
    msgID ? { msgID } : {},
  );
};

describeEachDriver((driver) => {
  test("a batch message is stored and announced in order; redelivered or re-grouped, nothing is stored or announced twice", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const e = events(s);
      const first = [e.assigned(), e.started(), e.epoch(1), e.epoch(2), e.epoch(3)];
      // A replica that committed this batch but died before acking: it comes back as a redelivery.
      await ensureStreams(h.nc);
      await ensureIngestConsumer(await jetstreamManager(h.nc));
      await publishBatch(h, s, first, "batch-1");
      const consumer = await jetstream(h.nc).consumers.get(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
      const msg = await consumer.next({ expires: 2000 });
      assert.ok(msg, "the batch is in the stream");
      await applyBatch(h.db, parseRunEvents(msg.subject, msg.data), (key, claimed) =>
        checkOutput(h.store, key, claimed),
      );
      msg.nak();
      assert.deepEqual(await epochsOf(h, s.runId), [1, 2, 3]);

      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      // A trainer restarted with epochs 2-5 in its outbox groups them differently (a new message id),
      // and a checkpoint's replay reports epoch 5 once more on its own.
      await publishBatch(h, s, [e.epoch(2), e.epoch(3), e.epoch(4), e.epoch(5)], "batch-2");
      await h.publish(e.epoch(5));
      await h.publish(e.epoch(6));
      // The redelivered assigned and started re-announce the run's (unchanged) status, as a bare
      // redelivered event does; its epochs, stored already, are not announced again.
      const got = await take(sub, 5);
      assert.deepEqual(
        got.map((g) => [g.kind, g.status, g.epoch?.epoch]),
        [
          ["STATUS", "RUNNING", undefined],
          ["STATUS", "RUNNING", undefined],
          ["EPOCH", "RUNNING", 4],
          ["EPOCH", "RUNNING", 5],
          ["EPOCH", "RUNNING", 6],
        ],
        "only epochs stored now are announced, each once, in order",
      );
      await waitFor("the consumer to drain", () => drained(h));
      assert.deepEqual(await epochsOf(h, s.runId), [1, 2, 3, 4, 5, 6]);
      const run = await runRow(h, s.runId);
      assert.deepEqual([run.status, run.lastEpoch], ["RUNNING", 6]);
      assert.equal((await h.db.select().from(eventDrops)).length, 0);
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("a malformed batch, or one holding an event its sender cannot prove, is refused whole with a reason and changes nothing", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const other = await seedRun(h.db);
      const intruder = other.trainerId; // registered, never given s's run
      const holder = events(s);
      await h.startPlane();
      await h.publish(holder.assigned());
      await h.publish(holder.started());
      await waitFor("the run to be RUNNING", async () => (await runRow(h, s.runId)).status === "RUNNING");

      // 1. No events. 2. Past the bound. 3. Two runs in one message.
      await publishBatch(h, s, '{"events":[]}');
      await publishBatch(
        h,
        s,
        Array.from({ length: RUN_EVENT_BATCH_MAX_EVENTS + 1 }, (_, i) => holder.epoch(i + 1)),
      );
      await publishBatch(h, s, [holder.epoch(1), events({ runId: other.runId, trainerId: s.trainerId }).epoch(1)]);
      // 4. The second event's claim was made without the run's job token.
      const forged = events(s, 1, "x".repeat(43));
      await publishBatch(h, s, [holder.epoch(1), forged.epoch(2)]);
      // 5. The holder's events on the intruder's subject (the only one NATS lets the intruder use).
      await publishBatch(h, { runId: s.runId, trainerId: intruder }, [holder.epoch(1), holder.epoch(2)]);
      // 6. A valid claim for attempt 1 (the intruder once held the token), which the holder owns.
      const stolen = events({ runId: s.runId, trainerId: intruder }, 1);
      await publishBatch(h, { runId: s.runId, trainerId: intruder }, [stolen.epoch(1), stolen.epoch(2)]);
      await waitFor("the consumer to drain", () => drained(h));

      assert.deepEqual(await epochsOf(h, s.runId), [], "no event of a refused batch is stored");
      assert.deepEqual(await epochsOf(h, other.runId), []);
      const drops = await h.db.select().from(eventDrops).orderBy(eventDrops.at, eventDrops.id);
      assert.deepEqual(
        drops.map((d) => [d.kind, d.trainerId]),
        [
          ["REFUSED", s.trainerId],
          ["REFUSED", s.trainerId],
          ["REFUSED", s.trainerId],
          ["REFUSED", s.trainerId],
          ["REFUSED", intruder],
          ["REFUSED", intruder],
        ],
        JSON.stringify(drops, null, 1),
      );
      const reasons = drops.map((d) => d.reason);
      assert.match(reasons[0] ?? "", /invalid message .*events/);
      assert.match(reasons[1] ?? "", /invalid message .*events/);
      assert.match(reasons[2] ?? "", /same run, attempt and trainer/);
      assert.match(reasons[3] ?? "", /event 2 of a batch of 2: trainer .* cannot prove it was given run/);
      assert.match(reasons[4] ?? "", /event 1 of a batch of 2: sent on trainer .* subject but names trainer/);
      assert.match(reasons[5] ?? "", /event 1 of a batch of 2: attempt 1 is held by trainer/);
      assert.equal(drops[5]?.runId, s.runId, "a refusal is recorded under the run its events name");

      // The holder's own batch still goes in.
      await publishBatch(h, s, [holder.epoch(1), holder.epoch(2)]);
      await waitFor("the holder's batch", async () => (await runRow(h, s.runId)).lastEpoch === 2);
      assert.deepEqual(await epochsOf(h, s.runId), [1, 2]);
    } finally {
      await h.cleanup();
    }
  });

  test("a batch written ahead on a run another replica has moved stores nothing there, and goes the ordinary way", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const e = events(s);
      await h.startPlane();
      await publishBatch(h, s, [e.assigned(), e.started(), e.epoch(1)]);
      // Ingest now knows the run's state: this one is written ahead.
      await publishBatch(h, s, [e.epoch(2)]);
      await waitFor("epochs 1 and 2", async () => (await runRow(h, s.runId)).lastEpoch === 2);
      // Another replica (with its own knowledge of runs) sees attempt 2 take the run over.
      await applyBatch(h.db, [events(s, 2).assigned()], (key, claimed) => checkOutput(h.store, key, claimed));
      // Attempt 1's trainer, not told yet, reports epoch 3: planned on attempt 1, refused by the
      // check under lock, then judged on the run as it is (a stale attempt) and settled.
      await publishBatch(h, s, [e.epoch(3)]);
      await waitFor("the consumer to drain", () => drained(h));
      assert.deepEqual(await epochsOf(h, s.runId), [1, 2]);
      assert.equal((await runRow(h, s.runId)).currentAttempt, 2);
    } finally {
      await h.cleanup();
    }
  });
});

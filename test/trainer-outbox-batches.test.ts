import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GATEWAY_INGEST_CONSUMER, RUN_EVENTS_STREAM, runEventsSubject } from "@graft/contracts";
import { eventDrops, runEpochs, runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { epochMetrics, seedRun, setupEventPlane, take } from "@graft/gateway/testing";
import { testJobToken, waitFor } from "@graft/testkit";
import { Outbox, runEventPublisher } from "@graft/trainer/testing/events";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { eq } from "drizzle-orm";

/**
 * A trainer's backlog, end to end: the real outbox and event publisher of a trainer whose NATS
 * was gone, a restarted trainer replaying what it left, nats-server, the gateway's ingest and
 * the database. The backlog travels as batch messages and every epoch is stored exactly once.
 */

const EPOCHS = 40;

describeEachDriver((driver) => {
  test("epochs a trainer held while NATS was gone are replayed after its restart as batches, each stored and announced once", async () => {
    const h = await setupEventPlane(driver);
    const dir = mkdtempSync(join(tmpdir(), "graft-outbox-e2e-"));
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = plane.subscribeRunEvents(s.runId);
      await sub.next(); // the run's status on subscribing
      const job = { runId: s.runId, attempt: 1, trainerId: s.trainerId, jobToken: testJobToken(s.runId) };

      // Before the outage: assigned, started and epoch 1 go out live, each alone.
      const live = new Outbox({ dir, js: jetstream(h.trainerNc), accepts: () => true, log: () => {} });
      const publishLive = runEventPublisher(jetstream(h.trainerNc), job, live);
      await publishLive({ type: "assigned" });
      await publishLive({ type: "started", backend: "cpu", trainingPath: "FEATURE_CACHE", resumedFromEpoch: 0 });
      await publishLive({ type: "epoch", epoch: 1, metrics: epochMetrics(1) });
      await live.close();

      // NATS is gone for this trainer process: epochs 1 (its checkpoint's replay) to EPOCHS wait on disk.
      const gone = await h.connect();
      await gone.close();
      const held = new Outbox({ dir, js: jetstream(gone), accepts: () => true, log: () => {}, publishTimeoutMs: 200 });
      const publishHeld = runEventPublisher(jetstream(gone), job, held);
      const waiting = Array.from({ length: EPOCHS }, (_, i) =>
        publishHeld({ type: "epoch", epoch: i + 1, metrics: epochMetrics(i + 1) }),
      );
      await held.close();
      assert.equal(readdirSync(dir).length, EPOCHS, "the held epochs are on disk");

      // The trainer restarts with NATS back: its outbox replays what the last process left.
      const restarted = new Outbox({ dir, js: jetstream(h.trainerNc), accepts: () => true, log: () => {} });
      await waitFor("the replay", async () => restarted.size === 0, { timeoutMs: 60_000 });
      const announced = await take(sub, 2 + EPOCHS, 60_000);
      assert.deepEqual(
        announced.map((u) => [u.kind, u.epoch?.epoch ?? u.status]),
        [["STATUS", "ASSIGNED"], ["STATUS", "RUNNING"], ...Array.from({ length: EPOCHS }, (_, i) => ["EPOCH", i + 1])],
        "each epoch announced once, in order: epoch 1's replay is not announced again",
      );
      await waitFor("ingest to settle every message", async () => {
        const info = await (await jetstreamManager(h.nc)).consumers.info(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
        return info.num_pending === 0 && info.num_ack_pending === 0;
      });

      const stored = await h.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId)).orderBy(runEpochs.epoch);
      assert.deepEqual(
        stored.map((r) => r.epoch),
        Array.from({ length: EPOCHS }, (_, i) => i + 1),
      );
      const [run] = await h.db.select().from(runs).where(eq(runs.id, s.runId));
      assert.deepEqual([run?.status, run?.lastEpoch], ["RUNNING", EPOCHS]);
      assert.deepEqual(await h.db.select().from(eventDrops), [], "nothing refused");

      // On the wire: three bare events, then the backlog in batch messages (fewer than its events).
      const jsm = await jetstreamManager(h.nc);
      const { state } = await jsm.streams.info(RUN_EVENTS_STREAM, {
        subjects_filter: runEventsSubject(s.trainerId, s.runId),
      });
      const sizes: number[] = [];
      for (let seq = state.first_seq; seq <= state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(RUN_EVENTS_STREAM, { seq }).catch(() => null);
        if (m) sizes.push((m.json() as { events?: unknown[] }).events?.length ?? 1);
      }
      assert.deepEqual(sizes.slice(0, 3), [1, 1, 1]);
      assert.deepEqual(sizes.slice(3), [EPOCHS], "the held epochs went out as one batch");
      await restarted.close();
      await sub.return?.();
      await Promise.allSettled(waiting);
    } finally {
      await h.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

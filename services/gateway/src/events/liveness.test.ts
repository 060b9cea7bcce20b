import assert from "node:assert/strict";
import { test } from "node:test";
import {
  encodeMessage,
  ensureJobsConsumer,
  type Heartbeat,
  JOBS_STREAM,
  jobMessageId,
  jobsConsumerName,
  jobsSubject,
  trainerHeartbeatSubject,
} from "@graft/contracts";
import { type Db, runs, trainers } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { eq, sql } from "drizzle-orm";
import { publishTrainerUpdate } from "./notify.ts";
import { events, seedRun, setup, take } from "./test-fixtures.ts";

/** Beats for `trainerId` every 100 ms, as a live trainer would, until stopped. */
function keepBeating(nc: NatsConnection, trainerId: string, currentRuns: string[] = []) {
  let seq = 0;
  const beat = () =>
    nc.publish(
      trainerHeartbeatSubject(trainerId),
      encodeMessage({
        trainerId,
        at: new Date().toISOString(),
        status: currentRuns.length > 0 ? "BUSY" : "IDLE",
        currentRuns,
        rssBytes: 1e8,
        seq: seq++,
      } satisfies Heartbeat),
    );
  beat();
  const timer = setInterval(beat, 100);
  return () => clearInterval(timer);
}

const trainerRow = async (db: Db, id: string) => (await db.select().from(trainers).where(eq(trainers.id, id)))[0];

describeEachDriver((driver) => {
  test("a trainer whose heartbeats stop is marked OFFLINE once, subscribers hear STALE, and a heartbeat brings it back", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane({ trainerOfflineAfterMs: 600 });
      // A second replica's sweep races the first; only one may report the trainer.
      const replica = await (await import("./index.ts")).startEventPlane({
        db: h.db,
        nc: h.trainerNc,
        log: (l) => h.logs.push(l),
        trainerOfflineAfterMs: 600,
      });
      const sub = plane.subscribeTrainerEvents();
      let seq = 0;
      const beat = (status: Heartbeat["status"] = "BUSY") =>
        h.trainerNc.publish(
          trainerHeartbeatSubject(s.trainerId),
          encodeMessage({
            trainerId: s.trainerId,
            at: new Date().toISOString(),
            status,
            currentRuns: [s.runId],
            rssBytes: 1e8,
            seq: seq++,
          } satisfies Heartbeat),
        );
      const row = async () => (await h.db.select().from(trainers).where(eq(trainers.id, s.trainerId)))[0];

      // Read events until one of `kind`, returning the kinds seen on the way.
      const until = async (kind: string) => {
        const seen: string[] = [];
        for (;;) {
          const [event] = await take(sub, 1, 5_000);
          assert.equal(event?.trainerId, s.trainerId);
          seen.push(event?.kind ?? "");
          if (event?.kind === kind) return seen;
        }
      };

      beat();
      // The seeded trainer may already have gone OFFLINE (no heartbeat yet) before this one.
      await until("HEARTBEAT");
      const busy = await row();
      assert.equal(busy?.status, "BUSY");
      assert.deepEqual(busy?.currentRuns, [s.runId]);
      assert.ok(busy?.lastHeartbeatAt);

      // Heartbeats stop: after 600 ms a sweep (every 150 ms, on either replica) marks it OFFLINE.
      const beforeStale = await until("STALE");
      assert.ok(beforeStale.filter((k) => k === "STALE").length === 1);
      const [offline] = await take(sub, 1);
      assert.equal(offline?.kind, "STATUS_CHANGED");
      assert.equal((await row())?.status, "OFFLINE");
      // Several more sweeps run on both replicas; none may report the trainer again.
      await new Promise((r) => setTimeout(r, 450));
      beat("IDLE");
      assert.deepEqual(await until("HEARTBEAT"), ["HEARTBEAT"], "exactly one STALE was reported");
      const [revived] = await take(sub, 1);
      assert.equal(revived?.kind, "STATUS_CHANGED");
      assert.equal((await row())?.status, "IDLE");

      // Heartbeats of unknown trainers and malformed ones change nothing and crash nothing.
      h.trainerNc.publish(trainerHeartbeatSubject("00000000-0000-4000-8000-000000000000"), encodeMessage({}));
      h.trainerNc.publish(trainerHeartbeatSubject("ghost"), new TextEncoder().encode("nope"));
      await waitFor(
        "the bad heartbeats to be rejected",
        () => h.logs.filter((l) => l.includes("rejected heartbeat")).length === 2,
      );

      await publishTrainerUpdate(h.nc, s.trainerId, "REGISTERED");
      const [registered] = await take(sub, 1);
      assert.equal(registered?.kind, "REGISTERED");
      await sub.return?.();
      await replica.stop();
    } finally {
      await h.cleanup();
    }
  });

  test("a trainer heard on the wire stays alive while the database cannot store its heartbeats", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane({ trainerOfflineAfterMs: 600 });
      const stopBeating = keepBeating(h.trainerNc, s.trainerId, [s.runId]);
      await waitFor(
        "the first heartbeat to be stored",
        async () => (await trainerRow(h.db, s.trainerId))?.status === "BUSY",
      );
      // From here every heartbeat write fails, and the stored one is an hour old: the old rule
      // (judge by last_heartbeat_at) would call the trainer dead at the next sweep.
      await h.db.execute(sql`UPDATE trainers SET last_heartbeat_at = now() - interval '1 hour'`);
      await h.db.execute(sql`
        CREATE FUNCTION reject_heartbeat() RETURNS trigger LANGUAGE plpgsql
        AS $$ BEGIN RAISE EXCEPTION 'heartbeat writes are failing'; END $$`);
      await h.db.execute(sql`
        CREATE TRIGGER reject_heartbeat BEFORE UPDATE ON trainers FOR EACH ROW
        WHEN (NEW.last_heartbeat_at IS DISTINCT FROM OLD.last_heartbeat_at) EXECUTE FUNCTION reject_heartbeat()`);
      const failedWrites = () => h.logs.filter((l) => l.includes("heartbeat writes are failing")).length;
      await waitFor("heartbeat writes to fail", () => failedWrites() >= 3);
      // Many sweeps (every 150 ms) run while the writes keep failing.
      await waitFor("more heartbeat writes to fail", () => failedWrites() >= 25);
      assert.equal((await trainerRow(h.db, s.trainerId))?.status, "BUSY");
      assert.ok(!h.logs.some((l) => l.includes("is OFFLINE")), h.logs.join("\n"));

      // A trainer that really goes silent is still found out.
      stopBeating();
      await waitFor(
        "the silent trainer to go OFFLINE",
        async () => (await trainerRow(h.db, s.trainerId))?.status === "OFFLINE",
      );
    } finally {
      await h.cleanup();
    }
  });

  test("an OFFLINE trainer's job goes back to the pool at once, not after JetStream's ack wait", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane({ trainerOfflineAfterMs: 600 });
      const jsm = await jetstreamManager(h.nc);
      // An ack wait far longer than the wait below: only the hand-back can bring the job back in time.
      await ensureJobsConsumer(jsm, "default", { jobAckWaitMs: 300_000 });
      await jetstream(h.nc).publish(jobsSubject("default"), encodeMessage({ runId: s.runId }), {
        msgID: jobMessageId(s.runId),
      });
      const jobs = await jetstream(h.trainerNc).consumers.get(JOBS_STREAM, jobsConsumerName("default"));
      const stopBeating = keepBeating(h.trainerNc, s.trainerId, [s.runId]);
      const held = await jobs.next({ expires: 5_000 });
      assert.equal(held?.info.deliveryCount, 1);
      await h.publish(events(s, 1).assigned());
      await waitFor("attempt 1 to be stored as the trainer's", async () => {
        const [run] = await h.db.select().from(runs).where(eq(runs.id, s.runId));
        return run?.currentAttempt === 1 && run.trainerId === s.trainerId;
      });

      // The holder dies without a word (no nak, no ack).
      stopBeating();
      const again = await jobs.next({ expires: 60_000 });
      assert.ok(again, "the job came back to the pool long before its ack wait");
      assert.equal(again.seq, held?.seq);
      assert.equal(again.info.deliveryCount, 2, "the next trainer runs it as attempt 2");
      assert.equal((await trainerRow(h.db, s.trainerId))?.status, "OFFLINE");
      assert.equal(h.logs.filter((l) => l.includes(`handed run ${s.runId} (attempt 1)`)).length, 1, h.logs.join("\n"));
      again.ack();
    } finally {
      await h.cleanup();
    }
  });
});

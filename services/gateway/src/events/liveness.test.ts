import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeMessage, type Heartbeat, trainerHeartbeatSubject } from "@graft/contracts";
import { trainers } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { waitFor } from "@graft/testkit";
import { eq } from "drizzle-orm";
import { publishTrainerUpdate } from "./notify.ts";
import { seedRun, setup, take, verifyTestClaim } from "./test-fixtures.ts";

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
        store: h.store,
        verifyClaim: verifyTestClaim,
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
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { eq } from "drizzle-orm";
import { seedRun, setup, take, watchRun } from "./test-fixtures.ts";

describeEachDriver((driver) => {
  test("publishRunUpdate announces the run's stored status to every subscriber, or a given payload as is", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      const first = sub.next();
      await plane.publishRunUpdate(s.runId);
      const queued = (await first).value;
      assert.deepEqual(
        [queued?.kind, queued?.status, queued?.attempt, queued?.runId],
        ["STATUS", "QUEUED", null, s.runId],
      );
      const at = new Date("2026-01-01T00:00:00Z");
      await plane.publishRunUpdate(s.runId, {
        kind: "STATUS",
        runId: s.runId,
        status: "CANCELLED",
        attempt: null,
        progress: null,
        epoch: null,
        message: "cancelled while queued",
        at,
      });
      const [cancelled] = await take(sub, 1);
      assert.equal(cancelled?.status, "CANCELLED");
      assert.deepEqual(cancelled?.at, at);
      await plane.publishRunUpdate("not-a-run");
      await sub.return?.();
      assert.equal((await sub.next()).done, true);
    } finally {
      await h.cleanup();
    }
  });

  test("subscribers opening together share one status snapshot; one opening after a change reads the change", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const subs = Array.from({ length: 20 }, () => plane.subscribeRunEvents(s.runId));
      const firsts = (await Promise.all(subs.map((sub) => sub.next()))).map((r) => r.value);
      assert.ok(
        firsts.every((f) => f?.kind === "STATUS" && f.status === "QUEUED"),
        "each opens with the run's status",
      );
      // The first asker's read starts at once; everyone asking while it runs shares the next.
      assert.ok(new Set(firsts).size <= 2, `${new Set(firsts).size} reads for 20 subscribers`);

      // A subscriber must never be handed a snapshot read before it asked.
      await h.db.update(runs).set({ status: "CANCELLED" }).where(eq(runs.id, s.runId));
      const late = plane.subscribeRunEvents(s.runId);
      assert.equal((await late.next()).value?.status, "CANCELLED");
      for (const sub of [...subs, late]) await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });
});

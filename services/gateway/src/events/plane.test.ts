import assert from "node:assert/strict";
import { test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
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
});

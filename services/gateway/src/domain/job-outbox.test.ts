import assert from "node:assert/strict";
import { test } from "node:test";
import { ensureStreams, findJobSeq, jobMessageId, queuedJobIds } from "@graft/contracts";
import { createDatabase, type Db, datasets, jobOutbox, models, runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { hyperparameters, testJobToken, waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { eq, inArray, sql } from "drizzle-orm";
import { type Harness, seedRun, setup } from "../events/test-fixtures.ts";
import { enqueueJobs, JobPublisher, type JobPublisherOptions, type OutboxEntry } from "./job-outbox.ts";

/** `count` QUEUED runs with their jobs in the outbox, as startFineTune's transaction leaves them. */
async function queuedRunsWithJobs(
  db: Db,
  count: number,
  before?: (seeded: Awaited<ReturnType<typeof seedRun>>) => Promise<unknown>,
): Promise<OutboxEntry[]> {
  const seeded = await seedRun(db, { runCount: count });
  await before?.(seeded);
  await db.update(runs).set({ hyperparameters: hyperparameters() }).where(inArray(runs.id, seeded.runIds));
  const [base] = await db.select().from(models).where(eq(models.id, seeded.baseModelId));
  const [dataset] = await db.select().from(datasets).where(eq(datasets.id, seeded.datasetId));
  if (!base || !dataset) throw new Error("seed: no base or dataset");
  const rows = await db.select().from(runs).where(inArray(runs.id, seeded.runIds));
  return await db.transaction((tx) =>
    enqueueJobs(
      tx,
      rows.map((run) => ({ run, base, dataset })),
    ),
  );
}

function publisher(h: Harness, db: Db, options: Partial<JobPublisherOptions> = {}) {
  return new JobPublisher(
    {
      db,
      nc: h.nc,
      js: jetstream(h.nc),
      jobToken: testJobToken,
      announce: async () => {},
      log: (line) => h.logs.push(line),
    },
    options,
  );
}

async function queuedMsgIds(h: Harness): Promise<string[]> {
  const ids: string[] = [];
  for await (const job of queuedJobIds(await jetstreamManager(h.nc), "default")) ids.push(job.msgId ?? "(none)");
  return ids.sort();
}

const outboxSize = async (db: Db) => (await db.select({ runId: jobOutbox.runId }).from(jobOutbox)).length;

describeEachDriver((driver) => {
  test("two publishers draining one outbox at once queue each run's job exactly once", async () => {
    const h = await setup(driver);
    // On PostgreSQL the second publisher is another replica: its own connection.
    const other = driver === "postgres" ? await createDatabase({ url: h.database.url }) : null;
    try {
      await ensureStreams(h.nc, { storage: "memory" });
      const entries = await queuedRunsWithJobs(h.db, 12);
      const runIds = entries.map((e) => e.runId);
      // The fast path's lease ran out (its gateway died): the entries are due for any replica.
      await h.db.update(jobOutbox).set({ nextTryAt: sql`now()` });
      const a = publisher(h, h.db);
      const b = publisher(h, other?.db ?? h.db);
      // Two periodic passes, a start-up pass that takes everything, and the fast path, all at once.
      await Promise.all([a.drain(), b.drain(), b.drain({ all: true }), a.publishNow(entries)]);
      await Promise.all([a.stop(), b.stop()]);
      assert.deepEqual(await queuedMsgIds(h), runIds.map(jobMessageId).sort());
      assert.equal(await outboxSize(h.db), 0, "every published entry left the outbox");
    } finally {
      await other?.close();
      await h.cleanup();
    }
  });

  test("a run cancelled while its job waits in the outbox never gets one; the others go out", async () => {
    const h = await setup(driver);
    try {
      await ensureStreams(h.nc, { storage: "memory" });
      const [waiting, queued, racing] = await queuedRunsWithJobs(h.db, 3);
      if (!waiting || !queued || !racing) throw new Error("seed: no entries");
      const cancel = (runId: string) => h.db.update(runs).set({ status: "CANCELLED" }).where(eq(runs.id, runId));
      // Cancelled after its commit, while its fast path publishes (which does not look first):
      // published, then taken out again once the ack shows the run ended.
      await cancel(racing.runId);
      const fast = publisher(h, h.db);
      await fast.publishNow([racing]);
      await fast.stop();
      assert.deepEqual(await queuedMsgIds(h), []);
      // Cancelled before any publisher looked: never published; the other run's job goes out.
      await cancel(waiting.runId);
      await publisher(h, h.db).drain({ all: true });
      assert.deepEqual(await queuedMsgIds(h), [jobMessageId(queued.runId)]);
      assert.equal(await outboxSize(h.db), 0);
    } finally {
      await h.cleanup();
    }
  });

  test("a job NATS refuses (too large) is tried maxTries times, then its run fails DISPATCH_FAILED with the reason", async () => {
    const h = await setup(driver);
    try {
      await ensureStreams(h.nc, { storage: "memory" });
      // 2 MiB of labels: past nats-server's max_payload (1 MiB), so no publish can ever pass.
      const [entry] = await queuedRunsWithJobs(h.db, 1, (seeded) =>
        h.db
          .update(models)
          .set({ labels: Array.from({ length: 2_048 }, (_, i) => `${i}`.padEnd(1_024, "x")) })
          .where(eq(models.id, seeded.baseModelId)),
      );
      const runId = entry?.runId as string;
      const p = publisher(h, h.db, { maxTries: 3, everyMs: 10 });
      await p.publishNow(entry ? [entry] : []);
      const tries = async () => (await h.db.select().from(jobOutbox).where(eq(jobOutbox.runId, runId)))[0];
      assert.equal((await tries())?.tries, 1, "a refusal costs one try");
      const failed = await waitFor("the run to fail", async () => {
        await p.drain();
        const [run] = await h.db.select().from(runs).where(eq(runs.id, runId));
        return run?.status === "FAILED" && run;
      });
      assert.equal(failed.error?.code, "DISPATCH_FAILED");
      assert.match(failed.error?.message ?? "", /3 tries.*max_payload/);
      assert.equal(await outboxSize(h.db), 0, "a failed run's entry is not retried again");
      assert.deepEqual(await queuedMsgIds(h), []);
    } finally {
      await h.cleanup();
    }
  });
});

test("looking for a queued job fails when JetStream does not answer, instead of saying there is none", async () => {
  const h = await setup("pglite");
  try {
    // An API prefix nothing serves: every request fails (no responders), as a timeout would.
    const unanswered = await jetstreamManager(h.nc, { apiPrefix: "$GRAFT.NOBODY", checkAPI: false });
    await assert.rejects(findJobSeq(unanswered, "default", "00000000-0000-4000-8000-000000000001"));
  } finally {
    await h.cleanup();
  }
});

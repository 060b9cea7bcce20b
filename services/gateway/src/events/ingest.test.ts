import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeMessage, GATEWAY_INGEST_CONSUMER, RUN_EVENTS_STREAM, type RunEvent } from "@graft/contracts";
import { artifacts, eventDrops, models, runAttempts, runEpochs, runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { and, eq, sql } from "drizzle-orm";
import { applyBatch } from "./apply-batch.ts";
import { BASE_LAYERS, events, type Harness, seedRun, setup, take, watchRun } from "./test-fixtures.ts";
import { checkOutput } from "./verify-output.ts";

const epochCount = async (h: Harness, runId: string) =>
  (await h.db.select().from(runEpochs).where(eq(runEpochs.runId, runId))).length;
const runRow = async (h: Harness, runId: string) => {
  const [row] = await h.db.select().from(runs).where(eq(runs.id, runId));
  assert.ok(row, "run row exists");
  return row;
};
/** True once the ingest consumer has nothing undelivered and nothing unacknowledged. */
const drained = async (h: Harness) => {
  const info = await (await jetstreamManager(h.nc)).consumers.info(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
  return info.num_pending === 0 && info.num_ack_pending === 0;
};

describeEachDriver((driver) => {
  test("events published by a trainer are stored and reach a subscriber in order", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      const first = sub.next();
      const e = events(s);
      for (const event of [e.assigned(), e.started(), e.epoch(1), e.epoch(2), e.log("hello")]) await h.publish(event);
      const got = [(await first).value, ...(await take(sub, 4))];
      assert.deepEqual(
        got.map((g) => [g?.kind, g?.status, g?.epoch?.epoch ?? null]),
        [
          ["STATUS", "ASSIGNED", null],
          ["STATUS", "RUNNING", null],
          ["EPOCH", "RUNNING", 1],
          ["EPOCH", "RUNNING", 2],
          ["LOG", "RUNNING", null],
        ],
      );
      assert.ok(got[2]?.epoch?.recordedAt instanceof Date);
      // What is announced is the stored row, its database stamp included.
      const [stored] = await h.db
        .select()
        .from(runEpochs)
        .where(and(eq(runEpochs.runId, s.runId), eq(runEpochs.epoch, 1)));
      assert.ok(stored, "epoch 1 is stored");
      const { runId: _, ...row } = stored;
      assert.deepEqual(got[2]?.epoch, row);
      assert.equal(got[4]?.message, "[info] hello");
      const run = await runRow(h, s.runId);
      assert.equal(run.status, "RUNNING");
      assert.equal(run.trainerId, s.trainerId);
      assert.equal(run.trainingPath, "FEATURE_CACHE");
      assert.equal(run.currentAttempt, 1);
      assert.equal(run.attemptCount, 1);
      assert.equal(run.lastEpoch, 2);
      assert.equal(run.bestValAccuracy, 0.4 + 2 / 100);
      assert.equal(run.bestValLoss, 1.2 / 2);
      assert.ok(run.assignedAt && run.startedAt);
      assert.equal(await epochCount(h, s.runId), 2);
      const attempts = await h.db.select().from(runAttempts).where(eq(runAttempts.runId, s.runId));
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.status]),
        [[1, "RUNNING"]],
      );
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("progress of the open attempt is announced and kept in memory, never stored; late progress is dropped", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      const e = events(s);
      for (const event of [e.assigned(), e.started(), e.progress(5)]) await h.publish(event);
      const [, , announced] = await take(sub, 3);
      assert.equal(announced?.kind, "PROGRESS");
      assert.equal(announced?.status, "RUNNING", "progress changes no status");
      assert.deepEqual(
        { ...announced?.progress, updatedAt: announced?.progress?.updatedAt instanceof Date },
        { phase: "TRAINING", done: 5, total: 10, epoch: 1, epochs: 2, etaSeconds: 3, updatedAt: true },
      );
      const running = { id: s.runId, status: "RUNNING" as const, currentAttempt: 1 };
      const kept = await waitFor("Run.progress to know it", async () => plane.progressOf(running) ?? undefined);
      assert.equal(kept.done, 5);
      assert.equal(
        plane.progressOf({ ...running, currentAttempt: 2 }),
        null,
        "another attempt's progress is not shown",
      );

      await h.publish(e.cancelled());
      await h.publish(e.progress(6)); // a report that raced the end
      await waitFor("the consumer to drain", () => drained(h));
      const [cancelled] = await take(sub, 1);
      assert.equal(cancelled?.status, "CANCELLED");
      await waitFor("the ended run's progress to be forgotten", async () => plane.progressOf(running) === null);
      await h.nc.flush();
      assert.equal(plane.progressOf(running), null, "the late report was not announced");
      const run = await runRow(h, s.runId);
      assert.equal(run.status, "CANCELLED");
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("a batch announces only each run's newest progress, none when it also holds the attempt's end, and one takeover per run", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db, { runCount: 2 });
      const [, other] = s.runIds;
      assert.ok(other);
      const apply = (batch: RunEvent[]) =>
        applyBatch(h.db, batch, (key, claimed) => checkOutput(h.store, key, claimed));
      const e = events(s);
      const caughtUp = await apply([e.assigned(), e.started(), e.progress(1), e.progress(3), e.progress(2)]);
      assert.deepEqual(
        caughtUp.updates.map((u) => [u.kind, u.progress?.done ?? null]),
        [
          ["STATUS", null],
          ["STATUS", null],
          ["PROGRESS", 2],
        ],
        "one PROGRESS, the last of the batch",
      );
      assert.deepEqual(
        caughtUp.verdicts.map((v) => v.stored),
        [true, true, true, true, true],
      );

      const ended = await apply([e.progress(4), e.cancelled()]);
      assert.deepEqual(
        ended.updates.map((u) => [u.kind, u.status]),
        [["STATUS", "CANCELLED"]],
        "progress of an attempt the same batch ended is not announced",
      );

      const takeovers = await apply([1, 2, 3].map((n) => events({ ...s, runId: other }, n).assigned()));
      assert.deepEqual(
        takeovers.superseded,
        [{ runId: other, attempt: 3 }],
        "the newest attempt stops every older holder",
      );
      assert.equal((await runRow(h, other)).currentAttempt, 3);
    } finally {
      await h.cleanup();
    }
  });

  test("a duplicated epoch event (second message id, redelivery after a lost ack) stores one row and is announced once", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const e = events(s);
      // A replica that committed but died before acking: the stored event comes back as a redelivery.
      const jsm = await jetstreamManager(h.nc);
      const { ensureIngestConsumer, ensureStreams } = await import("@graft/contracts");
      await ensureStreams(h.nc);
      await ensureIngestConsumer(jsm);
      await h.publish(e.epoch(1), "epoch-1-a");
      const consumer = await jetstream(h.nc).consumers.get(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
      const msg = await consumer.next({ expires: 2000 });
      assert.ok(msg, "the event is in the stream");
      await applyBatch(h.db, [JSON.parse(new TextDecoder().decode(msg.data))], (key, claimed) =>
        checkOutput(h.store, key, claimed),
      );
      msg.nak();

      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      await h.publish(e.epoch(1), "epoch-1-b");
      await h.publish(e.epoch(2));
      const [only] = await take(sub, 1);
      assert.equal(only?.epoch?.epoch, 2, "the duplicate epoch 1 is not announced again");
      await waitFor("the consumer to drain", () => drained(h));
      assert.equal(await epochCount(h, s.runId), 2);
      assert.equal((await runRow(h, s.runId)).lastEpoch, 2);
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("events of a superseded attempt are fenced off; the newer attempt is adopted", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = await watchRun(plane, s.runId);
      const a1 = events(s, 1);
      const a2 = events(s, 2);
      await h.publish(a1.assigned());
      await h.publish(a1.started());
      await h.publish(a1.epoch(1));
      await h.publish(a2.assigned());
      // The old trainer has not noticed it lost the job (nats-server#4786): its events must not count.
      await h.publish(a1.epoch(2));
      await h.publish(a1.succeeded());
      await h.publish(a2.started(1));
      await h.publish(a2.epoch(2));
      const got = await take(sub, 5);
      assert.deepEqual(
        got.map((g) => [g.kind, g.attempt, g.status]),
        [
          ["STATUS", 1, "ASSIGNED"],
          ["STATUS", 1, "RUNNING"],
          ["EPOCH", 1, "RUNNING"],
          ["STATUS", 2, "ASSIGNED"],
          ["STATUS", 2, "RUNNING"],
        ],
      );
      const [last] = await take(sub, 1);
      assert.deepEqual([last?.kind, last?.attempt, last?.epoch?.epoch], ["EPOCH", 2, 2]);
      await waitFor("the consumer to drain", () => drained(h));
      const run = await runRow(h, s.runId);
      assert.equal(run.status, "RUNNING");
      assert.equal(run.currentAttempt, 2);
      assert.equal(run.attemptCount, 2);
      assert.equal(run.outputModelCreated, false);
      const rows = await h.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId)).orderBy(runEpochs.epoch);
      assert.deepEqual(
        rows.map((r) => [r.epoch, r.attempt]),
        [
          [1, 1],
          [2, 2],
        ],
      );
      const attempts = await h.db
        .select()
        .from(runAttempts)
        .where(eq(runAttempts.runId, s.runId))
        .orderBy(runAttempts.attempt);
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.status, a.resumedFromEpoch]),
        [
          [1, "LOST", 0],
          [2, "RUNNING", 1],
        ],
      );
      assert.ok(h.logs.some((l) => /dropped epoch .* stale attempt 1/.test(l)));
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("an invalid message is rejected with a logged reason and the consumer keeps working", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane();
      await h.publishRaw(s.runId, new TextEncoder().encode("{not json"));
      await h.publishRaw(s.runId, encodeMessage({ type: "epoch", runId: s.runId, attempt: 0 }));
      await h.publishRaw(s.runId, encodeMessage({ ...events(s).epoch(1), runId: "../etc" }));
      await h.publish(events(s).epoch(1));
      await waitFor("the valid epoch to be stored", async () => (await epochCount(h, s.runId)) === 1);
      await waitFor("the consumer to drain", () => drained(h));
      assert.equal(h.logs.filter((l) => l.includes("ingest: refused message")).length, 3);
      assert.ok(h.logs.some((l) => l.includes("not JSON")));
      const drops = await h.db.select().from(eventDrops);
      assert.equal(drops.length, 3, "each refused message is recorded for operators");
      assert.ok(drops.every((d) => d.kind === "REFUSED" && d.trainerId === "t-raw"));
    } finally {
      await h.cleanup();
    }
  });

  test("a trainer flooding refused events fills event_drops only up to its cap; another trainer still gets recorded", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane({ maxDropsPerTrainer: 4 });
      for (let i = 0; i < 12; i++) await h.publishRaw(s.runId, new TextEncoder().encode(`{flood ${i}`), "t-flood");
      await h.publishRaw(s.runId, new TextEncoder().encode("{other"), "t-other");
      await waitFor("the consumer to drain", () => drained(h));
      const drops = await h.db.select().from(eventDrops);
      const from = (trainer: string) => drops.filter((d) => d.trainerId === trainer).length;
      assert.equal(from("t-flood"), 4, "at most maxDropsPerTrainer rows for the flooding trainer");
      assert.equal(from("t-other"), 1, "another trainer's drop is still recorded");
      assert.ok(
        h.logs.some((l) => /trainer t-flood is past 4 recorded drops a day/.test(l)),
        h.logs.join("\n"),
      );
      assert.equal(await epochCount(h, s.runId), 0, "no run changed");
    } finally {
      await h.cleanup();
    }
  });

  test("an event for an unknown run is dropped without touching the database", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane();
      await h.publish(events({ runId: "00000000-0000-4000-8000-000000000000", trainerId: s.trainerId }).epoch(1));
      await h.publish(events({ runId: "not-a-uuid", trainerId: s.trainerId }).epoch(1));
      await h.publish(events(s).epoch(1));
      await waitFor("the consumer to drain", () => drained(h));
      const all = await h.db.select().from(runEpochs);
      assert.equal(all.length, 1);
      assert.equal(h.logs.filter((l) => l.includes("no such run")).length, 2);
    } finally {
      await h.cleanup();
    }
  });

  test("succeeded creates the child model; its lineage is what the gateway finds in the store, never the trainer's claim", async () => {
    const h = await setup(driver);
    try {
      const same = await seedRun(h.db);
      const changed = await seedRun(h.db);
      const unfrozen = await seedRun(h.db);
      const plane = await h.startPlane();
      const sub = await watchRun(plane, same.runId);
      const tampered = BASE_LAYERS.map((l) => (l.name === "dense1" ? { ...l, weightHash: "e".repeat(64) } : l));
      const allTrainable = BASE_LAYERS.map((l) => ({ ...l, trainable: true }));
      for (const [s, layers] of [
        [same, BASE_LAYERS],
        [changed, tampered],
        [unfrozen, allTrainable],
      ] as const) {
        const e = events(s);
        await h.publish(e.started());
        await h.publish(e.epoch(1));
        await h.publish(e.succeeded([...layers]));
      }
      const got = await take(sub, 3);
      assert.deepEqual(
        got.map((g) => [g.kind, g.status]),
        [
          ["STATUS", "RUNNING"],
          ["EPOCH", "RUNNING"],
          ["STATUS", "SUCCEEDED"],
        ],
      );
      await waitFor("the consumer to drain", () => drained(h));

      const child = async (s: typeof same) => {
        const [row] = await h.db.select().from(models).where(eq(models.id, s.outputModelId));
        assert.ok(row, "child model exists");
        return row;
      };
      const c = await child(same);
      assert.equal(c.kind, "FINE_TUNED");
      assert.equal(c.parentId, same.baseModelId);
      assert.equal(c.rootId, same.baseModelId);
      assert.equal(c.depth, 1);
      assert.equal(c.producedByRunId, same.runId);
      assert.equal(c.projectId, same.projectId);
      assert.equal(c.architecture, "cnn");
      assert.deepEqual(c.preprocessing, { inputRange: [0, 1], channels: 1 });
      assert.equal(c.layers.length, 4);
      assert.equal(c.paramCount, 1370);
      // Nothing was written to the object store: hashes claimed to match the parent's prove nothing.
      for (const row of [c, await child(changed), await child(unfrozen)]) {
        assert.equal(row.verifiedLineage, false);
        assert.match(row.lineageReason ?? "", /output artifact models\/.+ is missing/);
      }
      assert.equal(c.artifactKey, `models/${same.outputModelId}`, "the key comes from the run, not the event");
      const [artifact] = await h.db.select().from(artifacts).where(eq(artifacts.key, c.artifactKey));
      assert.equal(artifact?.sha256, "", "an unchecked digest is not recorded as if it were known");
      const run = await runRow(h, same.runId);
      assert.equal(run.status, "SUCCEEDED");
      assert.equal(run.outputModelCreated, true);
      assert.ok(run.finishedAt);

      // Terminal is terminal: a late failure or cancel changes nothing.
      await h.publish(events(same).failed(true));
      await h.publish(events(same).cancelled());
      await waitFor("the consumer to drain", () => drained(h));
      assert.equal((await runRow(h, same.runId)).status, "SUCCEEDED");
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("a non-final failure requeues the run; a late event of that attempt does not revive it; a final one fails it", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane();
      const a1 = events(s, 1);
      await h.publish(a1.started());
      await h.publish(a1.failed(false));
      await h.publish(a1.epoch(1));
      await waitFor("the consumer to drain", () => drained(h));
      let run = await runRow(h, s.runId);
      assert.equal(run.status, "QUEUED");
      assert.deepEqual(run.error, { code: "TRAINING_ERROR", message: "out of memory" });
      assert.equal(await epochCount(h, s.runId), 1, "the epoch of the current attempt is still stored");
      const a2 = events(s, 2);
      await h.publish(a2.epoch(2));
      await h.publish(a2.failed(true));
      await waitFor("the consumer to drain", () => drained(h));
      run = await runRow(h, s.runId);
      assert.equal(run.status, "FAILED");
      assert.equal(run.attemptCount, 2);
      assert.ok(run.finishedAt);
    } finally {
      await h.cleanup();
    }
  });

  test("a failing write is retried by redelivery and nothing is lost", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.db.execute(sql`
      CREATE FUNCTION refuse_epochs() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'database unavailable (test)'; END $$`);
      await h.db.execute(
        sql`CREATE TRIGGER refuse_epochs BEFORE INSERT ON run_epochs FOR EACH ROW EXECUTE FUNCTION refuse_epochs()`,
      );
      await h.startPlane();
      for (const n of [1, 2, 3]) await h.publish(events(s).epoch(n));
      await waitFor("a failed write to be logged", () => h.logs.some((l) => l.includes("redelivery in")));
      assert.equal(await epochCount(h, s.runId), 0);
      await h.db.execute(sql`DROP TRIGGER refuse_epochs ON run_epochs`);
      await waitFor("all epochs to be stored", async () => (await epochCount(h, s.runId)) === 3, {
        timeoutMs: 15_000,
      });
      await waitFor("the consumer to drain", () => drained(h));
    } finally {
      await h.cleanup();
    }
  });
});

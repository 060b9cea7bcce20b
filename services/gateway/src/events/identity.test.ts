import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeMessage, GATEWAY_INGEST_CONSUMER, RUN_EVENTS_STREAM, runEventsSubject } from "@graft/contracts";
import { eventDrops, models, runAttempts, runEpochs, runs } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { claimed, waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { eq, sql } from "drizzle-orm";
import { events, type Harness, seedRun, setup } from "./test-fixtures.ts";

/**
 * Ingest believes an event only from the trainer that holds its attempt: the subject names the
 * sender (NATS pins trainers to their own subjects), the claim proves it was delivered the job,
 * and the attempt belongs to whoever first reported it. Everything else is dropped and counted.
 */

const drained = async (h: Harness) => {
  const info = await (await jetstreamManager(h.nc)).consumers.info(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
  return info.num_pending === 0 && info.num_ack_pending === 0;
};

const runRow = async (h: Harness, id: string) => {
  const [row] = await h.db.select().from(runs).where(eq(runs.id, id));
  assert.ok(row);
  return row;
};

describeEachDriver((driver) => {
  test("events on another trainer's subject, without the job's token, or for an attempt another trainer holds change nothing and are counted", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const intruder = (await seedRun(h.db)).trainerId; // registered, but never given this run
      await h.startPlane();
      const holder = events(s);
      await h.publish(holder.assigned());
      await h.publish(holder.started());
      await waitFor("the holder's run to be RUNNING", async () => (await runRow(h, s.runId)).status === "RUNNING");

      // 1. The body says the holder, the subject (what NATS lets the intruder use) says the intruder.
      const js = jetstream(h.trainerNc);
      await js.publish(runEventsSubject(intruder, s.runId), encodeMessage(holder.epoch(1)));
      // 2. Its own id, but a claim made without the run's job token.
      const forged = events({ runId: s.runId, trainerId: intruder }, 99, "x".repeat(43));
      await h.publish(forged.assigned());
      await h.publish(forged.succeeded());
      // 3. A valid claim (it once held the token), but attempt 1 is the holder's.
      const stolen = events({ runId: s.runId, trainerId: intruder }, 1);
      await h.publish(stolen.epoch(1));
      await h.publish(stolen.succeeded());
      await waitFor("the consumer to drain", () => drained(h));

      const run = await runRow(h, s.runId);
      assert.equal(run.status, "RUNNING");
      assert.equal(run.currentAttempt, 1);
      assert.equal(run.trainerId, s.trainerId);
      assert.equal(run.outputModelCreated, false);
      assert.equal((await h.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId))).length, 0);
      assert.equal((await h.db.select().from(models).where(eq(models.id, s.outputModelId))).length, 0);
      const attempts = await h.db.select().from(runAttempts).where(eq(runAttempts.runId, s.runId));
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.trainerId]),
        [[1, s.trainerId]],
      );

      const drops = await h.db.select().from(eventDrops).orderBy(eventDrops.at);
      assert.equal(drops.length, 5, JSON.stringify(drops, null, 1));
      assert.ok(drops.every((d) => d.kind === "REFUSED" && d.trainerId === intruder && d.runId === s.runId));
      assert.match(drops[0]?.reason ?? "", /sent on trainer .* subject but names trainer/);
      assert.match(drops[1]?.reason ?? "", /cannot prove it was given run/);
      assert.match(drops[3]?.reason ?? "", /attempt 1 is held by trainer/);

      // The holder carries on as if nothing happened.
      await h.publish(holder.epoch(1));
      await waitFor("the holder's epoch", async () => (await runRow(h, s.runId)).lastEpoch === 1);
    } finally {
      await h.cleanup();
    }
  });

  test("a claim that verified once vouches only for its own run, attempt and trainer: altered claims after it are refused", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane();
      const holder = events(s);
      await h.publish(holder.assigned());
      await h.publish(holder.epoch(1));
      await waitFor("the holder's epoch", async () => (await runRow(h, s.runId)).lastEpoch === 1);

      // Ingest now remembers the holder's claim. The same ids with another claim, and the
      // holder's claim moved to another attempt, must still be checked and refused.
      const good = holder.epoch(2);
      await h.publish({ ...good, claim: `${good.claim.slice(0, -1)}${good.claim.endsWith("0") ? "1" : "0"}` });
      await h.publish({ ...holder.epoch(3), attempt: 2 });
      await h.publish(holder.epoch(4));
      await waitFor("the consumer to drain", () => drained(h));

      const stored = await h.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId));
      assert.deepEqual(stored.map((r) => r.epoch).sort(), [1, 4]);
      assert.equal((await runRow(h, s.runId)).currentAttempt, 1);
      const drops = await h.db.select().from(eventDrops).orderBy(eventDrops.at);
      assert.deepEqual(
        drops.map((d) => [d.kind, d.attempt]),
        [
          ["REFUSED", 1],
          ["REFUSED", 2],
        ],
      );
      assert.ok(drops.every((d) => /cannot prove it was given run/.test(d.reason)));
    } finally {
      await h.cleanup();
    }
  });

  test("PROGRESS from an intruder, without the job's token, for another's attempt, malformed or past Int range is refused; Run.progress keeps the holder's", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      const intruder = (await seedRun(h.db)).trainerId;
      const plane = await h.startPlane();
      const running = { id: s.runId, status: "RUNNING" as const, currentAttempt: 1 };
      const sub = plane.subscribeRunEvents(s.runId);
      const holder = events(s);
      for (const event of [holder.assigned(), holder.started(), holder.progress(5)]) await h.publish(event);
      await waitFor("the holder's progress", async () => plane.progressOf(running)?.done === 5);

      const js = jetstream(h.trainerNc);
      // On the intruder's subject with the holder's body; forged claim; a real claim for the holder's attempt.
      await js.publish(runEventsSubject(intruder, s.runId), encodeMessage(holder.progress(9)));
      await h.publish(events({ runId: s.runId, trainerId: intruder }, 1, "x".repeat(43)).progress(9));
      await h.publish(events({ runId: s.runId, trainerId: intruder }, 1).progress(9));
      // The holder's own reports, malformed: unknown phase, negative, past GraphQL's Int, not JSON.
      const good = holder.progress(9);
      const progress = { phase: "TRAINING", done: 9, total: 10, epoch: 1, epochs: 2, etaSeconds: 3 };
      const malformed = (fields: Record<string, unknown>) =>
        ({ ...good, progress: { ...progress, ...fields } }) as never;
      await h.publish(malformed({ phase: "HACKING" }));
      await h.publish(malformed({ done: -1 }));
      await h.publish(malformed({ done: 2 ** 31, total: 2 ** 31 }));
      await h.publishRaw(s.runId, new TextEncoder().encode('{"type":"progress",'), s.trainerId);
      // Past the stream's largest message: refused before it is stored.
      await assert.rejects(
        js.publish(runEventsSubject(s.trainerId, s.runId), encodeMessage({ ...good, pad: "x".repeat(2 ** 20) })),
      );
      await h.publish(holder.progress(7));
      await waitFor("the consumer to drain", () => drained(h));

      // Every PROGRESS announced after the holder's 5 is the holder's 7.
      const announced: number[] = [];
      while (!announced.includes(7)) {
        const { value } = await sub.next();
        if (value?.kind === "PROGRESS" && value.progress) announced.push(value.progress.done);
      }
      assert.deepEqual(
        announced.filter((done) => done !== 5),
        [7],
      );
      assert.equal(plane.progressOf(running)?.done, 7);
      assert.equal((await runRow(h, s.runId)).status, "RUNNING");
      const drops = await h.db.select().from(eventDrops).orderBy(eventDrops.at);
      assert.equal(drops.length, 7, JSON.stringify(drops, null, 1));
      assert.ok(drops.every((d) => d.kind === "REFUSED"));
      await sub.return?.();
    } finally {
      await h.cleanup();
    }
  });

  test("the holder's own attempt or epoch past 32 bits is refused at once, not retried until dead-lettered", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      await h.startPlane();
      const holder = events(s);
      await h.publish(holder.assigned());
      // Valid claims: the holder has the job token, and a claim binds any attempt number it picks.
      await h.publish(events(s, 2 ** 31).assigned());
      await h.publish(holder.epoch(2 ** 31));
      await h.publish(holder.epoch(1));
      await waitFor("the consumer to drain", () => drained(h));

      const run = await runRow(h, s.runId);
      assert.equal(run.currentAttempt, 1);
      assert.equal(run.lastEpoch, 1);
      const drops = await h.db.select().from(eventDrops).orderBy(eventDrops.at);
      assert.deepEqual(
        drops.map((d) => [d.kind, d.eventType]),
        [
          ["REFUSED", "assigned"],
          ["REFUSED", "epoch"],
        ],
      );
      assert.ok(!h.logs.some((l) => /failed \(redelivery/.test(l)), "no write was attempted and retried");
    } finally {
      await h.cleanup();
    }
  });

  test("an event that fails to apply while the database works is dead-lettered with its reason, not redelivered forever", async () => {
    const h = await setup(driver);
    try {
      const s = await seedRun(h.db);
      // A real failure inside the write, for this one epoch only.
      await h.db.execute(sql`
        CREATE FUNCTION refuse_epoch_77() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW.epoch = 77 THEN RAISE EXCEPTION 'epoch 77 cannot be stored'; END IF; RETURN NEW; END $$`);
      await h.db.execute(sql`
        CREATE TRIGGER refuse_epoch_77 BEFORE INSERT ON run_epochs FOR EACH ROW EXECUTE FUNCTION refuse_epoch_77()`);
      await h.startPlane({ deadLetterAfter: 3 });
      const e = events(s);
      await h.publish(e.epoch(77));
      await h.publish(e.epoch(1));
      await waitFor("the dead letter", async () => (await h.db.select().from(eventDrops)).length === 1, {
        timeoutMs: 30_000,
      });
      await waitFor("the consumer to drain", () => drained(h), { timeoutMs: 30_000 });
      const [drop] = await h.db.select().from(eventDrops);
      assert.equal(drop?.kind, "DEAD_LETTER");
      assert.equal(drop?.eventType, "epoch");
      assert.equal(drop?.runId, s.runId);
      assert.match(drop?.reason ?? "", /failed to apply on 3 deliveries/);
      const stored = await h.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId));
      assert.deepEqual(
        stored.map((r) => r.epoch),
        [1],
        "the other event is stored",
      );
    } finally {
      await h.cleanup();
    }
  });
});

test("claimed() signs with the given token: a claim for one trainer is not another's", () => {
  const base = { type: "assigned", runId: "r1", attempt: 1, at: new Date().toISOString() } as const;
  const a = claimed({ ...base, trainerId: "a" }, "t".repeat(43));
  const b = claimed({ ...base, trainerId: "b" }, "t".repeat(43));
  assert.notEqual(a.claim, b.claim);
});

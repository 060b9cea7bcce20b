import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Db, runEpochs, runs } from "@graft/db";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "@graft/db/testing";
import { eq } from "drizzle-orm";
import { applyBatch, commitAhead, planAhead, RunStates } from "./apply-batch.ts";
import { events, seedRun } from "./test-fixtures.ts";

/**
 * Batches written ahead (ingest's `writeAhead`): a batch that changes no run is planned on the
 * states this process last wrote, and written in one message that checks those states under
 * lock. A plan on a state that moved writes nothing.
 */

const noOutputs = async () => {
  throw new Error("no run succeeds in these tests");
};

describeEachDriver((driver) => {
  let database: TestDatabase;
  let db: Db;
  before(async () => {
    database = await createTestDatabase(driver);
    db = database.db;
  });
  after(async () => {
    await database?.close();
  });

  const epochsOf = async (runId: string) =>
    (await db.select().from(runEpochs).where(eq(runEpochs.runId, runId)).orderBy(runEpochs.epoch)).map((r) => r.epoch);
  const running = async () => {
    const s = await seedRun(db);
    const e = events(s);
    const states = new RunStates();
    await applyBatch(db, [e.assigned(), e.started(), e.epoch(1)], noOutputs, new Date(), states);
    return { s, e, states };
  };

  test("epochs of a running attempt are planned from the states ingest wrote and stored in one transaction", async () => {
    const { s, e, states } = await running();
    const plan = planAhead([e.epoch(2), e.log("halfway"), e.epoch(3), e.epoch(3)], states);
    assert.ok(plan, "a batch of epochs and a log line of the holder's running attempt is planned");
    const result = await commitAhead(db, plan);
    assert.ok(result);
    assert.deepEqual(
      result.verdicts.map((v) => v.stored),
      [true, true, true, true],
    );
    // Each stored epoch is announced once (the duplicate epoch 3 is not), in order, with its row.
    assert.deepEqual(
      result.updates.map((u) => [u.kind, u.epoch?.epoch ?? null, u.status]),
      [
        ["EPOCH", 2, "RUNNING"],
        ["LOG", null, "RUNNING"],
        ["EPOCH", 3, "RUNNING"],
      ],
    );
    assert.equal(typeof result.updates[0]?.epoch?.recordedAt, "string");
    assert.deepEqual(await epochsOf(s.runId), [1, 2, 3]);
    const [run] = await db.select().from(runs).where(eq(runs.id, s.runId));
    assert.equal(run?.lastEpoch, 3, "the run's summary is brought up to date in the same statement");

    // Written again (a redelivery): nothing is stored or announced twice.
    const again = planAhead([e.epoch(3)], states);
    assert.ok(again);
    assert.deepEqual((await commitAhead(db, again))?.updates, []);
    assert.deepEqual(await epochsOf(s.runId), [1, 2, 3]);
  });

  test("what would change a run, or needs the database to judge, is not planned", async () => {
    const { s, e, states } = await running();
    const unwritten = await seedRun(db);
    const plans = {
      succeeded: planAhead([e.epoch(2), e.succeeded()], states),
      "a cancel after an epoch": planAhead([e.epoch(2), e.cancelled()], states),
      "a newer attempt": planAhead([events(s, 2).epoch(1)], states),
      "a stale attempt": planAhead([events(s, 0).epoch(1)], states),
      "another trainer's event": planAhead([events({ ...s, trainerId: crypto.randomUUID() }).epoch(2)], states),
      "no epoch to write": planAhead([e.log("only a log line")], states),
      "a run this process has not written": planAhead([events(unwritten).epoch(1)], states),
    };
    for (const [what, plan] of Object.entries(plans)) assert.equal(plan, undefined, what);
    assert.ok(planAhead([e.epoch(2)], states), "while epochs of the running attempt still are");
  });

  test("a plan whose run moved since (a cancel, another replica) writes nothing", async () => {
    const { s, e, states } = await running();
    const plan = planAhead([e.epoch(2)], states);
    assert.ok(plan);
    // Another replica takes the run over with a second attempt (its own RunStates, not ours).
    await applyBatch(db, [events(s, 2).assigned()], noOutputs);
    assert.equal(await commitAhead(db, plan), undefined);
    assert.deepEqual(await epochsOf(s.runId), [1]);
    // The ordinary way judges it on the row as it is now: attempt 1 is stale.
    const ordinary = await applyBatch(db, [e.epoch(2)], noOutputs, new Date(), states);
    assert.equal(ordinary.verdicts[0]?.stored, false);
    assert.equal(planAhead([e.epoch(3)], states), undefined, "and plans on the state it read, not the old one");
  });

  test("a plan waits for a transaction holding its run and checks the run as that one left it", {
    skip: driver === "pglite" && "PGlite runs one transaction at a time",
  }, async () => {
    const { s, e, states } = await running();
    const plan = planAhead([e.epoch(2)], states);
    assert.ok(plan);
    // A second connection of the same pool (the PostgreSQL driver's client is a pg Pool).
    type PoolClient = { query(text: string, values?: unknown[]): Promise<unknown>; release(): void };
    const other = await (db as unknown as { $client: { connect(): Promise<PoolClient> } }).$client.connect();
    try {
      await other.query("BEGIN");
      await other.query("SELECT id FROM runs WHERE id = $1 FOR UPDATE", [s.runId]);
      const written = commitAhead(db, plan);
      // The plan's transaction is now waiting for the lock; the holder cancels the run meanwhile.
      await new Promise((r) => setTimeout(r, 200));
      await other.query("UPDATE runs SET status = 'CANCELLED', finished_at = now() WHERE id = $1", [s.runId]);
      await other.query("COMMIT");
      // Read with a snapshot from before the lock was granted, the run would still be RUNNING.
      assert.equal(await written, undefined);
    } finally {
      other.release();
    }
    assert.deepEqual(await epochsOf(s.runId), [1]);
  });
});

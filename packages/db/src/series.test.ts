import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { and, asc, eq } from "drizzle-orm";
import { runEpochSuperblocks, runEpochs } from "./schema.ts";
import { InvalidSeriesRequestError, reduceEpochSeries, reduceEpochSeriesOf } from "./series.ts";
import { insertDataset, insertModel, insertProject, insertRun } from "./test-fixtures.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

describeEachDriver((driver) => {
  let database: TestDatabase;
  let runId: string;

  // loss per epoch 1..10; valAccuracy missing on epoch 3 (as when validation is skipped).
  const LOSS = [5, 3, 4, 1, 2, 9, 7, 8, 6, 0.5];

  const epochRow = (epoch: number, loss: number) => ({
    runId,
    epoch,
    attempt: 1,
    loss,
    valAccuracy: epoch === 3 ? null : epoch / 10,
    learningRate: 0.001,
    durationMs: 10,
    samplesPerSecond: 100,
    trainableParams: 10,
    frozenLayers: 1,
  });

  /** A run of its own (project, base model and dataset made for it) to store a series under. */
  const newRun = async (db: TestDatabase["db"], name: string) => {
    const projectId = await insertProject(db, name);
    const baseModelId = await insertModel(db, { name, projectId: null });
    return await insertRun(db, { projectId, baseModelId, datasetId: await insertDataset(db, projectId) });
  };

  before(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    runId = await newRun(db, "p");
    await db.insert(runEpochs).values(LOSS.map((loss, i) => epochRow(i + 1, loss)));
  });

  after(() => database.close());

  test("a redelivered epoch (same run and epoch) inserted with onConflictDoNothing changes nothing", async () => {
    const inserted = await database.db
      .insert(runEpochs)
      .values({ ...epochRow(4, 123), attempt: 2 })
      .onConflictDoNothing()
      .returning();
    assert.equal(inserted.length, 0);
    const rows = await database.db
      .select()
      .from(runEpochs)
      .where(and(eq(runEpochs.runId, runId), eq(runEpochs.epoch, 4)));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.loss, 1);
    assert.equal(rows[0]?.attempt, 1);
  });

  test("buckets of equal epoch width keep each bucket's exact min, max and last", async () => {
    // 10 epochs into at most 3 buckets: width 4 -> epochs 1-4, 5-8, 9-10.
    assert.deepEqual(await reduceEpochSeries(database.db, runId, "loss", 3), [
      { epoch: 4, min: 1, max: 5, last: 1 },
      { epoch: 8, min: 2, max: 9, last: 8 },
      { epoch: 10, min: 0.5, max: 6, last: 0.5 },
    ]);
    assert.deepEqual(await reduceEpochSeries(database.db, runId, "loss", 1), [
      { epoch: 10, min: 0.5, max: 9, last: 0.5 },
    ]);
  });

  test("a series no longer than maxPoints comes back point for point", async () => {
    const points = await reduceEpochSeries(database.db, runId, "loss", 2000);
    assert.deepEqual(
      points,
      LOSS.map((loss, i) => ({ epoch: i + 1, min: loss, max: loss, last: loss })),
    );
  });

  test("epochs without the metric are skipped", async () => {
    const points = await reduceEpochSeries(database.db, runId, "valAccuracy", 2000);
    assert.deepEqual(
      points.map((p) => p.epoch),
      [1, 2, 4, 5, 6, 7, 8, 9, 10],
    );
    assert.deepEqual(await reduceEpochSeries(database.db, runId, "accuracy", 10), []);
  });

  test("bad requests get a typed error; unknown runs an empty series", async () => {
    await assert.rejects(reduceEpochSeries(database.db, runId, "loss", 0), InvalidSeriesRequestError);
    await assert.rejects(reduceEpochSeries(database.db, runId, "loss", 1.5), InvalidSeriesRequestError);
    await assert.rejects(reduceEpochSeries(database.db, runId, "drop table" as "loss", 10), InvalidSeriesRequestError);
    assert.deepEqual(await reduceEpochSeries(database.db, crypto.randomUUID(), "loss", 10), []);
    assert.deepEqual(await reduceEpochSeries(database.db, "nope", "loss", 10), []);
  });

  test("long series merge 32-epoch summary blocks, kept exact across inserts and duplicates", async () => {
    const { db } = database;
    const longRun = await newRun(db, "long");
    const loss = (e: number) => ((e * 37) % 101) / 10;
    const valAccuracy = (e: number) => (e >= 60 && e <= 70 ? null : ((e * 13) % 17) / 17);
    const row = (e: number) => ({ ...epochRow(e, loss(e)), runId: longRun, valAccuracy: valAccuracy(e) });
    // Two batches meeting inside a block, then a redelivered epoch with absurd values.
    await db.insert(runEpochs).values(Array.from({ length: 40 }, (_, i) => row(i + 1)));
    await db.insert(runEpochs).values(Array.from({ length: 60 }, (_, i) => row(i + 41)));
    await db
      .insert(runEpochs)
      .values({ ...row(50), loss: 1e9, valAccuracy: -1 })
      .onConflictDoNothing();

    // Expected: buckets of two 32-epoch blocks (epochs 1-63, 64-100), null epochs skipped.
    const expected = (value: (e: number) => number | null) => {
      const buckets = new Map<number, { epoch: number; min: number; max: number; last: number }>();
      for (let e = 1; e <= 100; e++) {
        const v = value(e);
        if (v === null) continue;
        const key = Math.floor(Math.floor(e / 32) / 2);
        const b = buckets.get(key);
        buckets.set(
          key,
          b
            ? { epoch: e, min: Math.min(b.min, v), max: Math.max(b.max, v), last: v }
            : { epoch: e, min: v, max: v, last: v },
        );
      }
      return [...buckets.values()];
    };
    assert.deepEqual(await reduceEpochSeries(db, longRun, "loss", 2), expected(loss));
    assert.deepEqual(await reduceEpochSeries(db, longRun, "valAccuracy", 3), expected(valAccuracy));
    assert.equal((await reduceEpochSeries(db, longRun, "valAccuracy", 3))[0]?.epoch, 59);

    // Many runs in one call, a short series (from run_epochs) beside a long one (from the
    // blocks), in at most three statements: each run's series is what it is alone.
    const unknown = crypto.randomUUID();
    let statements = 0;
    // The same database, counting the statements sent to it.
    const counted = {
      execute: (query: Parameters<typeof db.execute>[0]) => {
        statements++;
        return db.execute(query);
      },
    } as typeof db;
    const batch = await reduceEpochSeriesOf(counted, [runId, longRun.toUpperCase(), unknown, "nope"], "loss", 3);
    assert.deepEqual(batch.get(runId), [
      { epoch: 4, min: 1, max: 5, last: 1 },
      { epoch: 8, min: 2, max: 9, last: 8 },
      { epoch: 10, min: 0.5, max: 6, last: 0.5 },
    ]);
    // 100 epochs in 3 buckets: two 32-epoch blocks per bucket, as with maxPoints 2 above.
    assert.deepEqual(batch.get(longRun.toUpperCase()), expected(loss));
    assert.deepEqual(batch.get(unknown), []);
    assert.deepEqual(batch.get("nope"), []);
    assert.equal(statements, 3);
  });

  test("wide buckets merge 256-epoch superblocks, kept exact across batches, gaps and duplicates", async () => {
    const { db } = database;
    const superRun = await newRun(db, "super");
    const loss = (e: number) => ((e * 53) % 211) / 10;
    // valLoss is missing on 500-520 (validation skipped) and every epoch of 400-449 is missing (a gap).
    const valLoss = (e: number) => (e >= 500 && e <= 520 ? null : ((e * 7) % 97) / 97);
    const stored = (e: number) => e < 400 || e > 449;
    const row = (e: number) => ({ ...epochRow(e, loss(e)), runId: superRun, valLoss: valLoss(e), valAccuracy: null });
    const insert = (epochs: number[]) => db.insert(runEpochs).values(epochs.filter(stored).map(row));
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    // A large batch, single epochs across the 256 boundary, a batch meeting them inside a block,
    // and a redelivered epoch with absurd values that must change nothing.
    await insert(range(1, 250));
    for (const e of range(251, 262)) await insert([e]);
    await insert(range(263, 600));
    await db
      .insert(runEpochs)
      .values({ ...row(300), loss: -1e9, valLoss: 1e9 })
      .onConflictDoNothing();

    type Summary = { min: number; max: number; lastEpoch: number; last: number };
    const summarise = (value: (e: number) => number | null, key: (e: number) => number) => {
      const out = new Map<number, Summary>();
      for (const e of range(1, 600).filter(stored)) {
        const v = value(e);
        if (v === null) continue;
        const s = out.get(key(e));
        out.set(
          key(e),
          s
            ? { min: Math.min(s.min, v), max: Math.max(s.max, v), lastEpoch: e, last: v }
            : { min: v, max: v, lastEpoch: e, last: v },
        );
      }
      return out;
    };

    // The trigger's superblocks hold each 256-epoch block's exact summary.
    const superblocks = await db
      .select()
      .from(runEpochSuperblocks)
      .where(eq(runEpochSuperblocks.runId, superRun))
      .orderBy(asc(runEpochSuperblocks.block));
    const lossBlocks = summarise(loss, (e) => Math.floor(e / 256));
    const valLossBlocks = summarise(valLoss, (e) => Math.floor(e / 256));
    assert.deepEqual(
      superblocks.map((b) => [b.block, b.lossMin, b.lossMax, b.lossLastEpoch, b.lossLast]),
      [...lossBlocks].map(([block, s]) => [block, s.min, s.max, s.lastEpoch, s.last]),
    );
    assert.deepEqual(
      superblocks.map((b) => [b.block, b.valLossMin, b.valLossMax, b.valLossLastEpoch, b.valLossLast]),
      [...valLossBlocks].map(([block, s]) => [block, s.min, s.max, s.lastEpoch, s.last]),
    );
    assert.ok(superblocks.every((b) => b.valAccuracyLastEpoch === null && b.valAccuracyLast === null));

    // 600 epochs in 2 buckets: width 300 spans whole superblocks, two per bucket (1-511, 512-600).
    const expected = (value: (e: number) => number | null) =>
      [...summarise(value, (e) => Math.floor(Math.floor(e / 256) / 2)).values()].map((s) => ({
        epoch: s.lastEpoch,
        min: s.min,
        max: s.max,
        last: s.last,
      }));
    assert.deepEqual(await reduceEpochSeries(db, superRun, "loss", 2), expected(loss));
    assert.deepEqual(await reduceEpochSeries(db, superRun, "valLoss", 2), expected(valLoss));
    assert.deepEqual(await reduceEpochSeries(db, superRun, "valAccuracy", 2), []);

    // Runs at all three sizes in one call (epochs, 32- and 256-epoch blocks): four statements,
    // each run's series what it is alone.
    const blocksRun = await newRun(db, "super-blocks");
    await db.insert(runEpochs).values(range(1, 100).map((e) => ({ ...row(e), runId: blocksRun })));
    let statements = 0;
    const counted = {
      execute: (query: Parameters<typeof db.execute>[0]) => {
        statements++;
        return db.execute(query);
      },
    } as typeof db;
    const ids = [runId, blocksRun, superRun];
    const batch = await reduceEpochSeriesOf(counted, ids, "loss", 2);
    assert.equal(statements, 4);
    for (const id of ids) assert.deepEqual(batch.get(id), await reduceEpochSeries(db, id, "loss", 2));
    assert.equal(batch.get(blocksRun)?.length, 2);
  });
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type Hyperparameters, hyperparametersSchema } from "@graft/contracts";
import { type Db, runEpochs, runs, sweepTrials } from "@graft/db";
import {
  createTestDatabase,
  describeEachDriver,
  insertDataset,
  insertModel,
  insertProject,
  type TestDatabase,
} from "@graft/db/testing";
import { asc, eq } from "drizzle-orm";
import { advanceSweep, cancelSweepRow, insertSweep, type SweepSpec } from "./sweep-ledger.ts";

// The sweep's bookkeeping against a real database, without NATS or trainers: runs' ends and
// epochs are written as ingest would write them, and each pass is read back.

const hp = (learningRate: number): Hyperparameters => hyperparametersSchema.parse({ epochs: 6, learningRate });

const spec = (over: Partial<SweepSpec> = {}): SweepSpec => ({
  method: "GRID",
  seed: 0,
  space: { learningRate: { values: [] } },
  maxEpochs: 6,
  maxTrials: null,
  maxConcurrentTrials: 2,
  metric: "valAccuracy",
  goal: "MAXIMIZE",
  asha: { reductionFactor: 2, minEpochs: 1 },
  rungs: [1, 2, 4],
  ...over,
});

describeEachDriver((driver) => {
  let database: TestDatabase;
  let db: Db;
  let owner: { projectId: string; baseModelId: string; datasetId: string };
  before(async () => {
    database = await createTestDatabase(driver);
    db = database.db;
    const projectId = await insertProject(db, "sweeps");
    owner = {
      projectId,
      baseModelId: await insertModel(db, { name: "base", projectId }),
      datasetId: await insertDataset(db, projectId),
    };
  });
  after(() => database.close());

  const newSweep = async (trials: number, over: Partial<SweepSpec> = {}) =>
    await insertSweep(
      db,
      {
        id: crypto.randomUUID(),
        ...owner,
        name: "s",
        pool: "default",
        spec: { ...spec(over) },
        trialCount: trials,
      },
      Array.from({ length: trials }, (_, i) => ({ params: { learningRate: i }, hyperparameters: hp(0.001 * (i + 1)) })),
    );
  const trialRuns = async (sweepId: string) =>
    await db
      .select({ trial: sweepTrials.trial, runId: sweepTrials.runId, status: runs.status, error: runs.error })
      .from(sweepTrials)
      .leftJoin(runs, eq(runs.id, sweepTrials.runId))
      .where(eq(sweepTrials.sweepId, sweepId))
      .orderBy(asc(sweepTrials.trial));
  const end = (runId: string, status: "SUCCEEDED" | "FAILED" | "CANCELLED", lastEpoch = 0) =>
    db.update(runs).set({ status, lastEpoch }).where(eq(runs.id, runId));
  const epoch = (runId: string, n: number, valAccuracy: number) =>
    db.insert(runEpochs).values({
      runId,
      epoch: n,
      attempt: 1,
      loss: 1,
      valAccuracy,
      learningRate: 0.001,
      durationMs: 1,
      samplesPerSecond: 1,
      trainableParams: 1,
      frozenLayers: 0,
    });

  test("launches at most maxConcurrentTrials, exactly the planned trials in all, even with passes racing", async () => {
    const sweep = await newSweep(5, { asha: null, rungs: [] });
    // Eight passes at once: the row lock lets one launch, the others see its runs.
    await Promise.all(Array.from({ length: 8 }, () => advanceSweep(db, sweep.id)));
    let rows = await trialRuns(sweep.id);
    assert.deepEqual(
      rows.map((r) => r.status),
      ["QUEUED", "QUEUED", null, null, null],
    );
    assert.equal((await advanceSweep(db, sweep.id))?.changed, false, "a pass with nothing to do changes nothing");

    // A failed trial counts as done (never launched again); its slot goes to the next trial.
    await end(rows[0]?.runId as string, "FAILED");
    const step = await advanceSweep(db, sweep.id);
    assert.equal(step?.launched.length, 1);
    assert.equal(step?.launched[0]?.hyperparameters.learningRate, 0.003, "trial 3's own hyperparameters");
    for (;;) {
      rows = await trialRuns(sweep.id);
      const active = rows.filter((r) => r.status === "QUEUED");
      assert.ok(active.length <= 2);
      if (active.length === 0) break;
      for (const r of active) await end(r.runId as string, "SUCCEEDED", 1);
      await Promise.all([advanceSweep(db, sweep.id), advanceSweep(db, sweep.id)]);
    }
    assert.equal(new Set(rows.map((r) => r.runId).filter(Boolean)).size, 5, "five runs, one per trial");
    const ended = await advanceSweep(db, sweep.id);
    assert.equal(ended?.sweep.status, "SUCCEEDED");
    assert.equal(ended?.launched.length, 0);
  });

  test("ASHA stops a trial outside the top 1/eta at a rung, keeps the others, and the best succeeded trial wins", async () => {
    const sweep = await newSweep(4, { maxConcurrentTrials: 4 });
    await advanceSweep(db, sweep.id);
    const ids = (await trialRuns(sweep.id)).map((r) => r.runId as string);
    const [a, b, c, d] = ids as [string, string, string, string];
    for (const id of ids) await db.update(runs).set({ status: "RUNNING" }).where(eq(runs.id, id));

    // Rung 1 arrives in order a, b: a alone is kept; b (worse) is outside the top 1 of 2.
    await epoch(a, 1, 0.8);
    let step = await advanceSweep(db, sweep.id);
    assert.deepEqual(step?.stopped, []);
    await epoch(b, 1, 0.2);
    step = await advanceSweep(db, sweep.id);
    assert.deepEqual(
      step?.stopped.map((s) => [s.runId, s.rung]),
      [[b, 1]],
    );
    // c is third of three at rung 1, but ceil(3/2) = 2 keep: it is second, kept; d is worst of 4, stopped.
    await epoch(c, 1, 0.5);
    await epoch(d, 1, 0.1);
    step = await advanceSweep(db, sweep.id);
    assert.deepEqual(
      step?.stopped.map((s) => [s.runId, s.rung]),
      [[d, 1]],
    );
    const rows = await db
      .select()
      .from(sweepTrials)
      .where(eq(sweepTrials.sweepId, sweep.id))
      .orderBy(asc(sweepTrials.trial));
    assert.deepEqual(
      rows.map((r) => [r.rungReached, r.stoppedAtRung]),
      [
        [1, null],
        [0, 1],
        [1, null],
        [0, 1],
      ],
    );
    const runRows = await trialRuns(sweep.id);
    assert.equal(runRows[1]?.error?.code, "EARLY_STOPPED");
    assert.match(runRows[1]?.error?.message ?? "", /not in the top 1 of 2 trials/);
    assert.equal(runRows[0]?.error, null);
    // Judged once: a stored epoch that is no rung, or a second pass, decides nothing new.
    assert.equal((await advanceSweep(db, sweep.id))?.changed, false);

    // Stopped trials end CANCELLED; a and c finish; c's last epoch is the better one.
    await end(b, "CANCELLED", 1);
    await end(d, "CANCELLED", 1);
    for (const [id, value] of [
      [a, 0.85],
      [c, 0.9],
    ] as const) {
      await epoch(id, 2, value - 0.05);
      await epoch(id, 6, value);
      await end(id, "SUCCEEDED", 6);
    }
    const ended = await advanceSweep(db, sweep.id);
    assert.equal(ended?.sweep.status, "SUCCEEDED");
    assert.equal(ended?.sweep.bestRunId, c);
  });

  test("a sweep whose trials all failed ends FAILED; a cancelled sweep launches nothing more", async () => {
    const failing = await newSweep(1, { asha: null, rungs: [] });
    await advanceSweep(db, failing.id);
    const [only] = await trialRuns(failing.id);
    await end(only?.runId as string, "FAILED");
    const ended = await advanceSweep(db, failing.id);
    assert.equal(ended?.sweep.status, "FAILED");
    assert.equal(ended?.sweep.bestRunId, null);

    const cancelled = await newSweep(3, { maxConcurrentTrials: 1, asha: null, rungs: [] });
    await advanceSweep(db, cancelled.id);
    const active = await cancelSweepRow(db, cancelled.id);
    assert.equal(active?.length, 1);
    assert.equal(await cancelSweepRow(db, cancelled.id), null, "only a running sweep can be cancelled");
    const [first] = await trialRuns(cancelled.id);
    await end(first?.runId as string, "CANCELLED");
    const step = await advanceSweep(db, cancelled.id);
    assert.equal(step?.launched.length, 0);
    assert.equal(step?.sweep.status, "CANCELLED");
    assert.equal((await trialRuns(cancelled.id)).filter((r) => r.runId).length, 1);
  });
});

import { randomUUID } from "node:crypto";
import {
  ACTIVE_RUN_STATUSES,
  type Hyperparameters,
  type MetricName,
  type SweepGoal,
  type SweepMethod,
  type SweepStatus,
} from "@graft/contracts";
import { type Db, datasets, models, runEpochs, runs, sweeps, sweepTrials } from "@graft/db";
import { and, asc, eq, inArray } from "drizzle-orm";
import { ashaKeeps, isBetter } from "./asha.ts";
import { runRowValues } from "./commands/runs.ts";
import { enqueueJobs, type OutboxEntry } from "./job-outbox.ts";
import type { DatasetRow, ModelRow, RunRow } from "./rows.ts";
import type { SweepParams } from "./sweep-space.ts";

export type SweepRow = typeof sweeps.$inferSelect;
export type SweepTrialRow = typeof sweepTrials.$inferSelect;

/** What a sweep was asked for, as stored in `sweeps.spec`. */
export interface SweepSpec {
  method: SweepMethod;
  seed: number;
  space: Record<string, unknown>;
  maxEpochs: number;
  /** As requested (null: a GRID's own size). The planned count is `sweeps.trial_count`. */
  maxTrials: number | null;
  maxConcurrentTrials: number;
  metric: MetricName;
  goal: SweepGoal;
  /** ASHA's settings, or null: no trial is stopped early. */
  asha: { reductionFactor: number; minEpochs: number } | null;
  /** Epochs at which ASHA judges trials (empty without ASHA). */
  rungs: number[];
}

/** A trial as the ledger plans it at start. */
export interface PlannedTrial {
  params: SweepParams;
  hyperparameters: Hyperparameters;
}

/** What one pass over a sweep decided; the caller publishes it after commit. */
export interface SweepAdvance {
  sweep: SweepRow;
  /** New trial runs, stored QUEUED. */
  launched: RunRow[];
  /** Their jobs, in the outbox: to be published after commit. */
  jobs: OutboxEntry[];
  base: ModelRow;
  dataset: DatasetRow;
  /** Trials ASHA stopped in this pass: their runs are to be cancelled. */
  stopped: { runId: string; trial: number; rung: number; message: string }[];
  /** Anything changed (a launch, a stop, a rung passed, the sweep ended). */
  changed: boolean;
}

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

const isActive = (status: string | null) =>
  status !== null && (ACTIVE_RUN_STATUSES as readonly string[]).includes(status);

const metricColumn = {
  loss: runEpochs.loss,
  accuracy: runEpochs.accuracy,
  valLoss: runEpochs.valLoss,
  valAccuracy: runEpochs.valAccuracy,
} as const;

/** Stores a sweep and all its planned trials (no runs yet); `advanceSweep` launches the first ones. */
export async function insertSweep(
  db: Db,
  values: typeof sweeps.$inferInsert & { id: string },
  trials: readonly PlannedTrial[],
): Promise<SweepRow> {
  return await db.transaction(async (tx) => {
    const [sweep] = await tx
      .insert(sweeps)
      .values({ ...values, trialCount: trials.length })
      .returning();
    if (!sweep) throw new Error("insert into sweeps returned nothing");
    await tx.insert(sweepTrials).values(
      trials.map((t, trial) => ({
        sweepId: sweep.id,
        trial,
        params: t.params as Record<string, unknown>,
        hyperparameters: t.hyperparameters,
      })),
    );
    return sweep;
  });
}

/**
 * One pass over a sweep, in one transaction holding its row lock (so gateway replicas and
 * concurrent events take turns, and every decision sees the previous one's writes):
 * 1. ASHA: each active trial judged at every rung it has newly reached; a trial outside the
 *    top 1/eta there is marked stopped (its run gets error EARLY_STOPPED, to be cancelled).
 * 2. Launch: while the sweep runs, trials without a run get one, in trial order, until
 *    maxConcurrentTrials are active. Runs exist only for planned trials, one each (the
 *    trial's primary key and unique run id), so a sweep never runs more than it planned;
 *    a trial whose run failed (after the run's own retries) is done, never launched again.
 * 3. End: once every trial has run and none is active, the sweep is SUCCEEDED with its best
 *    trial (best final metric of a succeeded run), or FAILED when none succeeded.
 * Idempotent: a pass with nothing new to decide changes nothing.
 */
export async function advanceSweep(db: Db, sweepId: string, now = new Date()): Promise<SweepAdvance | null> {
  return await db.transaction(async (tx) => {
    const [sweep] = await tx.select().from(sweeps).where(eq(sweeps.id, sweepId)).for("update");
    if (!sweep) return null;
    const spec = sweep.spec as unknown as SweepSpec;
    const [base] = await tx.select().from(models).where(eq(models.id, sweep.baseModelId));
    const [dataset] = await tx.select().from(datasets).where(eq(datasets.id, sweep.datasetId));
    if (!base || !dataset) throw new Error(`sweep ${sweep.id}: its base model or dataset is gone`);
    const trials = await tx
      .select({ trial: sweepTrials, status: runs.status, lastEpoch: runs.lastEpoch })
      .from(sweepTrials)
      .leftJoin(runs, eq(runs.id, sweepTrials.runId))
      .where(eq(sweepTrials.sweepId, sweep.id))
      .orderBy(asc(sweepTrials.trial));
    const out: SweepAdvance = { sweep, launched: [], jobs: [], base, dataset, stopped: [], changed: false };

    if (spec.asha && spec.rungs.length > 0 && sweep.status === "RUNNING") await judgeRungs(tx, spec, trials, out);

    const activeCount = trials.filter((t) => isActive(t.status)).length;
    const waiting = trials.filter((t) => t.trial.runId === null);
    if (sweep.status === "RUNNING") {
      const launch = waiting.slice(0, Math.max(0, spec.maxConcurrentTrials - activeCount));
      for (const t of launch) {
        const run = await launchTrial(tx, sweep, t.trial, base, dataset);
        out.launched.push(run);
        out.jobs.push(...(await enqueueJobs(tx, [{ run, base, dataset }])));
      }
      if (launch.length > 0) out.changed = true;
      if (waiting.length === 0 && activeCount === 0) {
        const bestRunId = await bestTrialRun(tx, spec, trials);
        const status: SweepStatus = bestRunId ? "SUCCEEDED" : "FAILED";
        const [ended] = await tx
          .update(sweeps)
          .set({ status, bestRunId, finishedAt: now })
          .where(eq(sweeps.id, sweep.id))
          .returning();
        if (ended) out.sweep = ended;
        out.changed = true;
      }
    }
    return out;
  });
}

type TrialState = { trial: SweepTrialRow; status: string | null; lastEpoch: number | null };

async function judgeRungs(tx: Tx, spec: SweepSpec, trials: TrialState[], out: SweepAdvance): Promise<void> {
  const asha = spec.asha as NonNullable<SweepSpec["asha"]>;
  const runIds = trials.map((t) => t.trial.runId).filter((id): id is string => id !== null);
  if (runIds.length === 0) return;
  const rows = await tx
    .select({ runId: runEpochs.runId, epoch: runEpochs.epoch, value: metricColumn[spec.metric] })
    .from(runEpochs)
    .where(and(inArray(runEpochs.runId, runIds), inArray(runEpochs.epoch, spec.rungs)));
  const at = new Map<number, Map<string, number | null>>();
  for (const r of rows) {
    const byRun = at.get(r.epoch) ?? new Map<string, number | null>();
    byRun.set(r.runId, r.value);
    at.set(r.epoch, byRun);
  }
  for (const t of trials) {
    const runId = t.trial.runId;
    if (runId === null || !isActive(t.status) || t.trial.stoppedAtRung !== null) continue;
    for (const rung of spec.rungs) {
      const byRun = at.get(rung);
      if (rung <= t.trial.rungReached || !byRun?.has(runId)) continue;
      const value = byRun.get(runId) ?? null;
      const others = [...byRun.values()];
      if (ashaKeeps(value, others, asha.reductionFactor, spec.goal)) {
        await tx
          .update(sweepTrials)
          .set({ rungReached: rung })
          .where(and(eq(sweepTrials.sweepId, t.trial.sweepId), eq(sweepTrials.trial, t.trial.trial)));
        t.trial.rungReached = rung;
        out.changed = true;
        continue;
      }
      const keep = Math.max(1, Math.ceil(others.length / asha.reductionFactor));
      const message = `early stopped by ASHA at epoch ${rung}: ${spec.metric} ${value ?? "none"} is not in the top ${keep} of ${others.length} trials at this rung (1/${asha.reductionFactor})`;
      await tx
        .update(sweepTrials)
        .set({ stoppedAtRung: rung })
        .where(and(eq(sweepTrials.sweepId, t.trial.sweepId), eq(sweepTrials.trial, t.trial.trial)));
      // The reason is on the run itself, so its page and `graft runs show` say why it was cancelled.
      await tx
        .update(runs)
        .set({ error: { code: "EARLY_STOPPED", message } })
        .where(and(eq(runs.id, runId), inArray(runs.status, [...ACTIVE_RUN_STATUSES])));
      t.trial.stoppedAtRung = rung;
      out.stopped.push({ runId, trial: t.trial.trial, rung, message });
      out.changed = true;
      break;
    }
  }
}

async function launchTrial(
  tx: Tx,
  sweep: SweepRow,
  trial: SweepTrialRow,
  base: ModelRow,
  dataset: DatasetRow,
): Promise<RunRow> {
  const values = runRowValues(
    { projectId: sweep.projectId, experimentId: null, base, dataset, pool: sweep.pool },
    randomUUID(),
    trial.hyperparameters as Hyperparameters,
    `${sweep.name} · trial ${trial.trial + 1}`,
  );
  const [run] = await tx.insert(runs).values(values).returning();
  if (!run) throw new Error("insert into runs returned nothing");
  // Only a trial still without a run takes it: the row lock makes this the one launch of it.
  const [claimed] = await tx
    .update(sweepTrials)
    .set({ runId: run.id })
    .where(and(eq(sweepTrials.sweepId, sweep.id), eq(sweepTrials.trial, trial.trial)))
    .returning();
  if (!claimed) throw new Error(`sweep ${sweep.id}: trial ${trial.trial} vanished`);
  return run;
}

/** The succeeded trial whose final epoch has the best metric (ties: the earlier trial). */
async function bestTrialRun(tx: Tx, spec: SweepSpec, trials: TrialState[]): Promise<string | null> {
  const succeeded = trials.filter((t) => t.status === "SUCCEEDED" && t.trial.runId !== null);
  if (succeeded.length === 0) return null;
  const finals = await tx
    .select({ runId: runEpochs.runId, value: metricColumn[spec.metric] })
    .from(runEpochs)
    .innerJoin(runs, and(eq(runs.id, runEpochs.runId), eq(runs.lastEpoch, runEpochs.epoch)))
    .where(
      inArray(
        runEpochs.runId,
        succeeded.map((t) => t.trial.runId as string),
      ),
    );
  const value = new Map(finals.map((f) => [f.runId, f.value]));
  let best: { runId: string; value: number | null } | null = null;
  for (const t of succeeded) {
    const v = value.get(t.trial.runId as string) ?? null;
    if (best === null || isBetter(v, best.value, spec.goal)) best = { runId: t.trial.runId as string, value: v };
  }
  return best?.runId ?? null;
}

/** Marks a sweep CANCELLED (no more launches) and returns the runs of its active trials, to cancel. */
export async function cancelSweepRow(db: Db, sweepId: string, now = new Date()): Promise<string[] | null> {
  return await db.transaction(async (tx) => {
    const [sweep] = await tx.select().from(sweeps).where(eq(sweeps.id, sweepId)).for("update");
    if (sweep?.status !== "RUNNING") return null;
    await tx.update(sweeps).set({ status: "CANCELLED", finishedAt: now }).where(eq(sweeps.id, sweepId));
    const active = await tx
      .select({ runId: runs.id })
      .from(sweepTrials)
      .innerJoin(runs, eq(runs.id, sweepTrials.runId))
      .where(and(eq(sweepTrials.sweepId, sweepId), inArray(runs.status, [...ACTIVE_RUN_STATUSES])));
    return active.map((a) => a.runId);
  });
}

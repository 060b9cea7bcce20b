import { ACTIVE_RUN_STATUSES, type Hyperparameters, higherIsBetter, type MetricName } from "@graft/contracts";
import {
  countRuns,
  type Db,
  InvalidSeriesRequestError,
  ownedRows,
  type ProjectScope,
  type RunFilter,
  type RunOrder,
  reduceEpochSeriesOf,
  runAttempts,
  runEpochs,
  runs,
  runsPage,
  type SortDirection,
} from "@graft/db";
import { and, asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { BadUserInputError } from "./errors.ts";
import { type LeaderboardEntry, leaderboard, strategyOf } from "./leaderboard.ts";
import { rowById, rowsByIds } from "./lookup.ts";
import { type Connection, connection } from "./pages.ts";
import type { AttemptRow, EpochRow, RunRow } from "./rows.ts";
import { type TransferGain, transferGain } from "./transfer-gain.ts";

const METRIC_COLUMNS = {
  loss: runEpochs.loss,
  accuracy: runEpochs.accuracy,
  valLoss: runEpochs.valLoss,
  valAccuracy: runEpochs.valAccuracy,
} as const satisfies Record<MetricName, unknown>;

/** Reads of runs and their metrics, scoped to the project (runs are never built-in). */
export class RunQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, RunRow>> {
    return rowsByIds(this.db, runs, ids, ownedRows(this.scope, runs.projectId));
  }

  get(id: string, field?: string): Promise<RunRow> {
    return rowById("run", id, field, (ids) => this.byIds(ids));
  }

  page(
    filter: RunFilter | null | undefined,
    first?: number | null,
    after?: string | null,
    orderBy?: RunOrder | null,
  ): Promise<Connection<RunRow>> {
    const read = runsPage(this.db, this.scope, { filter, first, after, orderBy, countAll: true });
    // The page counts the filter's runs itself; an empty page has no row to carry it.
    const total = read.then(
      (p) => p.totalCount ?? countRuns(this.db, this.scope, filter),
      () => 0, // the page's own error is what connection() reports
    );
    return connection(read, total);
  }

  /** Epochs of runs the caller may see (callers pass ids of runs already checked). */
  async epochsOf(runIds: readonly string[]): Promise<Map<string, EpochRow[]>> {
    if (runIds.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(runEpochs)
      .where(inArray(runEpochs.runId, [...runIds]))
      .orderBy(asc(runEpochs.runId), asc(runEpochs.epoch));
    return groupByRun(runIds, rows);
  }

  async attemptsOf(runIds: readonly string[]): Promise<Map<string, AttemptRow[]>> {
    if (runIds.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(runAttempts)
      .where(inArray(runAttempts.runId, [...runIds]))
      .orderBy(asc(runAttempts.runId), asc(runAttempts.attempt));
    return groupByRun(runIds, rows);
  }

  /**
   * Each run's best epoch by `metric` (ties go to the earliest epoch), in one query for all
   * runs: a page of 50 runs asking for `bestEpoch` costs one round trip, not 50.
   */
  async bestEpochsOf(runIds: readonly string[], metric: MetricName): Promise<Map<string, EpochRow>> {
    const column = METRIC_COLUMNS[metric];
    // NULLS LAST as in run_epochs_best_val_accuracy_idx, so the index serves valAccuracy.
    return await this.topEpochOf(runIds, sql`${column} is not null`, [
      higherIsBetter(metric) ? sql`${column} desc nulls last` : asc(column),
      asc(runEpochs.epoch),
    ]);
  }

  /** Each run's last stored epoch (one row per run, not its whole history), keyed by run id. */
  async lastEpochsOf(runIds: readonly string[]): Promise<Map<string, EpochRow>> {
    return await this.topEpochOf(runIds, undefined, [desc(runEpochs.epoch)]);
  }

  /**
   * Each run's first epoch in `order` among those `where` keeps: a top-1 per run (LATERAL,
   * LIMIT 1), where DISTINCT ON sorted every epoch of every run first; 8 runs of 10,000 epochs
   * took 0.7-1.5 s on PGlite that way, 0.03-0.2 s this way.
   */
  private async topEpochOf(runIds: readonly string[], where: SQL | undefined, order: SQL[]) {
    if (runIds.length === 0) return new Map<string, EpochRow>();
    const top = this.db
      .select()
      .from(runEpochs)
      .where(and(eq(runEpochs.runId, runs.id), where))
      .orderBy(...order)
      .limit(1)
      .as("top");
    // Only the epoch's columns: the runs are joined for their ids, their rows are not read.
    const rows = await this.db
      .select(top._.selectedFields)
      .from(runs)
      .innerJoinLateral(top, sql`true`)
      .where(inArray(runs.id, [...runIds]));
    return new Map(rows.map((epoch) => [epoch.runId, epoch]));
  }

  /**
   * Each run's metric per bucket of consecutive epochs (min, max and last value; at most
   * `maxPoints` buckets), for all the runs in a few statements (callers pass ids of runs
   * already checked).
   */
  async seriesOf(runIds: readonly string[], metric: MetricName, maxPoints = 2000) {
    try {
      return await reduceEpochSeriesOf(this.db, runIds, metric, maxPoints);
    } catch (error) {
      if (error instanceof InvalidSeriesRequestError) {
        throw new BadUserInputError("maxPoints", error.message, undefined, { cause: error });
      }
      throw error;
    }
  }

  /** The run with the best objective value in an experiment. */
  async bestOfExperiment(experimentId: string, metric: MetricName, direction: SortDirection): Promise<RunRow | null> {
    const column = METRIC_COLUMNS[metric];
    const aggregate = direction === "DESC" ? sql`max(${column})` : sql`min(${column})`;
    const best = sql`(select ${aggregate} from ${runEpochs} where ${runEpochs.runId} = ${runs.id})`;
    const [row] = await this.db
      .select()
      .from(runs)
      .where(and(ownedRows(this.scope, runs.projectId), eq(runs.experimentId, experimentId), sql`${best} is not null`))
      .orderBy(direction === "DESC" ? sql`${best} desc` : sql`${best} asc`, asc(runs.queuedAt))
      .limit(1);
    return row ?? null;
  }

  /** A run's control arms, oldest first. */
  /** Runs forked from `runId`, oldest first. */
  async forksOf(runId: string): Promise<RunRow[]> {
    return await this.db
      .select()
      .from(runs)
      .where(and(ownedRows(this.scope, runs.projectId), eq(runs.forkedFromRunId, runId)))
      .orderBy(asc(runs.queuedAt), asc(runs.id));
  }

  async controlsOf(runId: string): Promise<RunRow[]> {
    return await this.db
      .select()
      .from(runs)
      .where(and(ownedRows(this.scope, runs.projectId), eq(runs.controlOf, runId)))
      .orderBy(asc(runs.queuedAt), asc(runs.controlKind));
  }

  /**
   * The run against its control arms (see transfer-gain.ts), from their stored epochs; null
   * for a run without controls. An arm counts once it has SUCCEEDED.
   */
  async transferGain(
    run: RunRow,
    metric: MetricName,
    targetAccuracy: number | null | undefined,
  ): Promise<(TransferGain & { metric: MetricName; complete: boolean }) | null> {
    if (metric !== "valAccuracy" && metric !== "accuracy")
      throw new BadUserInputError("metric", "transfer gain compares accuracy: metric must be valAccuracy or accuracy");
    if (targetAccuracy !== null && targetAccuracy !== undefined && !(targetAccuracy > 0 && targetAccuracy <= 1))
      throw new BadUserInputError("targetAccuracy", "targetAccuracy must be in (0, 1]");
    const controls = await this.controlsOf(run.id);
    if (controls.length === 0) return null;
    const finished = [run, ...controls].filter((r) => r.status === "SUCCEEDED");
    const epochs = await this.epochsOf(finished.map((r) => r.id));
    const arm = (r: RunRow | undefined) =>
      r && r.status === "SUCCEEDED"
        ? (epochs.get(r.id) ?? []).map((e) => ({ epoch: e.epoch, accuracy: e[metric], durationMs: e.durationMs }))
        : null;
    const gain = transferGain(
      {
        run: arm(run),
        scratch: arm(controls.find((c) => c.controlKind === "SCRATCH")),
        linearProbe: arm(controls.find((c) => c.controlKind === "LINEAR_PROBE")),
      },
      targetAccuracy,
    );
    const terminal = (status: string) => !(ACTIVE_RUN_STATUSES as readonly string[]).includes(status);
    return { ...gain, metric, complete: controls.every((c) => terminal(c.status)) };
  }

  /**
   * Which base and strategy transfer best onto a dataset (leaderboard.ts), from every run of
   * the project that SUCCEEDED on it: final validation accuracy, summed epoch seconds.
   */
  async leaderboard(datasetId: string): Promise<LeaderboardEntry[]> {
    const succeeded = await this.db
      .select()
      .from(runs)
      .where(and(ownedRows(this.scope, runs.projectId), eq(runs.datasetId, datasetId), eq(runs.status, "SUCCEEDED")));
    const epochs = await this.epochsOf(succeeded.map((r) => r.id));
    return leaderboard(
      succeeded.map((r) => {
        const hp = r.hyperparameters as Hyperparameters;
        const stored = epochs.get(r.id) ?? [];
        return {
          baseModelId: r.baseModelId,
          strategy: strategyOf(hp),
          featureLayer: hp.featureLayer ?? null,
          accuracy: stored.filter((e) => e.valAccuracy !== null).at(-1)?.valAccuracy ?? null,
          seconds: stored.reduce((a, e) => a + e.durationMs, 0) / 1000,
        };
      }),
    );
  }

  /** Runs a trainer holds now, among the project's. */
  async currentOf(trainerId: string): Promise<RunRow[]> {
    return await this.db
      .select()
      .from(runs)
      .where(
        and(
          ownedRows(this.scope, runs.projectId),
          eq(runs.trainerId, trainerId),
          inArray(runs.status, ["ASSIGNED", "RUNNING"]),
        ),
      )
      .orderBy(asc(runs.queuedAt));
  }
}

/** Rows per run id, in the rows' order; every asked-for run gets a list, empty if it has no rows. */
function groupByRun<R extends { runId: string }>(runIds: readonly string[], rows: readonly R[]): Map<string, R[]> {
  const grouped = new Map<string, R[]>(runIds.map((id) => [id, []]));
  for (const row of rows) grouped.get(row.runId)?.push(row);
  return grouped;
}

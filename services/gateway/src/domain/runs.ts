import {
  countRuns,
  type Db,
  type SortDirection as Direction,
  InvalidCursorError,
  InvalidPageRequestError,
  InvalidSeriesRequestError,
  type RunOrderField,
  reduceEpochSeries,
  runAttempts,
  runEpochs,
  runs,
  runsPage,
} from "@graft/db";
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Page } from "./cursor.ts";
import type { Caller } from "./deps.ts";
import { BadUserInputError, NotFoundError } from "./errors.ts";
import { checkId, isUuid } from "./ids.ts";
import type { AttemptRow, EpochRow, RunRow } from "./rows.ts";

export type MetricName = "loss" | "accuracy" | "valLoss" | "valAccuracy";
export type RunStatus = RunRow["status"];

export interface RunFilter {
  status?: readonly RunStatus[] | null;
  baseModelId?: string | null;
  datasetId?: string | null;
  experimentId?: string | null;
  trainerId?: string | null;
}

export const METRIC_COLUMNS = {
  loss: runEpochs.loss,
  accuracy: runEpochs.accuracy,
  valLoss: runEpochs.valLoss,
  valAccuracy: runEpochs.valAccuracy,
} as const;

/** Losses are better low, accuracies high. */
export const higherIsBetter = (metric: MetricName) => metric === "accuracy" || metric === "valAccuracy";

/** Reads of runs and their metrics, scoped to the caller's project. */
export class RunQueries {
  constructor(
    private readonly db: Db,
    private readonly caller: Caller,
  ) {}

  private mine(): SQL {
    return eq(runs.projectId, this.caller.projectId);
  }

  async byIds(ids: readonly string[]): Promise<Map<string, RunRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(runs)
      .where(and(inArray(runs.id, valid), this.mine()));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<RunRow> {
    const found = (await this.byIds([checkId("run", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("run", id, field);
    return found;
  }

  async page(
    filter: RunFilter | null | undefined,
    first?: number | null,
    after?: string | null,
    orderBy?: { field: RunOrderField; direction: Direction } | null,
  ): Promise<Page<RunRow>> {
    const input = { projectId: this.caller.projectId, filter, first, after, orderBy };
    try {
      const [page, totalCount] = await Promise.all([runsPage(this.db, input), countRuns(this.db, input)]);
      return { ...page, totalCount };
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw new BadUserInputError("after", error.message, undefined, { cause: error });
      if (error instanceof InvalidPageRequestError) {
        const field = /^filter\.(\w+)/.exec(error.message)?.[0] ?? "first";
        throw new BadUserInputError(field, error.message, undefined, { cause: error });
      }
      throw error;
    }
  }

  /** Epochs of runs the caller may see (callers pass ids of runs already checked). */
  async epochsOf(runIds: readonly string[]): Promise<Map<string, EpochRow[]>> {
    const grouped = new Map<string, EpochRow[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return grouped;
    const rows = await this.db
      .select()
      .from(runEpochs)
      .where(inArray(runEpochs.runId, [...runIds]))
      .orderBy(asc(runEpochs.runId), asc(runEpochs.epoch));
    for (const row of rows) grouped.get(row.runId)?.push(row);
    return grouped;
  }

  async attemptsOf(runIds: readonly string[]): Promise<Map<string, AttemptRow[]>> {
    const grouped = new Map<string, AttemptRow[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return grouped;
    const rows = await this.db
      .select()
      .from(runAttempts)
      .where(inArray(runAttempts.runId, [...runIds]))
      .orderBy(asc(runAttempts.runId), asc(runAttempts.attempt));
    for (const row of rows) grouped.get(row.runId)?.push(row);
    return grouped;
  }

  async bestEpoch(runId: string, metric: MetricName): Promise<EpochRow | null> {
    const column = METRIC_COLUMNS[metric];
    const [row] = await this.db
      .select()
      .from(runEpochs)
      .where(and(eq(runEpochs.runId, runId), sql`${column} is not null`))
      .orderBy(higherIsBetter(metric) ? sql`${column} desc` : sql`${column} asc`, asc(runEpochs.epoch))
      .limit(1);
    return row ?? null;
  }

  async bestMetric(runId: string, metric: MetricName): Promise<number | null> {
    return (await this.bestEpoch(runId, metric))?.[metric] ?? null;
  }

  /** Per bucket of consecutive epochs: min, max and last value; at most `maxPoints` buckets. */
  async series(runId: string, metric: MetricName, maxPoints = 2000) {
    try {
      return await reduceEpochSeries(this.db, runId, metric, maxPoints);
    } catch (error) {
      if (error instanceof InvalidSeriesRequestError) {
        throw new BadUserInputError("maxPoints", error.message, undefined, { cause: error });
      }
      throw error;
    }
  }

  /** The run with the best objective value in an experiment. */
  async bestOfExperiment(experimentId: string, metric: MetricName, direction: Direction): Promise<RunRow | null> {
    const column = METRIC_COLUMNS[metric];
    const aggregate = direction === "DESC" ? sql`max(${column})` : sql`min(${column})`;
    const best = sql`(select ${aggregate} from ${runEpochs} where ${runEpochs.runId} = ${runs.id})`;
    const [row] = await this.db
      .select()
      .from(runs)
      .where(and(this.mine(), eq(runs.experimentId, experimentId), sql`${best} is not null`))
      .orderBy(direction === "DESC" ? sql`${best} desc` : sql`${best} asc`, asc(runs.queuedAt))
      .limit(1);
    return row ?? null;
  }

  /** Runs a trainer holds now, among the caller's. */
  async currentOf(trainerId: string): Promise<RunRow[]> {
    return await this.db
      .select()
      .from(runs)
      .where(and(this.mine(), eq(runs.trainerId, trainerId), inArray(runs.status, ["ASSIGNED", "RUNNING"])))
      .orderBy(asc(runs.queuedAt));
  }
}

import { type Db, rowsOf, runAttempts, runEpochs, runs } from "@graft/db";
import { and, asc, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import { decodeCursor, encodeCursor, type Page, pageSize } from "./cursor.ts";
import type { Caller } from "./deps.ts";
import { BadUserInputError, NotFoundError } from "./errors.ts";
import { checkId, isUuid } from "./ids.ts";
import { keysetAfter, keysetOrderBy, sortText } from "./keyset.ts";
import type { AttemptRow, EpochRow, RunRow } from "./rows.ts";
import { type Direction, type RunOrderField, runOrder } from "./run-orders.ts";

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

const NO_PAGE: Page<never> = { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };

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
    const limit = pageSize(first);
    const order = runOrder(orderBy?.field, orderBy?.direction);
    const where: SQL[] = [this.mine()];
    for (const key of ["baseModelId", "datasetId", "experimentId", "trainerId"] as const) {
      const value = filter?.[key];
      if (value === undefined || value === null) continue;
      if (!isUuid(value)) return NO_PAGE;
      where.push(eq(runs[key], value));
    }
    if (filter?.status && filter.status.length > 0) where.push(inArray(runs.status, [...filter.status]));
    const [total] = await this.db
      .select({ n: count() })
      .from(runs)
      .where(and(...where));
    const paged = [...where];
    if (after) {
      const key = decodeCursor(after, order.name);
      paged.push(keysetAfter(order, runs.id, key.value, key.id));
    }
    const rows = await this.db
      .select({ row: runs, sort: sortText(order) })
      .from(runs)
      .where(and(...paged))
      .orderBy(...keysetOrderBy(order, runs.id))
      .limit(limit + 1);
    const edges = rows.slice(0, limit).map(({ row, sort }) => ({
      cursor: encodeCursor({ order: order.name, value: sort, id: row.id }),
      node: row,
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: total?.n ?? 0,
    };
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
    if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > 10_000) {
      throw new BadUserInputError("maxPoints", "maxPoints must be between 1 and 10000");
    }
    const column = METRIC_COLUMNS[metric];
    return rowsOf<{ epoch: number; min: number; max: number; last: number }>(
      await this.db.execute(sql`
        select max(epoch)::int as epoch, min(v) as min, max(v) as max, (array_agg(v order by epoch desc))[1] as last
        from (
          select ${runEpochs.epoch} as epoch, ${column} as v, ntile(${maxPoints}::int) over (order by ${runEpochs.epoch}) as bucket
          from ${runEpochs} where ${runEpochs.runId} = ${runId}::uuid and ${column} is not null
        ) t
        group by bucket order by epoch`),
    ).map((p) => ({ epoch: Number(p.epoch), min: Number(p.min), max: Number(p.max), last: Number(p.last) }));
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

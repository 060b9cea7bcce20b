import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { rowsOf } from "./rows.ts";
import { runEpochs } from "./schema.ts";
import { isUuid } from "./visibility.ts";

export type SeriesMetric = "loss" | "accuracy" | "valLoss" | "valAccuracy";

/** One bucket of consecutive epochs: `epoch` and `last` are those of its latest epoch. */
export interface SeriesPoint {
  epoch: number;
  min: number;
  max: number;
  last: number;
}

// Fixed identifiers only: the metric name never reaches SQL as text.
const METRIC_COLUMNS = {
  loss: runEpochs.loss,
  accuracy: runEpochs.accuracy,
  valLoss: runEpochs.valLoss,
  valAccuracy: runEpochs.valAccuracy,
} as const;

export class InvalidSeriesRequestError extends Error {
  override readonly name = "InvalidSeriesRequestError";
}

/** Most buckets a caller may ask for; plots need no more. */
export const MAX_SERIES_POINTS = 10_000;

/**
 * A run's metric reduced in SQL to at most `maxPoints` buckets of equal epoch width
 * (min, max and last value each), so a million-epoch series is one indexed scan and
 * `maxPoints` rows on the wire. Epochs where the metric is null are skipped; with no more
 * epochs than maxPoints each epoch is its own bucket.
 */
export async function reduceEpochSeries(
  db: Db,
  runId: string,
  metric: SeriesMetric,
  maxPoints: number,
): Promise<SeriesPoint[]> {
  const column = METRIC_COLUMNS[metric];
  if (column === undefined) throw new InvalidSeriesRequestError(`unknown metric ${JSON.stringify(metric)}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_SERIES_POINTS) {
    throw new InvalidSeriesRequestError(`maxPoints must be an integer in 1..${MAX_SERIES_POINTS}, got ${maxPoints}`);
  }
  if (!isUuid(runId)) return [];
  const value = sql.raw(`e.${column.name}`);
  const result = await db.execute(sql`
    with bounds as (
      select min(e.epoch) as lo, max(e.epoch) as hi from ${runEpochs} e
       where e.run_id = ${runId}::uuid and ${value} is not null
    ), sized as (
      select lo, greatest(1, ceil((hi - lo + 1)::numeric / ${maxPoints}::int))::int as width from bounds
    )
    select max(e.epoch) as epoch, min(${value}) as min, max(${value}) as max,
           (array_agg(${value} order by e.epoch desc))[1] as last
      from ${runEpochs} e, sized
     where e.run_id = ${runId}::uuid and ${value} is not null
     group by (e.epoch - sized.lo) / sized.width
     order by 1`);
  return rowsOf<{ epoch: number | string; min: number | string; max: number | string; last: number | string }>(
    result,
  ).map((r) => ({ epoch: Number(r.epoch), min: Number(r.min), max: Number(r.max), last: Number(r.last) }));
}

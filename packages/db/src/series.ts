import { isUuid, type MetricName } from "@graft/contracts";
import { sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { rowsOf } from "./rows.ts";
import { runEpochBlocks, runEpochs } from "./schema.ts";

/** One bucket of consecutive epochs: `epoch` and `last` are those of its latest epoch. */
export interface SeriesPoint {
  epoch: number;
  min: number;
  max: number;
  last: number;
}

// Fixed identifiers only: the metric name never reaches SQL as text.
const METRIC_COLUMNS: Record<MetricName, string> = {
  loss: "loss",
  accuracy: "accuracy",
  valLoss: "val_loss",
  valAccuracy: "val_accuracy",
};

/** Epochs per run_epoch_blocks row (the trigger's `epoch >> 5`). */
export const SERIES_BLOCK_EPOCHS = 32;

export class InvalidSeriesRequestError extends Error {
  override readonly name = "InvalidSeriesRequestError";
}

/** Most buckets a caller may ask for; plots need no more. */
export const MAX_SERIES_POINTS = 10_000;

/**
 * A run's metric reduced in SQL to at most `maxPoints` buckets of consecutive epochs (min,
 * max and last value each); epochs where the metric is null are skipped. With no more epochs
 * than maxPoints each epoch is its own bucket. Short series are bucketed from run_epochs
 * (equal widths from the first epoch); once a bucket would span 32 epochs or more, whole
 * 32-epoch blocks from run_epoch_blocks are merged instead (bucket edges on multiples of 32),
 * so a million-point series costs ~31k summary rows rather than a million.
 */
export async function reduceEpochSeries(
  db: Db,
  runId: string,
  metric: MetricName,
  maxPoints: number,
): Promise<SeriesPoint[]> {
  const column = Object.hasOwn(METRIC_COLUMNS, metric) ? METRIC_COLUMNS[metric] : undefined;
  if (column === undefined) throw new InvalidSeriesRequestError(`unknown metric ${JSON.stringify(metric)}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_SERIES_POINTS) {
    throw new InvalidSeriesRequestError(`maxPoints must be an integer in 1..${MAX_SERIES_POINTS}, got ${maxPoints}`);
  }
  if (!isUuid(runId)) return [];
  const value = sql.raw(column);
  // "last" is max(array[epoch, value])[2]: arrays compare element-wise, so the pair with the
  // latest epoch wins without sorting each bucket (epochs are exact in float8).
  // Two index probes on (run_id, epoch) rather than min()/max() over the whole series.
  const [bounds] = rowsOf<{ lo: number | null; hi: number | null }>(
    await db.execute(sql`select
      (select epoch from ${runEpochs} where run_id = ${runId}::uuid and ${value} is not null order by epoch limit 1) as lo,
      (select epoch from ${runEpochs} where run_id = ${runId}::uuid and ${value} is not null order by epoch desc limit 1) as hi`),
  );
  if (bounds?.lo == null || bounds.hi == null) return [];
  const lo = Number(bounds.lo);
  const hi = Number(bounds.hi);
  const width = Math.ceil((hi - lo + 1) / maxPoints);

  const result =
    width < SERIES_BLOCK_EPOCHS
      ? await db.execute(sql`
          select max(epoch) as epoch, min(${value}) as min, max(${value}) as max,
                 (max(array[epoch::float8, ${value}]))[2] as last
            from ${runEpochs}
           where run_id = ${runId}::uuid and ${value} is not null
           group by (epoch - ${lo}::int) / ${width}::int
           order by 1`)
      : await reduceBlocks(db, runId, column, lo, hi, maxPoints);
  return rowsOf<{ epoch: number | string; min: number | string; max: number | string; last: number | string }>(
    result,
  ).map((r) => ({ epoch: Number(r.epoch), min: Number(r.min), max: Number(r.max), last: Number(r.last) }));
}

function reduceBlocks(db: Db, runId: string, column: string, lo: number, hi: number, maxPoints: number) {
  const firstBlock = Math.floor(lo / SERIES_BLOCK_EPOCHS);
  const blocks = Math.floor(hi / SERIES_BLOCK_EPOCHS) - firstBlock + 1;
  const blocksPerBucket = Math.ceil(blocks / maxPoints);
  const min = sql.raw(`${column}_min`);
  const max = sql.raw(`${column}_max`);
  const lastEpoch = sql.raw(`${column}_last_epoch`);
  const last = sql.raw(`${column}_last`);
  return db.execute(sql`
    select max(${lastEpoch}) as epoch, min(${min}) as min, max(${max}) as max,
           (max(array[${lastEpoch}::float8, ${last}]))[2] as last
      from ${runEpochBlocks}
     where run_id = ${runId}::uuid and ${lastEpoch} is not null
     group by (block - ${firstBlock}::int) / ${blocksPerBucket}::int
     order by 1`);
}

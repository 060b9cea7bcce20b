import { isUuid, type MetricName } from "@graft/contracts";
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { rowsOf } from "./rows.ts";
import { runEpochBlocks, runEpochSuperblocks, runEpochs } from "./schema.ts";

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

/**
 * The summary tables, coarsest first, and the epochs each row covers (the trigger's
 * `epoch >> 5` and `epoch >> 8`). A series is read from the coarsest whose blocks fit in
 * its bucket width, so each bucket merges at most about eight rows until buckets span more
 * than eight superblocks (past ~4M epochs drawn in 2,000 points).
 */
const SUMMARY_LEVELS = [
  { table: runEpochSuperblocks, epochs: 256 },
  { table: runEpochBlocks, epochs: SERIES_BLOCK_EPOCHS },
] as const;

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
 * summary blocks are merged instead (bucket edges on multiples of the block size): 32-epoch
 * blocks from run_epoch_blocks, or 256-epoch ones from run_epoch_superblocks once a bucket
 * spans 256 epochs, so a million points drawn in 2,000 cost ~3.9k summary rows, not a million.
 */
export async function reduceEpochSeries(
  db: Db,
  runId: string,
  metric: MetricName,
  maxPoints: number,
): Promise<SeriesPoint[]> {
  return (await reduceEpochSeriesOf(db, [runId], metric, maxPoints)).get(runId) ?? [];
}

/**
 * reduceEpochSeries for many runs at once, in at most four statements whatever their number
 * (bounds, then the short series and the long ones per block size): a page comparing runs
 * asks once per metric, not once per run. Keyed by the ids as given; an unknown run or one without the
 * metric has an empty series.
 */
export async function reduceEpochSeriesOf(
  db: Db,
  runIds: readonly string[],
  metric: MetricName,
  maxPoints: number,
): Promise<Map<string, SeriesPoint[]>> {
  const column = Object.hasOwn(METRIC_COLUMNS, metric) ? METRIC_COLUMNS[metric] : undefined;
  if (column === undefined) throw new InvalidSeriesRequestError(`unknown metric ${JSON.stringify(metric)}`);
  if (!Number.isInteger(maxPoints) || maxPoints < 1 || maxPoints > MAX_SERIES_POINTS) {
    throw new InvalidSeriesRequestError(`maxPoints must be an integer in 1..${MAX_SERIES_POINTS}, got ${maxPoints}`);
  }
  const series = new Map<string, SeriesPoint[]>(runIds.map((id) => [id, []]));
  // Postgres answers lower-case ids; the caller's spelling is the key.
  const asked = new Map(runIds.filter(isUuid).map((id) => [id.toLowerCase(), id]));
  if (asked.size === 0) return series;
  const value = sql.raw(column);
  // Two index probes on (run_id, epoch) per run rather than min()/max() over its whole series.
  const bounds = rowsOf<{ run_id: string; lo: number | null; hi: number | null }>(
    await db.execute(sql`select r.id::text as run_id,
      (select epoch from ${runEpochs} where run_id = r.id and ${value} is not null order by epoch limit 1) as lo,
      (select epoch from ${runEpochs} where run_id = r.id and ${value} is not null order by epoch desc limit 1) as hi
      from (values ${sql.join(
        [...asked.keys()].map((id) => sql`(${id}::uuid)`),
        sql`, `,
      )}) as r(id)`),
  );
  const short: SQL[] = [];
  const long = new Map<(typeof SUMMARY_LEVELS)[number], SQL[]>();
  for (const b of bounds) {
    if (b.lo == null || b.hi == null) continue;
    const lo = Number(b.lo);
    const hi = Number(b.hi);
    const width = Math.ceil((hi - lo + 1) / maxPoints);
    const level = SUMMARY_LEVELS.find((l) => l.epochs <= width);
    if (level === undefined) {
      short.push(sql`(${b.run_id}::uuid, ${lo}::int, ${width}::int)`);
    } else {
      const firstBlock = Math.floor(lo / level.epochs);
      const blocks = Math.floor(hi / level.epochs) - firstBlock + 1;
      const runs = long.get(level) ?? [];
      runs.push(sql`(${b.run_id}::uuid, ${firstBlock}::int, ${Math.ceil(blocks / maxPoints)}::int)`);
      long.set(level, runs);
    }
  }
  // "last" is max(array[epoch, value])[2]: arrays compare element-wise, so the pair with the
  // latest epoch wins without sorting each bucket (epochs are exact in float8).
  const reads: Promise<unknown>[] = [];
  if (short.length > 0) {
    reads.push(
      db.execute(sql`
        select e.run_id::text as run_id, max(e.epoch) as epoch, min(e.${value}) as min, max(e.${value}) as max,
               (max(array[e.epoch::float8, e.${value}]))[2] as last
          from ${runEpochs} e join (values ${sql.join(short, sql`, `)}) as b(run_id, lo, width) on e.run_id = b.run_id
         where e.${value} is not null
         group by e.run_id, (e.epoch - b.lo) / b.width
         order by 1, 2`),
    );
  }
  const lastEpoch = sql.raw(`${column}_last_epoch`);
  for (const [level, runs] of long) {
    reads.push(
      db.execute(sql`
        select k.run_id::text as run_id, max(k.${lastEpoch}) as epoch, min(k.${sql.raw(`${column}_min`)}) as min,
               max(k.${sql.raw(`${column}_max`)}) as max,
               (max(array[k.${lastEpoch}::float8, k.${sql.raw(`${column}_last`)}]))[2] as last
          from ${level.table} k join (values ${sql.join(runs, sql`, `)}) as b(run_id, first_block, per_bucket)
            on k.run_id = b.run_id
         where k.${lastEpoch} is not null
         group by k.run_id, (k.block - b.first_block) / b.per_bucket
         order by 1, 2`),
    );
  }
  for (const result of await Promise.all(reads)) {
    const rows = rowsOf<{
      run_id: string;
      epoch: number | string;
      min: number | string;
      max: number | string;
      last: number | string;
    }>(result);
    for (const r of rows) {
      const id = asked.get(r.run_id);
      if (id === undefined) continue;
      series.get(id)?.push({ epoch: Number(r.epoch), min: Number(r.min), max: Number(r.max), last: Number(r.last) });
    }
  }
  return series;
}

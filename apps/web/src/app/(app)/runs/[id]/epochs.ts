import type { EpochFieldsFragment, RunQuery } from "@graft/client";
import type { ChartRow } from "@/components/metric-charts.tsx";

/**
 * Points per line the run page asks `series()` for: about the chart's width in pixels (a
 * long run's 10,000 epochs would be 10,000 SVG path points per line and megabytes of JSON;
 * recharts spends about a millisecond per point drawn on a loaded machine).
 */
export const SERIES_POINTS = 600;
/**
 * Runs of at most this many epochs are also fetched in full (every epoch, with learning
 * rate, throughput and the controls' curves, which series() does not give), once the
 * reduced answer has said how long the run is: a full list that short is a few tens of KiB.
 * No series under `controls`: the gateway's cost limit counts 20 controls x maxPoints
 * (it also counts fields under @skip), which would refuse the CLI's full query.
 */
export const FULL_EPOCHS_LIMIT = 200;

export type EpochMap = Map<number, ChartRow>;

export function epochRow(e: EpochFieldsFragment): ChartRow {
  return {
    epoch: e.epoch,
    loss: e.loss,
    valLoss: e.valLoss,
    accuracy: e.accuracy,
    valAccuracy: e.valAccuracy,
    learningRate: e.learningRate,
    samplesPerSecond: e.samplesPerSecond,
  };
}

/** Rows from the run query: full epochs, or the four reduced series merged by epoch. */
export function rowsFromRun(run: NonNullable<RunQuery["run"]>): EpochMap {
  const rows: EpochMap = new Map();
  if (run.epochs) {
    for (const e of run.epochs) rows.set(e.epoch, epochRow(e));
    return rows;
  }
  const series = {
    loss: run.lossSeries,
    valLoss: run.valLossSeries,
    accuracy: run.accuracySeries,
    valAccuracy: run.valAccuracySeries,
  };
  for (const [metric, points] of Object.entries(series)) {
    for (const p of points ?? []) {
      const row = rows.get(p.epoch) ?? { epoch: p.epoch };
      row[metric] = p.last;
      rows.set(p.epoch, row);
    }
  }
  return rows;
}

/**
 * The query's rows, plus the streamed rows it has not caught up with. A streamed epoch at or
 * before the query's last one is already in it, drawn or summed up in a reduced bucket, so it
 * is dropped: merging by epoch would keep every streamed point beside the reduced curve.
 */
export function mergeQueryRows(queried: EpochMap, streamed: EpochMap): EpochMap {
  let last = 0;
  for (const epoch of queried.keys()) last = Math.max(last, epoch);
  const merged = new Map(queried);
  for (const [epoch, row] of streamed) if (epoch > last) merged.set(epoch, row);
  return merged;
}

export function sortedRows(rows: EpochMap): ChartRow[] {
  return [...rows.values()].sort((a, b) => a.epoch - b.epoch);
}

import type { EpochFieldsFragment, RunQuery } from "@graft/client";
import type { ChartRow } from "@/components/metric-charts.tsx";

/** Above this many epochs the page asks the gateway for reduced series instead of every epoch. */
export const FULL_EPOCHS_LIMIT = 1000;
export const SERIES_POINTS = 800;

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

export function sortedRows(rows: EpochMap): ChartRow[] {
  return [...rows.values()].sort((a, b) => a.epoch - b.epoch);
}

import type { StudyArm } from "@graft/contracts";
import { DEFAULT_TARGET_SHARE, type GainEpoch, toTarget } from "./transfer-gain.ts";

/**
 * A study's table and learning curve, from the stored epochs of its runs. Pure: the domain
 * reads the runs, this only groups and aggregates them. A run counts once it has SUCCEEDED;
 * its accuracy is that of its last measured epoch, its time the sum of its epoch durations.
 */

export interface StudyRunResult {
  baseModelId: string;
  arm: StudyArm;
  fraction: number;
  /** Training samples at this fraction (`trainSampleCount` of @graft/contracts). */
  samples: number;
  seed: number;
  succeeded: boolean;
  epochs: readonly GainEpoch[];
}

export interface StudyCell {
  baseModelId: string;
  arm: StudyArm;
  fraction: number;
  samples: number;
  /** Runs of the cell (one per seed), and how many of them succeeded and count below. */
  runs: number;
  seeds: number;
  meanAccuracy: number | null;
  /** Sample standard deviation over seeds; null below two seeds. */
  stdAccuracy: number | null;
  minAccuracy: number | null;
  maxAccuracy: number | null;
  meanSeconds: number | null;
  /** Mean over the seeds that reached the target; null if none did. */
  epochsToTarget: number | null;
  secondsToTarget: number | null;
  /** Seeds that reached the target accuracy. */
  reachedTarget: number;
}

export interface StudyCurve {
  baseModelId: string;
  arm: StudyArm;
  /** One point per fraction, fewest samples first. */
  points: {
    fraction: number;
    samples: number;
    meanAccuracy: number | null;
    stdAccuracy: number | null;
    minAccuracy: number | null;
    maxAccuracy: number | null;
  }[];
}

export interface StudyResults {
  targetAccuracy: number | null;
  cells: StudyCell[];
  curve: StudyCurve[];
}

const finalAccuracy = (epochs: readonly GainEpoch[]): number | null => {
  const measured = epochs.filter((e) => e.accuracy !== null && Number.isFinite(e.accuracy));
  return measured.sort((a, b) => a.epoch - b.epoch).at(-1)?.accuracy ?? null;
};

const mean = (xs: readonly number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

function std(xs: readonly number[]): number | null {
  const m = mean(xs);
  if (m === null || xs.length < 2) return null;
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
}

const ARM_ORDER: Record<StudyArm, number> = { FINE_TUNE: 0, SCRATCH: 1, LINEAR_PROBE: 2 };

/**
 * @param targetAccuracy the accuracy "epochs/seconds to target" refer to;
 *   @default 0.9 x the best final accuracy of any succeeded run of the study
 */
export function studyResults(runs: readonly StudyRunResult[], targetAccuracy?: number | null): StudyResults {
  const finals = runs.filter((r) => r.succeeded).map((r) => finalAccuracy(r.epochs));
  const best = finals.reduce<number | null>((b, a) => (a === null ? b : b === null ? a : Math.max(a, b)), null);
  const target = targetAccuracy ?? (best === null ? null : DEFAULT_TARGET_SHARE * best);

  const groups = new Map<string, StudyRunResult[]>();
  for (const r of runs) {
    const key = `${r.baseModelId}|${r.arm}|${r.fraction}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const cells = [...groups.values()].map((group): StudyCell => {
    const first = group[0] as StudyRunResult;
    const done = group.filter((r) => r.succeeded);
    const accuracies = done.map((r) => finalAccuracy(r.epochs)).filter((a): a is number => a !== null);
    const reached = done.map((r) => toTarget(r.epochs, target)).filter((t) => t.epochs !== null);
    return {
      baseModelId: first.baseModelId,
      arm: first.arm,
      fraction: first.fraction,
      samples: first.samples,
      runs: group.length,
      seeds: done.length,
      meanAccuracy: mean(accuracies),
      stdAccuracy: std(accuracies),
      minAccuracy: accuracies.length > 0 ? Math.min(...accuracies) : null,
      maxAccuracy: accuracies.length > 0 ? Math.max(...accuracies) : null,
      meanSeconds: mean(done.map((r) => r.epochs.reduce((s, e) => s + e.durationMs, 0) / 1000)),
      epochsToTarget: mean(reached.map((t) => t.epochs as number)),
      secondsToTarget: mean(reached.map((t) => t.seconds as number)),
      reachedTarget: reached.length,
    };
  });
  cells.sort(
    (a, b) =>
      a.baseModelId.localeCompare(b.baseModelId) || ARM_ORDER[a.arm] - ARM_ORDER[b.arm] || a.fraction - b.fraction,
  );

  const curve: StudyCurve[] = [];
  for (const cell of cells) {
    let line = curve.find((c) => c.baseModelId === cell.baseModelId && c.arm === cell.arm);
    if (!line) {
      line = { baseModelId: cell.baseModelId, arm: cell.arm, points: [] };
      curve.push(line);
    }
    const { fraction, samples, meanAccuracy, stdAccuracy, minAccuracy, maxAccuracy } = cell;
    line.points.push({ fraction, samples, meanAccuracy, stdAccuracy, minAccuracy, maxAccuracy });
  }
  return { targetAccuracy: target, cells, curve };
}

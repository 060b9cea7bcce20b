import type { Hyperparameters } from "@graft/contracts";

/**
 * Which base and strategy transfer best onto one dataset, from every succeeded run recorded
 * there. Pure: the domain reads the runs and their last epochs, this groups and ranks them.
 * A fine-tuned model used as a base is a base of its own (its own row), so the board shows
 * whether fine-tuning a child beats going back to its root.
 */

export const TRANSFER_STRATEGIES = [
  "LINEAR_PROBE",
  "FROZEN_BASE",
  "GRADUAL_UNFREEZE",
  "PARTIAL_FREEZE",
  "FULL_FINE_TUNE",
  "SCRATCH",
] as const;
export type TransferStrategy = (typeof TRANSFER_STRATEGIES)[number];

/** How a run used its base, in the words a leaderboard compares. */
export function strategyOf(
  hp: Pick<Hyperparameters, "initialization" | "freeze" | "head" | "unfreezeSchedule">,
): TransferStrategy {
  if (hp.initialization === "SCRATCH") return "SCRATCH";
  if (hp.freeze.strategy === "NONE") return "FULL_FINE_TUNE";
  if (hp.freeze.strategy === "FIRST_N") return "PARTIAL_FREEZE";
  if (hp.unfreezeSchedule.length > 0) return "GRADUAL_UNFREEZE";
  return hp.head.hiddenUnits === 0 ? "LINEAR_PROBE" : "FROZEN_BASE";
}

export interface LeaderboardRun {
  baseModelId: string;
  strategy: TransferStrategy;
  featureLayer: string | null;
  /** Final validation accuracy; runs without one are left out. */
  accuracy: number | null;
  seconds: number;
}

export interface LeaderboardEntry {
  rank: number;
  baseModelId: string;
  strategy: TransferStrategy;
  featureLayer: string | null;
  runs: number;
  meanAccuracy: number;
  /** Sample standard deviation over runs; null for one run. */
  stdAccuracy: number | null;
  bestAccuracy: number;
  meanSeconds: number;
}

/** Groups by (base, strategy, feature layer); ranks by mean accuracy, then by more runs. */
export function leaderboard(runs: readonly LeaderboardRun[]): LeaderboardEntry[] {
  const groups = new Map<string, LeaderboardRun[]>();
  for (const r of runs) {
    if (r.accuracy === null || !Number.isFinite(r.accuracy)) continue;
    const key = JSON.stringify([r.baseModelId, r.strategy, r.featureLayer]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const entries = [...groups.values()].map((group) => {
    const first = group[0] as LeaderboardRun;
    const accuracies = group.map((r) => r.accuracy as number);
    const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
    const std =
      accuracies.length < 2
        ? null
        : Math.sqrt(accuracies.reduce((a, x) => a + (x - mean) ** 2, 0) / (accuracies.length - 1));
    return {
      rank: 0,
      baseModelId: first.baseModelId,
      strategy: first.strategy,
      featureLayer: first.featureLayer,
      runs: group.length,
      meanAccuracy: mean,
      stdAccuracy: std,
      bestAccuracy: Math.max(...accuracies),
      meanSeconds: group.reduce((a, r) => a + r.seconds, 0) / group.length,
    };
  });
  entries.sort(
    (a, b) =>
      b.meanAccuracy - a.meanAccuracy ||
      b.runs - a.runs ||
      a.baseModelId.localeCompare(b.baseModelId) ||
      a.strategy.localeCompare(b.strategy),
  );
  return entries.map((e, i) => ({ ...e, rank: i + 1 }));
}

/**
 * A hyperparameter sweep's vocabulary: how trials are drawn, which way the metric is better,
 * the life cycle, and the limits every side checks.
 */

/** GRID: every combination of the listed values. RANDOM: `maxTrials` seeded draws from the space. */
export const SWEEP_METHODS = ["GRID", "RANDOM"] as const;
export type SweepMethod = (typeof SWEEP_METHODS)[number];

export const SWEEP_GOALS = ["MAXIMIZE", "MINIMIZE"] as const;
export type SweepGoal = (typeof SWEEP_GOALS)[number];

/**
 * RUNNING until every trial has run and ended; SUCCEEDED when at least one trial succeeded
 * (it is the best trial), FAILED when none did, CANCELLED by cancelSweep.
 */
export const SWEEP_STATUSES = ["RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];

/** Most trials one sweep may run: a typo in a space must not queue thousands of runs on a shared fleet. */
export const MAX_SWEEP_TRIALS = 100;

/**
 * ASHA's rungs: min_epochs * eta^k for k = 0, 1, ... strictly below `maxEpochs` (a trial that
 * reaches max epochs simply ends). Empty when minEpochs >= maxEpochs: nothing is stopped early.
 */
export function ashaRungs(minEpochs: number, maxEpochs: number, reductionFactor: number): number[] {
  const rungs: number[] = [];
  for (let r = minEpochs; r < maxEpochs; r *= reductionFactor) rungs.push(r);
  return rungs;
}

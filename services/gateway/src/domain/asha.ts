import type { SweepGoal } from "@graft/contracts";

/**
 * ASHA's rule at one rung (Li et al., "A System for Massively Parallel Hyperparameter
 * Tuning", asynchronous successive halving used as early stopping): a trial that reaches a
 * rung is kept if its metric is in the top 1/eta of every trial that has reached that rung so
 * far (itself included), else stopped. Asynchronous: it is judged on what is known when it
 * arrives, so the first trial at a rung is always kept and nobody waits for stragglers.
 * Ties are in the trial's favour; a missing value (null) is the worst.
 */
export function ashaKeeps(
  value: number | null,
  atRung: readonly (number | null)[],
  reductionFactor: number,
  goal: SweepGoal,
): boolean {
  const n = Math.max(atRung.length, 1);
  const rank = 1 + atRung.filter((other) => isBetter(other, value, goal)).length;
  return rank <= Math.max(1, Math.ceil(n / reductionFactor));
}

/** The better of two metric values for this goal (null loses). */
export const isBetter = (a: number | null, b: number | null, goal: SweepGoal): boolean =>
  a !== null && (b === null || (goal === "MAXIMIZE" ? a > b : a < b));

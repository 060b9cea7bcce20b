/**
 * A data-efficiency study's arms: FINE_TUNE (the requested strategy on the pre-trained base),
 * SCRATCH and LINEAR_PROBE (the control arms of `CONTROL_KINDS`, derived from the same
 * hyperparameters).
 */
export const STUDY_ARMS = ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"] as const;
export type StudyArm = (typeof STUDY_ARMS)[number];

/**
 * Most runs one study may start (bases x fractions x arms x seeds): a typo in a grid must not
 * queue thousands of runs on a shared fleet.
 */
export const MAX_STUDY_RUNS = 60;

/**
 * How one class of `n` samples divides in a trainer's stratified split: `keep` is the share
 * maxSamples leaves (1 without it), then the validation share, then the training fraction.
 * The one rule the trainer splits by and the gateway counts a study's training samples by.
 */
export function classSplitCounts(
  n: number,
  keep: number,
  validationSplit: number,
  trainFraction: number,
): { kept: number; validation: number; train: number } {
  const kept = Math.min(n, Math.max(keep < 1 ? 1 : 0, Math.round(n * keep)));
  let validation = Math.round(kept * validationSplit);
  if (validationSplit > 0 && validation === 0 && kept >= 2) validation = 1;
  const trainPart = kept - validation;
  const train =
    trainFraction >= 1 ? trainPart : Math.min(trainPart, Math.max(1, Math.round(trainPart * trainFraction)));
  return { kept, validation, train };
}

/** Training samples a trainer uses for a dataset with these class counts and hyperparameters. */
export function trainSampleCount(
  classCounts: readonly number[],
  hp: { validationSplit: number; maxSamples: number | null; trainFraction: number },
): number {
  const total = classCounts.reduce((a, b) => a + b, 0);
  const keep = hp.maxSamples === null || total === 0 ? 1 : Math.min(1, hp.maxSamples / total);
  return classCounts.reduce((sum, n) => sum + classSplitCounts(n, keep, hp.validationSplit, hp.trainFraction).train, 0);
}

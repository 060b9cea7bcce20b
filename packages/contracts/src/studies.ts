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

import { z } from "zod";
import { int32Schema } from "./int32.ts";

/**
 * Progress inside an attempt: what the trainer is doing now and how far it got. Ephemeral:
 * trainers send it at most about once a second, the gateway keeps only the latest per run,
 * and nothing of it is stored in the database.
 */

/** The phases of one attempt, in the order they happen (EVALUATING follows each epoch's TRAINING). */
export const RUN_PROGRESS_PHASES = [
  "DOWNLOADING",
  "PREPROCESSING",
  "EXTRACTING_FEATURES",
  "TRAINING",
  "EVALUATING",
] as const;
export type RunProgressPhase = (typeof RUN_PROGRESS_PHASES)[number];

/** Trainers send progress no more often than this. */
export const PROGRESS_INTERVAL_MS = 1_000;

/** Counts are GraphQL `Int`s (`RunProgress`): past 32 bits a report would fail every reader of the run. */
const count = int32Schema;

export const runProgressSchema = z.object({
  phase: z.enum(RUN_PROGRESS_PHASES),
  /** Units done in this phase: artifacts, samples, batches. */
  done: count.nonnegative(),
  /** Units of the phase; 0 when unknown. */
  total: count.nonnegative(),
  /** Epoch of TRAINING and EVALUATING (1-based), and the run's epoch count; null in the other phases. */
  epoch: count.min(1).nullable(),
  epochs: count.min(1).nullable(),
  /**
   * Seconds left, at the rate measured so far: to the end of training in TRAINING (this epoch's
   * batches and every later epoch's), to the end of the phase otherwise; null until measurable.
   */
  etaSeconds: z.number().nonnegative().nullable(),
});
export type RunProgress = z.infer<typeof runProgressSchema>;

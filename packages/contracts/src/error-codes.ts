import { z } from "zod";

/**
 * `extensions.code` of the errors the GraphQL API answers with on purpose (GraphQL's own
 * parse and validation codes aside). Anything unexpected goes out as INTERNAL_SERVER_ERROR.
 */
export const API_ERROR_CODES = [
  "BAD_USER_INPUT",
  "NOT_FOUND",
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "CONFLICT",
  /** Too many failed guesses of a secret (a join token) from one address; HTTP 429 with Retry-After. */
  "RATE_LIMITED",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Why a run (or one attempt at it) failed: `RunError.code` in GraphQL, `error.code` of a
 * trainer's `failed` event. TRAINING_ERROR is anything unforeseen, and is retried; the data
 * and job codes are final, since the same job would fail the same way on any trainer.
 * Infrastructure and resource failures are retried too, each on its own policy
 * (`RUN_FAILURE_CLASSES`, `RETRY_POLICIES`).
 */
export const RUN_ERROR_CODES = [
  "TRAINING_ERROR",
  /** NATS, the object store or the database failed the attempt (an outage, a timeout); not the job's fault. */
  "INFRASTRUCTURE_ERROR",
  /** The trainer ran out of memory; another trainer (or a later try) may have enough. */
  "OUT_OF_MEMORY",
  /** The base model's artifact is missing from the store. */
  "MODEL_NOT_FOUND",
  /** The base model's (or a checkpoint's) files cannot be loaded. */
  "CORRUPT_MODEL",
  /** The dataset's files are unreadable (not a zip of image class folders). */
  "INVALID_DATASET",
  /** The dataset does not fit the job: too few classes or samples, undecodable images, a bad cut point. */
  "INCOMPATIBLE_DATASET",
  /** The hyperparameters cannot apply to this base (unknown feature layer, FIRST_N beyond the base...). */
  "INVALID_HYPERPARAMETERS",
  /** The job message did not fit its schema. */
  "INVALID_JOB",
  /** The trainer stopped; the run goes back to the queue and resumes from its checkpoint. */
  "TRAINER_STOPPED",
  /** The gateway could not publish the job: NATS refused it on every try (e.g. too large); never for NATS being away. */
  "DISPATCH_FAILED",
  /** A sweep's ASHA scheduler stopped the trial at a rung: its metric was not in the top 1/eta there. */
  "EARLY_STOPPED",
] as const;
export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];

export const isRunErrorCode = (value: unknown): value is RunErrorCode =>
  (RUN_ERROR_CODES as readonly unknown[]).includes(value);

/**
 * Which side a failure is on: the platform under the run (`infrastructure`: NATS, object
 * store, database), the run itself (`training`: the model, the data, the hyperparameters,
 * or an unforeseen error in training), the machine (`resources`: memory), or the fleet's
 * own bookkeeping (`control`: a trainer stopping, a dispatch that never happened).
 */
export const FAILURE_CLASSES = ["infrastructure", "training", "resources", "control"] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export const RUN_FAILURE_CLASSES: Record<RunErrorCode, FailureClass> = {
  TRAINING_ERROR: "training",
  INFRASTRUCTURE_ERROR: "infrastructure",
  OUT_OF_MEMORY: "resources",
  MODEL_NOT_FOUND: "training",
  CORRUPT_MODEL: "training",
  INVALID_DATASET: "training",
  INCOMPATIBLE_DATASET: "training",
  INVALID_HYPERPARAMETERS: "training",
  INVALID_JOB: "training",
  TRAINER_STOPPED: "control",
  DISPATCH_FAILED: "control",
  EARLY_STOPPED: "control",
};

export interface RetryPolicy {
  /** Delay before the job's next delivery after attempt `attempt` (1-based) failed. */
  delayMs(attempt: number): number;
}

const backoff = (baseMs: number, capMs: number) => (attempt: number) =>
  Math.min(baseMs * 2 ** Math.max(0, attempt - 1), capMs);

/**
 * How soon each class of retryable failure is tried again. Whether it is retried at all is
 * the failure's own `retryable` (a corrupt model never is).
 * - infrastructure: waits out an outage (5 s, 10 s, 20 s, 40 s, 60 s: about 2 minutes over
 *   the default five deliveries), since a retry during the outage only burns a delivery;
 * - training: an unforeseen error may not recur on another node: 1 s, 2 s, 4 s ... 30 s;
 * - resources: another node may have the memory, or this one later: 10 s, 20 s ... 60 s;
 * - control: a trainer that stops hands the run back at once.
 */
export const RETRY_POLICIES: Record<FailureClass, RetryPolicy> = {
  infrastructure: { delayMs: backoff(5_000, 60_000) },
  training: { delayMs: backoff(1_000, 30_000) },
  resources: { delayMs: backoff(10_000, 60_000) },
  control: { delayMs: () => 0 },
};

/** The redelivery delay for a failed attempt with `code`. */
export const retryDelayFor = (code: RunErrorCode, attempt: number) =>
  RETRY_POLICIES[RUN_FAILURE_CLASSES[code]].delayMs(attempt);

/**
 * A run's error. A code this version does not know (a newer trainer's) reads as
 * TRAINING_ERROR, so the failure still ends the run instead of the whole event being refused.
 */
export const runErrorSchema = z.object({
  code: z.enum(RUN_ERROR_CODES).catch("TRAINING_ERROR"),
  message: z.string().max(10_000),
});
export type RunError = z.infer<typeof runErrorSchema>;

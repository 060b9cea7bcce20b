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
  /** startFineTune stored the run but could not publish its job; the run is FAILED. */
  "DISPATCH_FAILED",
  /** Too many failed guesses of a secret (a join token) from one address; HTTP 429 with Retry-After. */
  "RATE_LIMITED",
  "INTERNAL_SERVER_ERROR",
] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/**
 * Why a run (or one attempt at it) failed: `RunError.code` in GraphQL, `error.code` of a
 * trainer's `failed` event. TRAINING_ERROR is anything unforeseen, and is retried; the data
 * and job codes are final, since the same job would fail the same way on any trainer.
 */
export const RUN_ERROR_CODES = [
  "TRAINING_ERROR",
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
  /** The gateway could not publish the job. */
  "DISPATCH_FAILED",
] as const;
export type RunErrorCode = (typeof RUN_ERROR_CODES)[number];

export const isRunErrorCode = (value: unknown): value is RunErrorCode =>
  (RUN_ERROR_CODES as readonly unknown[]).includes(value);

/**
 * A run's error. A code this version does not know (a newer trainer's) reads as
 * TRAINING_ERROR, so the failure still ends the run instead of the whole event being refused.
 */
export const runErrorSchema = z.object({
  code: z.enum(RUN_ERROR_CODES).catch("TRAINING_ERROR"),
  message: z.string().max(10_000),
});
export type RunError = z.infer<typeof runErrorSchema>;

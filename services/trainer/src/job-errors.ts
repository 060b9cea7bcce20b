import type { RunErrorCode } from "@graft/contracts";

/**
 * The trainer's one error hierarchy for failed jobs: each failure carries the run error code
 * it reports and whether another attempt could succeed. The engine throws the data errors,
 * the node the job errors; the node classifies both by class (or, for an engine loaded from
 * elsewhere, by `code` and `retryable`), never by name.
 */
export abstract class JobError extends Error {
  abstract readonly code: RunErrorCode;
  /** false: the same job would fail again on any trainer, so the run ends now. */
  abstract readonly retryable: boolean;
}

/** A failure no retry can fix (missing or corrupt base model, bad data, invalid hyperparameters). */
export class PermanentJobError extends JobError {
  override name = "PermanentJobError";
  readonly retryable = false;
  constructor(
    readonly code: RunErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A permanent failure worded `<what>: <reason>`, `reason` being the part a person reads. */
function dataError(code: RunErrorCode, what: string) {
  return class extends PermanentJobError {
    constructor(
      readonly reason: string,
      options?: { cause?: unknown },
    ) {
      super(code, `${what}: ${reason}`, options);
    }
  };
}

/** A model whose files cannot be loaded (bad JSON, missing or short weights, unknown layers). */
export class CorruptModelError extends dataError("CORRUPT_MODEL", "corrupt model") {
  override name = "CorruptModelError";
}

/** A dataset that does not fit the job: too few classes or samples, undecodable images, a bad cut point. */
export class IncompatibleDatasetError extends dataError("INCOMPATIBLE_DATASET", "incompatible dataset") {
  override name = "IncompatibleDatasetError";
}

/** Hyperparameters that cannot apply to this base (unknown feature layer, FIRST_N beyond the base...). */
export class InvalidFineTuneError extends dataError("INVALID_HYPERPARAMETERS", "invalid fine-tune") {
  override name = "InvalidFineTuneError";
}

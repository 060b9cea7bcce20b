/**
 * A job failure that no retry can fix: the node ends the run FAILED at once with `code`
 * instead of handing the job back. `reason` is the part a person reads.
 */
abstract class PermanentJobError extends Error {
  readonly retryable = false;
  abstract readonly code: string;
  constructor(
    readonly reason: string,
    prefix: string,
    options?: { cause?: unknown },
  ) {
    super(`${prefix}: ${reason}`, options);
  }
}

/** A model whose files cannot be loaded (bad JSON, missing or short weights, unknown layers). */
export class CorruptModelError extends PermanentJobError {
  override name = "CorruptModelError";
  readonly code = "CORRUPT_MODEL";
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, "corrupt model", options);
  }
}

/** A dataset that does not fit the job: too few classes or samples, undecodable images, a bad cut point. */
export class IncompatibleDatasetError extends PermanentJobError {
  override name = "IncompatibleDatasetError";
  readonly code = "INCOMPATIBLE_DATASET";
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, "incompatible dataset", options);
  }
}

/** Hyperparameters that cannot apply to this base (unknown feature layer, FIRST_N beyond the base...). */
export class InvalidFineTuneError extends PermanentJobError {
  override name = "InvalidFineTuneError";
  readonly code = "INVALID_HYPERPARAMETERS";
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, "invalid fine-tune", options);
  }
}

/** The fine-tune's AbortSignal fired; the run stopped at a batch boundary. */
export class FineTuneCancelledError extends Error {
  override name = "FineTuneCancelledError";
  readonly retryable = false;
  readonly code = "CANCELLED";
  constructor(options?: { cause?: unknown }) {
    super("fine-tune cancelled", options);
  }
}

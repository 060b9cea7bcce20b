/** A model whose files cannot be loaded (bad JSON, missing or short weights, unknown layers). */
export class CorruptModelError extends Error {
  override name = "CorruptModelError";
  readonly retryable = false;
  readonly code = "CORRUPT_MODEL";
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`corrupt model: ${reason}`, options);
  }
}

/** A dataset that does not fit the job: too few classes or samples, undecodable images, a bad cut point. */
export class IncompatibleDatasetError extends Error {
  override name = "IncompatibleDatasetError";
  readonly retryable = false;
  readonly code = "INCOMPATIBLE_DATASET";
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`incompatible dataset: ${reason}`, options);
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

/** Hyperparameters that cannot apply to this base (unknown feature layer, FIRST_N beyond the base...). */
export class InvalidFineTuneError extends Error {
  override name = "InvalidFineTuneError";
  readonly retryable = false;
  readonly code = "INVALID_HYPERPARAMETERS";
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid fine-tune: ${reason}`, options);
  }
}

import type { LimitCode } from "@graft/contracts";

/** A model file that is not a valid tfjs LayersModel (bad JSON, missing or short weights...). */
export class InvalidModelError extends Error {
  override name = "InvalidModelError";
  readonly retryable = false;
  constructor(
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`invalid model: ${reason}`, options);
  }
}

/** A model file that may be valid but is larger than Graft accepts; checked before allocating. */
export class ModelLimitError extends InvalidModelError {
  override name = "ModelLimitError";
  constructor(
    readonly limit: LimitCode,
    readonly max: number,
    reason: string,
  ) {
    super(`${reason} (limit ${max})`);
  }
}

/** An archive entry or shape that could escape its directory or exhaust memory. */
export class UnsafeArchiveError extends Error {
  override name = "UnsafeArchiveError";
  constructor(
    readonly reason: string,
    readonly entry?: string,
    /** Set when a size or count limit (rather than a malformed entry) refused the archive. */
    readonly limit?: LimitCode,
  ) {
    super(`unsafe archive: ${reason}${entry === undefined ? "" : ` (${JSON.stringify(entry)})`}`);
  }
}

/** An uploaded dataset that cannot be used: too few classes, undecodable images, sizes out of bounds. */
export class InvalidDatasetError extends Error {
  override name = "InvalidDatasetError";
  readonly retryable = false;
  constructor(
    readonly reason: string,
    readonly entry?: string,
    options?: { cause?: unknown; limit?: LimitCode },
  ) {
    super(`invalid dataset: ${reason}${entry === undefined ? "" : ` (${entry})`}`, options);
    this.limit = options?.limit;
  }
  /** Set when a size limit (rather than broken data) refused the dataset. */
  readonly limit: LimitCode | undefined;
}

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

/** An archive entry or shape that could escape its directory or exhaust memory. */
export class UnsafeArchiveError extends Error {
  override name = "UnsafeArchiveError";
  constructor(
    readonly reason: string,
    readonly entry?: string,
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
    options?: { cause?: unknown },
  ) {
    super(`invalid dataset: ${reason}${entry === undefined ? "" : ` (${entry})`}`, options);
  }
}

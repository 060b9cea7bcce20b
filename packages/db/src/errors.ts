/** The database could not be reached or opened (server down, bad URL, unreadable PGlite dir). */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  readonly target: string;

  constructor(target: string, options: { cause: unknown }) {
    super(`cannot open database ${target}: ${describe(options.cause)}`, options);
    this.target = target;
  }
}

/** Applying the SQL migrations failed; the database is left at its last complete migration. */
export class DatabaseMigrationError extends Error {
  override readonly name = "DatabaseMigrationError";

  constructor(options: { cause: unknown }) {
    super(`applying database migrations failed: ${describe(options.cause)}`, options);
  }
}

/** A pagination cursor that this package did not make, or made for another ordering. */
export class InvalidCursorError extends Error {
  override readonly name = "InvalidCursorError";

  constructor(reason: string, options?: { cause: unknown }) {
    super(`invalid cursor: ${reason}`, options);
  }
}

/** A page request outside the policy (size, ordering) or with a malformed filter; `field` names the argument at fault. */
export class InvalidPageRequestError extends Error {
  override readonly name = "InvalidPageRequestError";

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(cause: unknown): string {
  if (cause instanceof AggregateError && cause.errors.length > 0) return describe(cause.errors[0]);
  if (cause instanceof Error) return cause.message || cause.name;
  return String(cause);
}

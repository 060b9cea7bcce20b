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

// SQLSTATE classes and codes that mean "the server is not there right now", not "this query is wrong".
const UNREACHABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const UNREACHABLE_SYSCALL_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const UNREACHABLE_MESSAGES =
  /connection terminated|not queryable|timeout exceeded when trying to connect|connection (?:is )?closed/i;

/**
 * True when `error` (or anything in its cause chain: drizzle wraps the driver's error) says
 * the database could not be reached: refused or lost connections, a server shutting down or
 * starting up. Such a failure says nothing about the data; the same write succeeds later.
 */
export function isDatabaseUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof DatabaseUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("08") || UNREACHABLE_SQLSTATES.has(code))) return true;
    if (typeof code === "string" && UNREACHABLE_SYSCALL_CODES.has(code)) return true;
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnreachable)) return true;
    if (UNREACHABLE_MESSAGES.test(e.message)) return true;
  }
  return false;
}

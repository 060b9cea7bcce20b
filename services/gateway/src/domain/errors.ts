import type { ApiErrorCode, LimitCode } from "@graft/contracts";

/**
 * Errors the domain throws on purpose. formatError turns them into `extensions.code`
 * (+ `field` / `issues`); anything else is masked as INTERNAL_SERVER_ERROR.
 */
export abstract class DomainError extends Error {
  abstract readonly code: Exclude<ApiErrorCode, "INTERNAL_SERVER_ERROR">;
  /** Extra `extensions` entries safe to show the caller. */
  extensions(): Record<string, unknown> {
    return {};
  }
}

export interface InputIssue {
  field: string;
  message: string;
}

export class BadUserInputError extends DomainError {
  override name = "BadUserInputError";
  readonly code = "BAD_USER_INPUT";
  constructor(
    /** Path of the argument at fault, e.g. `input.learningRate`. */
    readonly field: string,
    message: string,
    readonly issues: InputIssue[] = [{ field, message }],
    options?: { cause?: unknown; limit?: LimitCode },
  ) {
    super(message, options);
    this.limit = options?.limit;
  }
  /** Which size or count limit the input crossed, when that is what is wrong with it. */
  readonly limit: LimitCode | undefined;
  override extensions() {
    return { field: this.field, issues: this.issues, ...(this.limit ? { limit: this.limit } : {}) };
  }
}

export class NotFoundError extends DomainError {
  override name = "NotFoundError";
  readonly code = "NOT_FOUND";
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly field?: string,
  ) {
    super(`${entity} ${JSON.stringify(id)} not found`);
  }
  override extensions() {
    return this.field === undefined ? {} : { field: this.field };
  }
}

export class UnauthenticatedError extends DomainError {
  override name = "UnauthenticatedError";
  readonly code = "UNAUTHENTICATED";
}

export class ForbiddenError extends DomainError {
  override name = "ForbiddenError";
  readonly code = "FORBIDDEN";
}

export class ConflictError extends DomainError {
  override name = "ConflictError";
  readonly code = "CONFLICT";
}

/** Too many failed guesses of a secret from one address: answered with HTTP 429 and Retry-After. */
export class TooManyAttemptsError extends DomainError {
  override name = "TooManyAttemptsError";
  readonly code = "RATE_LIMITED";
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed attempts from this address; try again in ${retryAfterSeconds} s`);
  }
  override extensions() {
    return { retryAfter: this.retryAfterSeconds };
  }
}

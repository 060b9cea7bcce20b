/** One error as the gateway sends it in a GraphQL response's `errors`. */
export interface GraphQLErrorItem {
  message: string;
  path?: readonly (string | number)[];
  /**
   * `code` (BAD_USER_INPUT, NOT_FOUND, ...); for bad input also `field` (the gateway sends a
   * dotted path, other servers a list) and every zod `issues` entry.
   */
  extensions?: { code?: string; field?: string | readonly string[]; [key: string]: unknown };
}

/**
 * Every failure @graft/client reports: `code` says what kind (the gateway's `extensions.code`,
 * or GATEWAY_UNAVAILABLE), `field` names the input at fault when the gateway said which.
 * Catch `GraftApiError` for answers that refused the request and `GraftConnectionError` for
 * a gateway that could not be reached.
 */
export class GraftError extends Error {
  override name = "GraftError";
  readonly code: string;
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}

/** The gateway answered and refused: a GraphQL error, or an HTTP refusal of an upload. */
export class GraftApiError extends GraftError {
  override name = "GraftApiError";
  /** Every error of the response; `code`, `field` and the message come from the first. */
  readonly errors: readonly GraphQLErrorItem[];
  /** HTTP status of the answer, when there was one. */
  readonly status: number | undefined;
  constructor(
    code: string,
    message: string,
    field?: string,
    options: { errors?: readonly GraphQLErrorItem[]; status?: number; cause?: unknown } = {},
  ) {
    super(code, message, field, { cause: options.cause });
    this.errors = options.errors ?? [{ message, extensions: { code, ...(field ? { field } : {}) } }];
    this.status = options.status;
  }

  /** From a response's `errors`, as the gateway formats them (`extensions.code` and `field`). */
  static fromErrors(errors: readonly GraphQLErrorItem[], status?: number): GraftApiError {
    const first = errors[0];
    const code = typeof first?.extensions?.code === "string" ? first.extensions.code : "INTERNAL_SERVER_ERROR";
    const message = errors.map((e) => (typeof e.message === "string" ? e.message : "unknown error")).join("; ");
    return new GraftApiError(code, message || "unknown error", fieldOf(first), { errors, status });
  }
}

/** No answer from the gateway: network error, timeout, or something else answered (not GraphQL). */
export class GraftConnectionError extends GraftError {
  override name = "GraftConnectionError";
  readonly url: string;
  /** HTTP status when something answered but not with GraphQL; undefined when nothing answered. */
  readonly status: number | undefined;
  constructor(url: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super("GATEWAY_UNAVAILABLE", message, undefined, { cause: options.cause });
    this.url = url;
    this.status = options.status;
  }
}

function fieldOf(error: GraphQLErrorItem | undefined): string | undefined {
  const field = error?.extensions?.field;
  if (typeof field === "string") return field;
  return Array.isArray(field) ? field.join(".") : undefined;
}

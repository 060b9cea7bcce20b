/** A GraphQL error from the gateway, with its `extensions.code` and (for bad input) `field`. */
export class GraftApiError extends Error {
  override name = "GraftApiError";
  readonly code: string;
  readonly field: string | undefined;
  constructor(code: string, message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.field = field;
  }
}

/** The gateway could not be reached (network error, wrong URL, non-GraphQL response). */
export class GraftConnectionError extends Error {
  override name = "GraftConnectionError";
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.url = url;
  }
}

interface WireError {
  message?: unknown;
  extensions?: { code?: unknown; field?: unknown };
}

export function apiErrorFrom(error: WireError): GraftApiError {
  const code = typeof error.extensions?.code === "string" ? error.extensions.code : "INTERNAL_SERVER_ERROR";
  const field = error.extensions?.field;
  const fieldText = Array.isArray(field) ? field.join(".") : typeof field === "string" ? field : undefined;
  return new GraftApiError(code, typeof error.message === "string" ? error.message : "unknown error", fieldText);
}

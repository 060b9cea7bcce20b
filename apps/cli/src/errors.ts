import { GraftApiError, GraftConnectionError } from "@graft/client";
import { terminalText } from "./sanitize.ts";

/** A bad flag or argument, found before anything was sent. Exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly field: string | undefined;
  constructor(message: string, field?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.field = field;
  }
}

/** No gateway URL or API key configured. Exit code 3. */
export class NotLoggedInError extends Error {
  override name = "NotLoggedInError";
  constructor() {
    super("not logged in: run `graft login --url <graphql url> --api-key <key>` or set GRAFT_URL and GRAFT_API_KEY");
  }
}

/** A watched run ended FAILED or CANCELLED. Exit code 1. */
export class RunEndedBadlyError extends Error {
  override name = "RunEndedBadlyError";
  readonly status: string;
  constructor(runId: string, status: string, detail?: string) {
    super(`run ${runId} ${status.toLowerCase()}${detail ? `: ${detail}` : ""}`);
    this.status = status;
  }
}

export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3 } as const;

const AUTH_CODES = new Set(["UNAUTHENTICATED", "FORBIDDEN"]);

export function exitCodeFor(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof NotLoggedInError) return EXIT.auth;
  if (error instanceof GraftApiError && AUTH_CODES.has(error.code)) return EXIT.auth;
  return EXIT.failed;
}

/** One line a person can act on: the gateway's code and field come first. Terminal-safe. */
export function describeError(error: unknown): string {
  return terminalText(describeUnsafe(error));
}

function describeUnsafe(error: unknown): string {
  if (error instanceof GraftApiError) {
    return `error ${error.code}${error.field ? ` (field ${error.field})` : ""}: ${error.message}`;
  }
  if (error instanceof UsageError) return `usage error${error.field ? ` (${error.field})` : ""}: ${error.message}`;
  if (
    error instanceof GraftConnectionError ||
    error instanceof NotLoggedInError ||
    error instanceof RunEndedBadlyError
  ) {
    return `error: ${error.message}`;
  }
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

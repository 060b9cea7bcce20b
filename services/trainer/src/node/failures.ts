import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import { isRunErrorCode, type RunErrorCode } from "@graft/contracts";
import { JobError } from "../job-errors.ts";

export interface Classified {
  code: RunErrorCode;
  message: string;
  /** false: the same job would fail again anywhere, so the run ends now. */
  retryable: boolean;
}

/**
 * Sorts a job's error into final or transient. The trainer's own JobErrors and the artifact
 * format errors (data problems) say so by their class. An engine handed in from elsewhere
 * (another copy of these modules) is recognised by a known run error `code` and its
 * `retryable` flag. Anything else (NATS hiccup, out of memory, a bug that may not recur on
 * another node) is a TRAINING_ERROR and retried.
 */
export function classifyFailure(error: unknown): Classified {
  const message = describe(error);
  if (error instanceof JobError) return { code: error.code, message, retryable: error.retryable };
  if (error instanceof InvalidModelError) return { code: "CORRUPT_MODEL", message, retryable: false };
  if (error instanceof InvalidDatasetError) return { code: "INVALID_DATASET", message, retryable: false };
  const { code, retryable } = (error ?? {}) as { code?: unknown; retryable?: unknown };
  return {
    code: isRunErrorCode(code) ? code : "TRAINING_ERROR",
    message,
    retryable: typeof retryable === "boolean" ? retryable : true,
  };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 2_000);
  // Typed errors (with a code) already word their cause; generic ones get it appended.
  const typed = typeof (error as { code?: unknown }).code === "string";
  const cause = !typed && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error.message}${cause}`.slice(0, 2_000);
}

/** Delay before a transient failure's redelivery: 1 s, 2 s, 4 s ... capped at 30 s. */
export const retryDelayMs = (attempt: number) => Math.min(1_000 * 2 ** Math.max(0, attempt - 1), 30_000);

import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import { isRunErrorCode, type RunErrorCode, retryDelayFor } from "@graft/contracts";
import { JobError } from "../job-errors.ts";

export interface Classified {
  code: RunErrorCode;
  message: string;
  /** false: the same job would fail again anywhere, so the run ends now. */
  retryable: boolean;
}

/**
 * Sorts a job's error into final or transient, and into its failure class. The trainer's own
 * JobErrors and the artifact format errors (data problems) say so by their class. NATS,
 * JetStream and object store errors, and network errors of the system, are
 * INFRASTRUCTURE_ERROR: a NATS outage mid-run is not the run's fault. Memory exhaustion is
 * OUT_OF_MEMORY. An engine handed in from elsewhere (another copy of these modules) is
 * recognised by a known run error `code` and its `retryable` flag. Anything else (a bug
 * that may not recur on another node) is a TRAINING_ERROR and retried.
 */
export function classifyFailure(error: unknown): Classified {
  const message = describe(error);
  if (error instanceof JobError) return { code: error.code, message, retryable: error.retryable };
  if (error instanceof InvalidModelError) return { code: "CORRUPT_MODEL", message, retryable: false };
  if (error instanceof InvalidDatasetError) return { code: "INVALID_DATASET", message, retryable: false };
  if (causes(error).some(isInfrastructureError)) return { code: "INFRASTRUCTURE_ERROR", message, retryable: true };
  if (causes(error).some(isOutOfMemory)) return { code: "OUT_OF_MEMORY", message, retryable: true };
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

/** Delay before a transient failure's redelivery, by its failure class (RETRY_POLICIES in @graft/contracts). */
export const retryDelayMs = (attempt: number, code: RunErrorCode = "TRAINING_ERROR") => retryDelayFor(code, attempt);

/** The error and its causes, outermost first (bounded: a cause chain may loop). */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && e !== null && chain.length < 8; e = (e as { cause?: unknown }).cause) {
    chain.push(e);
  }
  return chain;
}

// By name, not class: the trainer, @graft/artifacts and the object store may each load their
// own copy of the NATS client, and instanceof fails across copies.
const NATS_ERRORS = new Set([
  "ConnectionError",
  "ClosedConnectionError",
  "DrainingConnectionError",
  "TimeoutError",
  "RequestError",
  "NoResponders",
  "ProtocolError",
  "JetStreamError",
  "JetStreamStatusError",
  "JetStreamApiError",
  "JetStreamNotEnabled",
  "StreamNotFoundError",
  "ConsumerNotFoundError",
]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

function isInfrastructureError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return NATS_ERRORS.has(error.name) || (typeof code === "string" && NETWORK_CODES.has(code));
}

function isOutOfMemory(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  // V8's failed ArrayBuffer allocation, and TensorFlow's OOM (native and WebGL/WASM backends).
  return (
    (error instanceof RangeError && /allocation failed|out of memory/i.test(error.message)) ||
    /\bOOM\b|out of memory|failed to allocate/i.test(error.message)
  );
}

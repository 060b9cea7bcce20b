import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";

export interface Classified {
  code: string;
  message: string;
  /** false: the same job would fail again anywhere, so the run ends now. */
  retryable: boolean;
}

const CODES: Record<string, string> = {
  CorruptModelError: "CORRUPT_MODEL",
  InvalidModelError: "CORRUPT_MODEL",
  IncompatibleDatasetError: "INCOMPATIBLE_DATASET",
  InvalidDatasetError: "INVALID_DATASET",
};

/**
 * Sorts a job's error into final or transient. Errors that say so (`retryable`) decide for
 * themselves; the artifact format errors are data problems and final; anything unknown
 * (NATS hiccup, out of memory, a bug that may not recur on another node) is retried.
 */
export function classifyFailure(error: unknown): Classified {
  const name = error instanceof Error ? error.name : "Error";
  const message = describe(error);
  const explicit = (error as { retryable?: unknown } | null)?.retryable;
  const ownCode = (error as { code?: unknown } | null)?.code;
  const code = typeof ownCode === "string" && /^[A-Z_]+$/.test(ownCode) ? ownCode : (CODES[name] ?? "TRAINING_ERROR");
  if (typeof explicit === "boolean") return { code, message, retryable: explicit };
  if (error instanceof InvalidModelError || error instanceof InvalidDatasetError) {
    return { code, message, retryable: false };
  }
  return { code, message, retryable: !(name in CODES) };
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

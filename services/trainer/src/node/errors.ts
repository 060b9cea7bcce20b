/** Registration with the gateway failed for a reason retrying will not fix (bad join token, bad input). */
export class RegistrationError extends Error {
  override name = "RegistrationError";
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The gateway stayed unreachable for the whole registration deadline. */
export class GatewayUnreachableError extends Error {
  override name = "GatewayUnreachableError";
  constructor(
    readonly url: string,
    readonly waitedMs: number,
    options?: { cause?: unknown },
  ) {
    super(`gateway at ${url} did not answer registerTrainer within ${waitedMs} ms`, options);
  }
}

/** Why a run's training was interrupted on purpose. */
export type StopReason =
  | { kind: "cancel"; reason?: string }
  | { kind: "hand-back" }
  /** JetStream redelivered the job (we looked dead): a newer attempt owns the run now. */
  | { kind: "superseded"; by: number };

/** Thrown inside a job when its AbortSignal fired, carrying why. */
export class JobStoppedError extends Error {
  override name = "JobStoppedError";
  constructor(
    readonly reason: StopReason,
    options?: { cause?: unknown },
  ) {
    super(
      reason.kind === "cancel"
        ? "run cancelled"
        : reason.kind === "hand-back"
          ? "trainer stopping: job handed back"
          : `attempt ${reason.by} took over the run`,
      options,
    );
  }
}

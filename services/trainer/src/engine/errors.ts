/**
 * The fine-tune's AbortSignal fired; the run stopped at a batch boundary. Not a failure: the
 * node reports why it stopped (cancel, hand-back, takeover), so this carries no run error code.
 */
export class FineTuneCancelledError extends Error {
  override name = "FineTuneCancelledError";
  readonly retryable = false;
  constructor(options?: { cause?: unknown }) {
    super("fine-tune cancelled", options);
  }
}

export interface WaitForOptions {
  /** @default 10_000 */
  timeoutMs?: number;
  /** @default 100 */
  intervalMs?: number;
}

type Settled<T> = Exclude<T, undefined | null | false>;

/**
 * Polls `probe` until it returns something other than `undefined`, `null` or `false`, and
 * resolves with that value (so a probe can both wait and fetch). A probe that throws is
 * tried again: across processes, "not ready yet" often looks like an error. The timeout
 * error says what never happened and the probe's last error, so a failing test explains itself.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Settled<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value as Settled<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? "" : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

import { TooManyAttemptsError } from "../domain/errors.ts";

export interface CredentialFailureLimit {
  /** Failed API key or session lookups one address may cause per window. @default 100 */
  failures: number;
  /** @default 60_000 */
  windowMs: number;
}

export const DEFAULT_CREDENTIAL_FAILURE_LIMIT: CredentialFailureLimit = { failures: 100, windowMs: 60_000 };

/** Addresses tracked at once; past it the oldest window is forgotten (an address flood only evicts). */
const MAX_ADDRESSES = 10_000;

interface Window {
  failures: number;
  endsAt: number;
}

/**
 * Unknown, revoked or expired credentials (API keys, dashboard sessions) per client address.
 * Keys and session tokens are 256-bit secrets, so this is not about guessing them: each such
 * credential costs a database read (a valid key is answered from the key cache), and this
 * bounds what a flood of them costs. Once an address has used up its failures, its
 * credentials that would need a read are refused (429) until the window ends; keys already in
 * the key cache still pass.
 *
 * Counted in this replica's memory, unlike GuessLimiter's shared counts: a write to the shared
 * database per failure would cost more than the read it saves. A flood spread over N replicas
 * gets N windows' worth, which is still bounded. Hand-written rather than rate-limiter-flexible's
 * memory store, which keeps one timer per key and has no bound on how many keys it holds.
 */
export class CredentialFailures {
  readonly #windows = new Map<string, Window>();

  constructor(readonly limit: CredentialFailureLimit = DEFAULT_CREDENTIAL_FAILURE_LIMIT) {}

  /** Throws TooManyAttemptsError while `address` has no failures left in its window. */
  check(address: string, now = Date.now()): void {
    const window = this.#windows.get(address);
    if (!window) return;
    if (window.endsAt <= now) {
      this.#windows.delete(address);
      return;
    }
    if (window.failures >= this.limit.failures) {
      throw new TooManyAttemptsError(Math.max(1, Math.ceil((window.endsAt - now) / 1000)));
    }
  }

  failed(address: string, now = Date.now()): void {
    const window = this.#windows.get(address);
    if (window && window.endsAt > now) {
      window.failures++;
      return;
    }
    this.#windows.delete(address);
    if (this.#windows.size >= MAX_ADDRESSES) this.#forgetOldest(now);
    // Map order is insertion order, so the first entries are the oldest windows.
    this.#windows.set(address, { failures: 1, endsAt: now + this.limit.windowMs });
  }

  #forgetOldest(now: number): void {
    for (const [address, window] of this.#windows) {
      this.#windows.delete(address);
      if (window.endsAt > now) return;
    }
  }
}

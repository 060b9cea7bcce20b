import { type Db, rateLimits } from "@graft/db";
import { RateLimiterDrizzle } from "rate-limiter-flexible";
import { TooManyAttemptsError } from "../domain/errors.ts";

export interface GuessLimit {
  /** Failed attempts one address may make per window. @default 20 */
  failures: number;
  /** @default 60_000 */
  windowMs: number;
}

/**
 * Counts failed guesses of a secret (join tokens) per client address; once an address has
 * used up its failures, every further attempt from it is refused until the window ends,
 * before the secret is even looked at. Successes cost nothing, so a trainer fleet
 * re-registering is never slowed down. The counts live in the database every gateway replica
 * shares (`rate_limits`), so guessing through several replicas buys no more attempts.
 */
export class GuessLimiter {
  readonly #limiter: RateLimiterDrizzle;

  constructor(db: Db, limit: GuessLimit = { failures: 20, windowMs: 60_000 }) {
    this.#limiter = new RateLimiterDrizzle({
      storeClient: db,
      schema: rateLimits,
      keyPrefix: "join-guesses",
      points: limit.failures,
      duration: Math.max(1, limit.windowMs / 1000),
    });
  }

  /** Throws TooManyAttemptsError while `address` has no failed attempts left. */
  async check(address: string): Promise<void> {
    const state = await this.#limiter.get(address);
    if (state && state.remainingPoints <= 0) {
      throw new TooManyAttemptsError(Math.max(1, Math.ceil(state.msBeforeNext / 1000)));
    }
  }

  async failed(address: string): Promise<void> {
    await this.#limiter.penalty(address, 1);
  }
}

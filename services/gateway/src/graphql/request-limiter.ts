import type { ApolloServerPlugin } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import { type Db, rateLimits } from "@graft/db";
import { GraphQLError } from "graphql";
import { RateLimiterDrizzle, RateLimiterRes } from "rate-limiter-flexible";
import type { Viewer } from "../auth/authenticate.ts";
import type { GraphQLContext } from "./context.ts";

export interface RequestRate {
  /** Requests (GraphQL operations, uploads) one API key may make per window. @default 1200 */
  requests: number;
  /** @default 60_000 */
  windowMs: number;
}

export const DEFAULT_REQUEST_RATE: RequestRate = { requests: 1200, windowMs: 60_000 };

/** Retry-After when the shared counters cannot be reached. */
const STORE_DOWN_RETRY_SECONDS = 5;

/**
 * How many requests one replica takes from a key's shared count in one write: 1 % of the
 * rate, at most 100. Rates under 200 a window lease one at a time, i.e. a write per request.
 */
export function leaseSize(rate: RequestRate): number {
  return Math.min(100, Math.max(1, Math.floor(rate.requests / 100)));
}

/** Keys held in memory past which expired ones are dropped (only authenticated keys get here). */
const PRUNE_AT = 10_000;

interface KeyLease {
  /** Requests this replica has taken from the shared count and not served yet. */
  left: number;
  /** When the shared window these requests belong to ends (ms since epoch). */
  until: number;
  /** The shared count reached the rate: refuse from memory until `until`. */
  spent: boolean;
  /** The lease being taken, which concurrent requests of this key wait for together. */
  pending: Promise<void> | null;
}

/**
 * Requests per API key (a dashboard session counts as its key), so one client cannot take
 * the whole gateway. The counters live in the database every replica shares (`rate_limits`),
 * so the limit holds for the deployment, not per process.
 *
 * A replica takes requests from the shared count in leases of `leaseSize(rate)` (one upsert)
 * and serves them from memory; a lease belongs to its window and lapses with it. Every
 * request served was counted before it was served, so the deployment never serves more than
 * the rate in a window. The price is the other way: requests leased by a replica and not
 * served (yet) count too, so a key may be refused when up to (replicas - 1) x (leaseSize - 1)
 * of its window's requests were never served; at the default 1,200 a minute that is 11 per
 * other replica. Once the shared count reaches the rate, this replica refuses the key from
 * memory until the window ends (a flood past the limit costs no write).
 *
 * Without the database it fails closed: 503 with Retry-After once the replica's lease is
 * used up, never an uncounted request (a key served from the key cache would otherwise go
 * unlimited while the database is away).
 */
export class RequestLimiter {
  readonly #limiter: RateLimiterDrizzle;
  readonly #rate: number;
  readonly #leaseSize: number;
  readonly #keys = new Map<string, KeyLease>();

  constructor(
    db: Db,
    rate: RequestRate = DEFAULT_REQUEST_RATE,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.#rate = rate.requests;
    this.#leaseSize = leaseSize(rate);
    this.#limiter = new RateLimiterDrizzle({
      storeClient: db,
      schema: rateLimits,
      keyPrefix: "requests",
      points: rate.requests,
      duration: Math.max(1, rate.windowMs / 1000),
    });
  }

  /**
   * Counts one request; a RATE_LIMITED error (HTTP 429 with Retry-After) once the key has none
   * left, or (HTTP 503) while the shared counters are unreachable.
   */
  async take(viewer: Pick<Viewer, "apiKeyId">): Promise<GraphQLError | null> {
    const key = viewer.apiKeyId;
    let lease = this.#keys.get(key);
    if (!lease) {
      if (this.#keys.size >= PRUNE_AT) this.#prune();
      lease = { left: 0, until: 0, spent: false, pending: null };
      this.#keys.set(key, lease);
    }
    // Each pass either serves, refuses, or waits for a lease; the requests that waited for one
    // lease resume before any request that arrives later, so a lease of n serves n of them.
    for (;;) {
      const now = Date.now();
      if (lease.until > now) {
        if (lease.left > 0) {
          lease.left--;
          return null;
        }
        if (lease.spent) {
          const seconds = Math.max(1, Math.ceil((lease.until - now) / 1000));
          return rateLimited(`too many requests for this API key; try again in ${seconds} s`, seconds, 429);
        }
      }
      lease.pending ??= this.#lease(key, lease).finally(() => {
        if (lease) lease.pending = null;
      });
      try {
        await lease.pending;
      } catch (error) {
        this.log(`rate limit: the shared counters are unreachable, refusing: ${String(error)}`);
        return rateLimited(
          `request limits cannot be checked right now; try again in ${STORE_DOWN_RETRY_SECONDS} s`,
          STORE_DOWN_RETRY_SECONDS,
          503,
        );
      }
    }
  }

  /** Takes up to a lease's worth of the key's shared count; what is left over is granted. */
  async #lease(key: string, lease: KeyLease): Promise<void> {
    const asked = this.#leaseSize;
    let counted: RateLimiterRes;
    try {
      counted = await this.#limiter.consume(key, asked);
    } catch (error) {
      // Past the rate the library rejects with the count it reached; anything else is the store.
      if (!(error instanceof RateLimiterRes)) throw error;
      counted = error;
    }
    // The count before this lease was `consumedPoints - asked` (a new window starts at 0).
    const before = counted.consumedPoints - asked;
    lease.left = Math.max(0, Math.min(asked, this.#rate - before));
    lease.until = Date.now() + counted.msBeforeNext;
    lease.spent = counted.consumedPoints >= this.#rate;
  }

  #prune() {
    const now = Date.now();
    for (const [key, lease] of this.#keys) if (lease.until <= now && !lease.pending) this.#keys.delete(key);
  }
}

function rateLimited(message: string, retryAfterSeconds: number, status: 429 | 503): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfter: retryAfterSeconds,
      http: { status, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) },
    },
  });
}

/** Apollo: every authenticated operation counts against its key's rate. */
export function requestRatePlugin(limiter: RequestLimiter): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue }) {
          if (!contextValue.viewer) return; // keyless operations are limited by GuessLimiter
          const limited = await limiter.take(contextValue.viewer);
          if (limited) throw limited;
        },
      };
    },
  };
}

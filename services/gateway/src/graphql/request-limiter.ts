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
 * Requests per API key (a dashboard session counts as its key), so one client cannot take
 * the whole gateway. The counters live in the database every replica shares (one atomic
 * upsert per request, `rate_limits`), so the limit holds for the deployment, not per
 * process; once a key is spent, this replica refuses it from memory until its window ends.
 * Without the database it fails closed: 503 with Retry-After, never an uncounted request
 * (a key served from the key cache would otherwise go unlimited while the database is away).
 */
export class RequestLimiter {
  readonly #limiter: RateLimiterDrizzle;

  constructor(
    db: Db,
    rate: RequestRate = DEFAULT_REQUEST_RATE,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.#limiter = new RateLimiterDrizzle({
      storeClient: db,
      schema: rateLimits,
      keyPrefix: "requests",
      points: rate.requests,
      duration: Math.max(1, rate.windowMs / 1000),
      // A key that has used up its window is refused in process until the window ends: a
      // client flooding past its limit costs no database write per refused request.
      inMemoryBlockOnConsumed: rate.requests,
    });
  }

  /**
   * Counts one request; a RATE_LIMITED error (HTTP 429 with Retry-After) once the key has none
   * left, or (HTTP 503) while the shared counters are unreachable.
   */
  async take(viewer: Pick<Viewer, "apiKeyId">): Promise<GraphQLError | null> {
    try {
      await this.#limiter.consume(viewer.apiKeyId);
      return null;
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
        return rateLimited(`too many requests for this API key; try again in ${seconds} s`, seconds, 429);
      }
      this.log(`rate limit: the shared counters are unreachable, refusing: ${String(error)}`);
      return rateLimited(
        `request limits cannot be checked right now; try again in ${STORE_DOWN_RETRY_SECONDS} s`,
        STORE_DOWN_RETRY_SECONDS,
        503,
      );
    }
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

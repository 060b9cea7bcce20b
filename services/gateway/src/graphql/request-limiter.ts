import type { ApolloServerPlugin } from "@apollo/server";
import { HeaderMap } from "@apollo/server";
import { GraphQLError } from "graphql";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { Viewer } from "../auth/authenticate.ts";
import type { GraphQLContext } from "./context.ts";

export interface RequestRate {
  /** Requests (GraphQL operations, uploads) one API key may make per window. @default 1200 */
  requests: number;
  /** @default 60_000 */
  windowMs: number;
}

export const DEFAULT_REQUEST_RATE: RequestRate = { requests: 1200, windowMs: 60_000 };

/**
 * Requests per API key (a dashboard session counts as its key), so one client cannot take
 * the whole gateway. In-process counters: each gateway replica counts its own, so the
 * effective limit behind a load balancer is this times the replica count.
 */
export class RequestLimiter {
  readonly #limiter: RateLimiterMemory;

  constructor(rate: RequestRate = DEFAULT_REQUEST_RATE) {
    this.#limiter = new RateLimiterMemory({ points: rate.requests, duration: Math.max(1, rate.windowMs / 1000) });
  }

  /** Counts one request; a RATE_LIMITED error (HTTP 429 with Retry-After) once the key has none left. */
  async take(viewer: Pick<Viewer, "apiKeyId">): Promise<GraphQLError | null> {
    try {
      await this.#limiter.consume(viewer.apiKeyId);
      return null;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return rateLimited(Math.max(1, Math.ceil(error.msBeforeNext / 1000)));
    }
  }
}

function rateLimited(retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(`too many requests for this API key; try again in ${retryAfterSeconds} s`, {
    extensions: {
      code: "RATE_LIMITED",
      retryAfter: retryAfterSeconds,
      http: { status: 429, headers: new HeaderMap([["retry-after", String(retryAfterSeconds)]]) },
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

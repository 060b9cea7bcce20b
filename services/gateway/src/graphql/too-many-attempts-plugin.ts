import type { ApolloServerPlugin } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import { TooManyAttemptsError } from "../domain/errors.ts";
import type { GraphQLContext } from "./context.ts";

/** A refused guess (RATE_LIMITED) is answered as HTTP 429 with Retry-After, as clients expect. */
export const tooManyAttemptsStatus: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ errors, response }) {
        const limited = errors?.map((e) => unwrapResolverError(e)).find((e) => e instanceof TooManyAttemptsError);
        if (!(limited instanceof TooManyAttemptsError)) return;
        response.http.status = 429;
        response.http.headers.set("retry-after", String(limited.retryAfterSeconds));
      },
    };
  },
};

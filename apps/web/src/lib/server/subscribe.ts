import { type GraphQLDocument, subscribe } from "@graft/client";
import { webEnv } from "./env.ts";

export interface SubscriptionHandlers<TResult> {
  next(data: TResult): void;
  error(message: string): void;
  complete(): void;
}

/**
 * Opens one graphql-ws subscription to the gateway with the session's token. The token stays
 * on this server; the browser only sees the events relayed to it. A relay outlives gateway
 * restarts, so it keeps reconnecting.
 */
export function subscribeGateway<TResult, TVariables>(
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  sessionToken: string,
  /** The browser's address (gateway.ts `forwardedFor()`). */
  forwarded: Record<string, string>,
  handlers: SubscriptionHandlers<TResult>,
): () => void {
  return subscribe(
    {
      url: webEnv().graphqlUrl.toString(),
      apiKey: sessionToken,
      headers: forwarded,
      retryAttempts: 20,
      shouldRetry: () => true,
    },
    document,
    variables,
    {
      next: (data) => handlers.next(data),
      error: (error) => handlers.error(error.message),
      complete: () => handlers.complete(),
    },
  );
}

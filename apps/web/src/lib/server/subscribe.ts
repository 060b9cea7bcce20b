import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { gatewayWsUrl, webEnv } from "./env.ts";

export interface SubscriptionHandlers {
  next(data: unknown): void;
  error(message: string): void;
  complete(): void;
}

/**
 * Opens one graphql-ws subscription to the gateway with the session's key. The key stays on
 * this server; the browser only sees the events relayed to it.
 */
export function subscribeGateway(
  query: string,
  variables: Record<string, unknown>,
  apiKey: string,
  handlers: SubscriptionHandlers,
): () => void {
  const client = createClient({
    url: gatewayWsUrl(webEnv()),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiKey}` },
    lazy: true,
    retryAttempts: 20,
    shouldRetry: () => true,
  });
  const unsubscribe = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors?.length) handlers.error(result.errors.map((e) => e.message).join("; "));
        else if (result.data) handlers.next(result.data);
      },
      error: (error) => handlers.error(error instanceof Error ? error.message : "subscription failed"),
      complete: () => handlers.complete(),
    },
  );
  return () => {
    unsubscribe();
    void client.dispose();
  };
}

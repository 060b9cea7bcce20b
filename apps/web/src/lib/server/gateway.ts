import { GraftFetcher } from "@graft/client";
import { webEnv } from "./env.ts";

/**
 * The gateway with the session's key. Only the dashboard's server holds keys; no timeout of
 * its own, since the browser's request waits as long as the gateway takes (a model fetched
 * by URL can take a minute).
 */
export function gatewayFor(apiKey: string): GraftFetcher {
  return new GraftFetcher({
    url: webEnv().graphqlUrl.toString(),
    apiKey,
    fetch: (input, init) => fetch(input, { ...init, cache: "no-store" }),
    timeoutMs: null,
  });
}

export function graphqlErrorBody(message: string, code: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

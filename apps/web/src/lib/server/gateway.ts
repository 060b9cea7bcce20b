import { type GraftConnectionError, GraftFetcher, type GraphQLDocument } from "@graft/client";
import { headers } from "next/headers";
import { webEnv } from "./env.ts";
import { sessionToken } from "./session.ts";

/**
 * The browser's `X-Forwarded-For` as this server received it (Next sets it to the browser's
 * address when the request had none), to pass on: the gateway trusts it from the dashboard
 * and counts its per-address limits (failed credentials) against the browser, not against
 * the dashboard every user shares.
 */
export async function forwardedFor(): Promise<Record<string, string>> {
  const chain = (await headers()).get("x-forwarded-for");
  return chain ? { "x-forwarded-for": chain } : {};
}

/**
 * The gateway with the session's token (null: no Authorization, for the login itself) and the
 * browser's address (`forwardedFor()`). Only the dashboard's server holds tokens; no timeout
 * of its own, since the browser's request waits as long as the gateway takes (a model fetched
 * by URL can take a minute).
 */
export function gatewayFor(sessionToken: string | null, forwarded: Record<string, string>): GraftFetcher {
  return new GraftFetcher({
    url: webEnv().graphqlUrl.toString(),
    apiKey: sessionToken,
    headers: forwarded,
    fetch: (input, init) => fetch(input, { ...init, cache: "no-store" }),
    timeoutMs: null,
  });
}

/**
 * A page's first read, while the server renders it (so it arrives with the HTML, not after the
 * page's JavaScript has run): null when there is no session or the read fails, and the page
 * then reads in the browser, which shows the error as usual.
 */
export async function readForPage<TResult, TVariables>(
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
): Promise<TResult | null> {
  const token = await sessionToken();
  if (!token) return null;
  try {
    return await gatewayFor(token, await forwardedFor()).request(document, variables);
  } catch {
    return null;
  }
}

export function graphqlErrorBody(message: string, code: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

/**
 * What the browser is told when the gateway cannot be reached: no address, no cause (those
 * go to the server's log), since they describe the inside of the deployment.
 */
export function gatewayUnreachable(error: GraftConnectionError): string {
  console.error(`dashboard: ${error.message}`);
  return "The gateway is unreachable";
}

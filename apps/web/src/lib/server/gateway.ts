import { webEnv } from "./env.ts";

export class GatewayUnavailableError extends Error {
  override name = "GatewayUnavailableError";
}

export interface GatewayResponse {
  status: number;
  body: string;
}

/** Forwards one GraphQL request body to the gateway with the session's key. */
export async function postToGateway(body: string, apiKey: string): Promise<GatewayResponse> {
  const { graphqlUrl } = webEnv();
  try {
    const res = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", authorization: `Bearer ${apiKey}` },
      body,
      cache: "no-store",
    });
    return { status: res.status, body: await res.text() };
  } catch (cause) {
    throw new GatewayUnavailableError(`gateway at ${graphqlUrl} is unreachable`, { cause });
  }
}

export function graphqlErrorBody(message: string, code: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

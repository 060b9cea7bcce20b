import { GraftConnectionError } from "@graft/client";
import { gatewayFor, graphqlErrorBody } from "@/lib/server/gateway.ts";
import { sessionApiKey } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 256 * 1024;

function json(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

/** Forwards the browser's GraphQL request as it is, with the session's key; the answer comes back as it is. */
export async function POST(request: Request): Promise<Response> {
  const key = await sessionApiKey();
  if (!key) return json(graphqlErrorBody("Log in with an API key", "UNAUTHENTICATED"), 401);
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES) return json(graphqlErrorBody("Request too large", "BAD_USER_INPUT"), 413);
  try {
    const res = await gatewayFor(key).send(body);
    return json(await res.text(), res.status);
  } catch (error) {
    if (error instanceof GraftConnectionError) return json(graphqlErrorBody(error.message, error.code), 502);
    throw error;
  }
}

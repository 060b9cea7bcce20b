import { GatewayUnavailableError, graphqlErrorBody, postToGateway } from "@/lib/server/gateway.ts";
import { sessionApiKey } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 256 * 1024;

function json(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

export async function POST(request: Request): Promise<Response> {
  const key = await sessionApiKey();
  if (!key) return json(graphqlErrorBody("Log in with an API key", "UNAUTHENTICATED"), 401);
  const body = await request.text();
  if (body.length > MAX_BODY_BYTES) return json(graphqlErrorBody("Request too large", "BAD_USER_INPUT"), 413);
  try {
    const res = await postToGateway(body, key);
    return json(res.body, res.status);
  } catch (error) {
    if (error instanceof GatewayUnavailableError)
      return json(graphqlErrorBody(error.message, "GATEWAY_UNAVAILABLE"), 502);
    throw error;
  }
}

import { GraftConnectionError } from "@graft/client";
import { BodyTooLargeError, readBodyText } from "@/lib/server/body.ts";
import { forwardedFor, gatewayFor, gatewayUnreachable, graphqlErrorBody } from "@/lib/server/gateway.ts";
import { refuseForeignRequest } from "@/lib/server/request-guard.ts";
import { sessionToken } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

const MAX_BODY_BYTES = 256 * 1024;

function json(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "application/json", "cache-control": "no-store" } });
}

/**
 * Forwards the browser's GraphQL request with the session's token; the answer comes back as
 * it is. Only JSON from this site: a cross-site form or `text/plain` post is refused before
 * its body is read, and so is a body past 256 KB.
 */
export async function POST(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: true });
  if (refused) return refused;
  const token = await sessionToken();
  if (!token) return json(graphqlErrorBody("Log in first", "UNAUTHENTICATED"), 401);
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return json(graphqlErrorBody("Send application/json", "BAD_REQUEST"), 415);
  }
  let body: string;
  try {
    body = await readBodyText(request, MAX_BODY_BYTES);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return json(graphqlErrorBody("Request too large", "BAD_REQUEST"), 413);
    throw error;
  }
  try {
    const res = await gatewayFor(token, await forwardedFor()).send(body);
    return json(await res.text(), res.status);
  } catch (error) {
    if (error instanceof GraftConnectionError) {
      return json(graphqlErrorBody(gatewayUnreachable(error), error.code), 502);
    }
    throw error;
  }
}

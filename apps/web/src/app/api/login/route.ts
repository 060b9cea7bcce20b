import { CreateSessionDocument, GraftApiError, GraftConnectionError, RevokeSessionDocument } from "@graft/client";
import { cookies } from "next/headers";
import { BodyTooLargeError, readBodyText } from "@/lib/server/body.ts";
import { loginCookieName, loginCookieOptions, newLoginSecret, tokenFor, verifyLoginToken } from "@/lib/server/csrf.ts";
import { forwardedFor, gatewayFor, gatewayUnreachable } from "@/lib/server/gateway.ts";
import { clientAddress, loginBlockedFor, loginFailed } from "@/lib/server/login-limits.ts";
import { refuseForeignRequest } from "@/lib/server/request-guard.ts";
import { sessionCookieName, sessionCookieOptions, sessionToken } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

const MAX_LOGIN_BODY_BYTES = 4096;
// Printable ASCII without spaces, as every Graft key is: a key with CR/LF never reaches a header.
const API_KEY_SHAPE = /^[\x21-\x7e]{1,512}$/;

const answer = (body: Record<string, unknown>, status = 200, headers: Record<string, string> = {}) =>
  Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });

/** The login form's CSRF token, bound to a pre-session cookie set here. */
export async function GET(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: false });
  if (refused) return refused;
  const jar = await cookies();
  const existing = jar.get(loginCookieName())?.value;
  if (existing) return answer({ csrfToken: tokenFor(existing) });
  const { secret, token } = newLoginSecret();
  jar.set(loginCookieName(), secret, loginCookieOptions());
  return answer({ csrfToken: token });
}

/**
 * Log in: `{ apiKey, csrfToken }` from this site's login form. The gateway trades the key for
 * a session token (createSession); only that token is kept, in the session cookie.
 */
export async function POST(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: true });
  if (refused) return refused;
  const address = clientAddress(request);
  const wait = await loginBlockedFor(address);
  if (wait > 0) {
    return answer({ error: `Too many failed logins; try again in ${wait} s` }, 429, { "retry-after": String(wait) });
  }
  if (!request.headers.get("content-type")?.startsWith("application/json")) {
    return answer({ error: "Send JSON { apiKey, csrfToken }" }, 415);
  }
  let body: { apiKey?: unknown; csrfToken?: unknown };
  try {
    body = JSON.parse(await readBodyText(request, MAX_LOGIN_BODY_BYTES)) as typeof body;
  } catch (error) {
    if (error instanceof BodyTooLargeError) return answer({ error: "Request too large" }, 413);
    return answer({ error: "Send JSON { apiKey, csrfToken }" }, 400);
  }
  const jar = await cookies();
  if (!verifyLoginToken(jar.get(loginCookieName())?.value, body?.csrfToken)) {
    return answer({ error: "The login form expired; reload the page" }, 403);
  }
  const apiKey = typeof body.apiKey === "string" ? body.apiKey.trim() : "";
  if (!apiKey) return answer({ error: "Enter an API key" }, 400);
  try {
    if (!API_KEY_SHAPE.test(apiKey)) throw new GraftApiError("UNAUTHENTICATED", "not an API key");
    const { createSession } = await gatewayFor(null, await forwardedFor()).request(CreateSessionDocument, { apiKey });
    jar.set(sessionCookieName(), createSession.token, sessionCookieOptions(new Date(createSession.expiresAt)));
    jar.delete(loginCookieName());
    return answer({ projectName: createSession.viewer.projectName });
  } catch (error) {
    if (error instanceof GraftConnectionError) return answer({ error: gatewayUnreachable(error) }, 502);
    if (error instanceof GraftApiError && error.code === "UNAUTHENTICATED") {
      await loginFailed(address);
      return answer({ error: "The gateway did not accept this API key" }, 401);
    }
    throw error;
  }
}

/** Log out: the gateway ends the session, and the cookie goes. */
export async function DELETE(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: true });
  if (refused) return refused;
  const token = await sessionToken();
  if (token) {
    await gatewayFor(token, await forwardedFor())
      .request(RevokeSessionDocument)
      .catch(() => {
        // An expired or revoked session is already over; an unreachable gateway keeps it
        // until it expires, but this browser forgets it either way.
      });
  }
  (await cookies()).delete(sessionCookieName());
  return answer({ ok: true });
}

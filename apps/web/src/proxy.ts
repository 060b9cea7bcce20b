import { type NextRequest, NextResponse } from "next/server";
import { refuseForeignRequest } from "@/lib/server/request-guard.ts";
import { isSessionToken, sessionCookieName } from "@/lib/server/session.ts";

/**
 * Every page: the Host check, a login for everything but /login, and a Content-Security-Policy
 * with a fresh nonce (Next.js puts it on its own scripts). API routes are left out of the
 * matcher on purpose: a proxy makes Next.js buffer request bodies (10 MB by default) before
 * the route runs, and those routes check size, Host and Origin themselves before reading.
 */
export function proxy(request: NextRequest): NextResponse | Response {
  const refused = refuseForeignRequest(request, { stateChanging: !["GET", "HEAD"].includes(request.method) });
  if (refused) return refused;
  const { pathname, search } = request.nextUrl;
  if (pathname !== "/login" && !isSessionToken(request.cookies.get(sessionCookieName())?.value)) {
    const login = new URL("/login", request.url);
    login.searchParams.set("next", `${pathname}${search}`);
    return NextResponse.redirect(login);
  }
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = contentSecurityPolicy(nonce);
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  headers.set("x-graft-path", `${pathname}${search}`);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

function contentSecurityPolicy(nonce: string): string {
  const dev = process.env.NODE_ENV === "development";
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // Server-rendered style attributes (charts, the lineage graph) need 'unsafe-inline'; a
    // nonce here would switch it off, so styles are not nonced.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

export const config = {
  matcher: ["/((?!api/|_next/static/|_next/image/|favicon.ico).*)"],
};

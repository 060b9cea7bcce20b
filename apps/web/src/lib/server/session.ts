import { cookies } from "next/headers";
import { webEnv } from "./env.ts";

/**
 * The browser holds only an opaque session token (made by the gateway's createSession, stored
 * there as a hash) in an http-only, SameSite=Strict cookie; never the API key. Behind TLS the
 * cookie is `Secure` with the `__Host-` prefix, so no other site or subdomain can set it.
 */
export const sessionCookieName = () => (webEnv().secureCookies ? "__Host-graft_session" : "graft_session");

// What the gateway's tokens look like; anything else in the cookie is not sent anywhere.
const SESSION_TOKEN = /^graftsession_[A-Za-z0-9_-]{20,100}$/;

export const isSessionToken = (value: string | undefined): value is string =>
  value !== undefined && SESSION_TOKEN.test(value);

/** The session token of this request, or null: a page or API route then asks for a login. */
export async function sessionToken(): Promise<string | null> {
  const value = (await cookies()).get(sessionCookieName())?.value;
  return isSessionToken(value) ? value : null;
}

export function sessionCookieOptions(expiresAt: Date) {
  return {
    httpOnly: true,
    sameSite: "strict" as const,
    secure: webEnv().secureCookies,
    path: "/",
    expires: expiresAt,
  };
}

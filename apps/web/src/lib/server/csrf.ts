import Tokens from "csrf";
import { webEnv } from "./env.ts";

/**
 * The login form's CSRF protection: a random secret in an http-only, SameSite=Strict
 * pre-session cookie, and a token derived from it that the form sends back. Another site can
 * neither read the token nor set the cookie, so it cannot post a login.
 */
const tokens = new Tokens();

export const loginCookieName = () => (webEnv().secureCookies ? "__Host-graft_login" : "graft_login");

export function newLoginSecret(): { secret: string; token: string } {
  const secret = tokens.secretSync();
  return { secret, token: tokens.create(secret) };
}

export const tokenFor = (secret: string) => tokens.create(secret);

export function verifyLoginToken(secret: string | undefined, token: unknown): boolean {
  return typeof secret === "string" && typeof token === "string" && tokens.verify(secret, token);
}

export function loginCookieOptions() {
  return { httpOnly: true, sameSite: "strict" as const, secure: webEnv().secureCookies, path: "/", maxAge: 3600 };
}

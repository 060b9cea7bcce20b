import { cookies } from "next/headers";
import { webEnv } from "./env.ts";

/** The API key lives only in this http-only cookie; client JS never sees it. */
export const SESSION_COOKIE = "graft_api_key";

export async function sessionApiKey(): Promise<string | null> {
  const jar = await cookies();
  return jar.get(SESSION_COOKIE)?.value || webEnv().defaultApiKey;
}

export function sessionCookieOptions() {
  return {
    httpOnly: true,
    sameSite: "strict" as const,
    secure: webEnv().secureCookies,
    path: "/",
    maxAge: 60 * 60 * 24 * 30,
  };
}

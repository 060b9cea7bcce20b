import { GraftConnectionError, ViewerDocument } from "@graft/client";
import { cookies } from "next/headers";
import { gatewayFor } from "@/lib/server/gateway.ts";
import { SESSION_COOKIE, sessionCookieOptions } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

/** Checks the key against the gateway before storing it, so a typo is reported at once. */
export async function POST(request: Request): Promise<Response> {
  let apiKey = "";
  try {
    const body = (await request.json()) as { apiKey?: unknown };
    apiKey = typeof body.apiKey === "string" ? body.apiKey.trim() : "";
  } catch {
    return Response.json({ error: "Send JSON { apiKey }" }, { status: 400 });
  }
  if (!apiKey || apiKey.length > 512) return Response.json({ error: "Enter an API key" }, { status: 400 });
  try {
    const { viewer } = await gatewayFor(apiKey).request(ViewerDocument);
    (await cookies()).set(SESSION_COOKIE, apiKey, sessionCookieOptions());
    return Response.json({ projectName: viewer.projectName });
  } catch (error) {
    if (error instanceof GraftConnectionError) return Response.json({ error: error.message }, { status: 502 });
    return Response.json({ error: "The gateway did not accept this API key" }, { status: 401 });
  }
}

export async function DELETE(): Promise<Response> {
  (await cookies()).delete(SESSION_COOKIE);
  return Response.json({ ok: true });
}

import { webEnv } from "@/lib/server/env.ts";
import { sessionApiKey } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

/** Streams an uploaded zip to the gateway's POST /uploads; the gateway enforces the size limit. */
export async function POST(request: Request): Promise<Response> {
  const key = await sessionApiKey();
  if (!key) return Response.json({ error: "Log in with an API key" }, { status: 401 });
  if (!request.body) return Response.json({ error: "Empty upload" }, { status: 400 });
  const target = new URL("/uploads", webEnv().gatewayBaseUrl);
  try {
    const res = await fetch(target, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": request.headers.get("content-type") ?? "application/zip",
      },
      body: request.body,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    const text = await res.text();
    return new Response(text, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  } catch {
    return Response.json({ error: `gateway at ${target.origin} is unreachable` }, { status: 502 });
  }
}

import { GraftConnectionError } from "@graft/client";
import { gatewayFor } from "@/lib/server/gateway.ts";
import { sessionApiKey } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

/** Streams an uploaded zip to the gateway's POST /uploads; the gateway enforces the size limit. */
export async function POST(request: Request): Promise<Response> {
  const key = await sessionApiKey();
  if (!key) return Response.json({ error: "Log in with an API key" }, { status: 401 });
  if (!request.body) return Response.json({ error: "Empty upload" }, { status: 400 });
  const gateway = gatewayFor(key);
  try {
    const res = await gateway.send(request.body, {
      url: gateway.uploadsUrl,
      contentType: request.headers.get("content-type") ?? "application/zip",
    });
    const text = await res.text();
    return new Response(text, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  } catch (error) {
    if (error instanceof GraftConnectionError) {
      return Response.json(
        { error: `gateway at ${new URL(gateway.uploadsUrl).origin} is unreachable` },
        { status: 502 },
      );
    }
    throw error;
  }
}

import { GraftConnectionError } from "@graft/client";
import { forwardedFor, gatewayFor, gatewayUnreachable } from "@/lib/server/gateway.ts";
import { refuseForeignRequest } from "@/lib/server/request-guard.ts";
import { sessionToken } from "@/lib/server/session.ts";

export const dynamic = "force-dynamic";

// A zip, or a CSV / JSONL text dataset. A cross-site form can only send form encodings or
// text/plain, which are refused; these types would need a CORS preflight, which fails.
const UPLOAD_TYPES = [
  "application/zip",
  "application/x-zip-compressed",
  "application/octet-stream",
  "text/csv",
  "application/jsonl",
  "application/x-ndjson",
];

/** Streams an uploaded file to the gateway's POST /uploads; the gateway enforces the size limit. */
export async function POST(request: Request): Promise<Response> {
  const refused = refuseForeignRequest(request, { stateChanging: true });
  if (refused) return refused;
  const token = await sessionToken();
  if (!token) return Response.json({ error: "Log in first" }, { status: 401 });
  const contentType = request.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!UPLOAD_TYPES.includes(contentType)) {
    return Response.json({ error: "Send a zip, CSV or JSONL file" }, { status: 415 });
  }
  if (!request.body) return Response.json({ error: "Empty upload" }, { status: 400 });
  const gateway = gatewayFor(token, await forwardedFor());
  try {
    const res = await gateway.send(request.body, { url: gateway.uploadsUrl, contentType });
    const text = await res.text();
    return new Response(text, {
      status: res.status,
      headers: { "content-type": res.headers.get("content-type") ?? "application/json" },
    });
  } catch (error) {
    if (error instanceof GraftConnectionError) {
      return Response.json({ error: gatewayUnreachable(error) }, { status: 502 });
    }
    throw error;
  }
}

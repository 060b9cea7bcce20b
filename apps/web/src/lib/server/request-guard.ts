import { webEnv } from "./env.ts";

/**
 * Checks every request the dashboard's own routes take, before anything is read:
 * - Host must be one the dashboard answers to (DNS rebinding: a page on evil.example whose
 *   name resolves to 127.0.0.1 still says `Host: evil.example`): 421 otherwise.
 * - A state-changing request from a browser must come from this site: `Sec-Fetch-Site` is
 *   same-origin (or none), and `Origin`, when sent, names this Host: 403 otherwise. Programs
 *   outside a browser send neither and still need a session.
 * Returns the refusal, or null when the request may go on.
 */
export function refuseForeignRequest(request: Request, options: { stateChanging: boolean }): Response | null {
  const host = request.headers.get("host")?.toLowerCase() ?? "";
  if (!hostAllowed(host)) return refusal(421, "This dashboard does not answer to that Host; see GRAFT_ALLOWED_HOSTS");
  if (!options.stateChanging) return null;
  const site = request.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") return refusal(403, "Cross-site request refused");
  const origin = request.headers.get("origin");
  if (origin !== null && originHost(origin) !== host) return refusal(403, "Cross-origin request refused");
  return null;
}

function hostAllowed(host: string): boolean {
  const allowed = webEnv().allowedHosts;
  if (allowed.includes("*")) return true;
  const name = host.replace(/:\d{1,5}$/, "");
  return allowed.some((entry) => {
    const wanted = entry.toLowerCase();
    return wanted === host || wanted === name;
  });
}

function originHost(origin: string): string | null {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return null;
  }
}

function refusal(status: number, message: string): Response {
  return Response.json({ error: message }, { status, headers: { "cache-control": "no-store" } });
}

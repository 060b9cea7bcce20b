import type { IncomingMessage, ServerResponse } from "node:http";
import { sendJson } from "./apollo-node.ts";

/**
 * The Host names the gateway answers to, against DNS rebinding: a page on evil.example whose
 * name is made to resolve to 127.0.0.1 reaches this port, but its requests say
 * `Host: evil.example`. Entries are `name` (any port) or `name:port`; `*` turns the check off
 * (for a proxy in front that checks Host itself).
 */
export class HostAllowList {
  readonly #any: boolean;
  readonly #entries: { name: string; port: string | null }[];

  constructor(entries: readonly string[]) {
    this.#any = entries.includes("*");
    this.#entries = entries.filter((e) => e !== "*").flatMap((e) => splitHost(e) ?? []);
  }

  /** Loopback names on `port`: the addresses the launcher and the gateway print. */
  static loopback(port: number | null): HostAllowList {
    const suffix = port === null ? "" : `:${port}`;
    return new HostAllowList(["localhost", "127.0.0.1", "[::1]"].map((name) => `${name}${suffix}`));
  }

  allows(host: string | undefined): boolean {
    if (this.#any) return true;
    const given = host === undefined ? null : splitHost(host);
    if (!given) return false;
    return this.#entries.some((e) => e.name === given.name && (e.port === null || e.port === given.port));
  }

  /**
   * A browser Origin may open a websocket only when it is this server itself (same host and
   * port) or a host on the list; clients outside a browser send no Origin.
   */
  allowsOrigin(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") return false;
    return url.host === host?.toLowerCase() || this.allows(url.host);
  }

  toString(): string {
    return this.#any ? "*" : this.#entries.map((e) => (e.port === null ? e.name : `${e.name}:${e.port}`)).join(",");
  }
}

/** `Name:Port`, `[v6]:port` -> lowercase name and port; null for anything malformed. */
function splitHost(value: string): { name: string; port: string | null } | null {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!match?.[1]) return null;
  return { name: match[1].toLowerCase(), port: match[2] ?? null };
}

/**
 * Answers 421 (and no data) to a request whose Host is not on the list; returns true when it
 * did, so the router stops there.
 */
export function refuseForeignHost(allowed: HostAllowList, req: IncomingMessage, res: ServerResponse): boolean {
  if (allowed.allows(req.headers.host)) return false;
  req.resume();
  sendJson(res, 421, {
    error: "this server does not answer to that Host; add it to GRAFT_ALLOWED_HOSTS",
    code: "MISDIRECTED_REQUEST",
  });
  return true;
}

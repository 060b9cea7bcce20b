import type { IncomingMessage } from "node:http";
import { BlockList, isIP } from "node:net";

/** Loopback: the dashboard `npm start` runs beside the gateway. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ["127.0.0.0/8", "::1"];

/**
 * Where a request comes from, for the limits kept per client address. A request from a
 * trusted proxy (the dashboard, a load balancer) is attributed to the address it forwarded:
 * `X-Forwarded-For` is read from the right, past every trusted hop, to the first address no
 * trusted proxy stands for. From any other peer the header is ignored, since the client wrote
 * it itself.
 */
export class ClientAddresses {
  readonly #trusted = new BlockList();

  /** `proxies`: addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`) of trusted proxies. */
  constructor(proxies: readonly string[] = DEFAULT_TRUSTED_PROXIES) {
    for (const entry of proxies) {
      const [address = "", prefix] = entry.trim().split("/");
      const family = isIP(address);
      if (family === 0) throw new Error(`not an IP address or CIDR range: ${entry}`);
      const type = family === 4 ? "ipv4" : "ipv6";
      if (prefix === undefined) this.#trusted.addAddress(address, type);
      else this.#trusted.addSubnet(address, Number(prefix), type);
    }
  }

  of(req: IncomingMessage): string {
    const peer = plain(req.socket.remoteAddress ?? "unknown");
    if (!this.#isTrusted(peer)) return peer;
    const forwarded = req.headers["x-forwarded-for"];
    const hops = (Array.isArray(forwarded) ? forwarded.join(",") : (forwarded ?? "")).split(",");
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plain(hops[i]?.trim() ?? "");
      if (isIP(hop) === 0) break; // a malformed hop ends what can be believed
      if (!this.#isTrusted(hop)) return hop;
    }
    return peer;
  }

  #isTrusted(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.#trusted.check(address, family === 4 ? "ipv4" : "ipv6");
  }
}

/** `::ffff:127.0.0.1` (IPv4 on a dual-stack socket) as `127.0.0.1`. */
function plain(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

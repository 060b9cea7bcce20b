import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP } from "node:net";

/** A model URL that cannot or may not be fetched; the message is safe to show the caller. */
export class UrlFetchError extends Error {
  override name = "UrlFetchError";
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot fetch ${url}: ${reason}`, options);
  }
}

// Addresses a server-side fetch must never reach unless explicitly allowed (SSRF).
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  PRIVATE.addSubnet(net, bits, "ipv6");
}

export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return PRIVATE.check(mapped, "ipv4");
  return PRIVATE.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

export interface FetchLimits {
  allowPrivate: boolean;
  maxBytes: number;
  deadline: number;
}

/**
 * GETs one URL with the address checked after DNS resolution and pinned for the connection
 * (so DNS rebinding cannot swap in a private address), no redirects, a byte cap and a deadline.
 */
export async function fetchLimited(url: URL, limits: FetchLimits): Promise<Uint8Array> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UrlFetchError(url.href, "only http and https URLs are allowed");
  }
  if (url.username || url.password) throw new UrlFetchError(url.href, "credentials in URLs are not allowed");
  const remaining = limits.deadline - Date.now();
  if (remaining <= 0) throw new UrlFetchError(url.href, "time limit exceeded");
  const lookup = (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const bad = addresses.find((a) => !limits.allowPrivate && isPrivateAddress(a.address));
      if (bad)
        return callback(new UrlFetchError(url.href, `${hostname} resolves to a private address (${bad.address})`));
      const first = addresses[0];
      if (!first) return callback(new UrlFetchError(url.href, `${hostname} does not resolve`));
      if (options.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
  const client = url.protocol === "https:" ? https : http;
  return await new Promise<Uint8Array>((resolve, reject) => {
    const request = client.get(url, { lookup: lookup as never, timeout: remaining }, (response) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        response.resume();
        reject(
          new UrlFetchError(
            url.href,
            `HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`,
          ),
        );
        return;
      }
      const declared = Number(response.headers["content-length"] ?? 0);
      if (declared > limits.maxBytes) {
        response.destroy();
        reject(new UrlFetchError(url.href, `larger than ${limits.maxBytes} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.byteLength;
        if (size > limits.maxBytes) {
          response.destroy();
          reject(new UrlFetchError(url.href, `larger than ${limits.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      response.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
      response.on("error", (cause) => reject(new UrlFetchError(url.href, "connection failed", { cause })));
    });
    request.on("timeout", () => request.destroy(new UrlFetchError(url.href, "time limit exceeded")));
    request.on("error", (cause) =>
      reject(cause instanceof UrlFetchError ? cause : new UrlFetchError(url.href, cause.message, { cause })),
    );
  });
}

const PLAIN_FILE = /^[A-Za-z0-9._-]{1,200}$/;

/** model.json plus the weight shards its manifest names, fetched beside it. */
export async function fetchModelFiles(
  href: string,
  options: { allowPrivate: boolean; maxBytes: number; timeoutMs: number; withTokenizer?: boolean },
): Promise<Map<string, Uint8Array>> {
  let url: URL;
  try {
    url = new URL(href);
  } catch (cause) {
    throw new UrlFetchError(href, "not a valid URL", { cause });
  }
  const deadline = Date.now() + options.timeoutMs;
  let budget = options.maxBytes;
  const get = async (target: URL) => {
    const bytes = await fetchLimited(target, { allowPrivate: options.allowPrivate, maxBytes: budget, deadline });
    budget -= bytes.byteLength;
    return bytes;
  };
  const json = await get(url);
  const files = new Map<string, Uint8Array>([["model.json", json]]);
  let manifest: unknown;
  try {
    manifest = (JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: unknown }).weightsManifest;
  } catch {
    return files; // parseModelFiles explains what is wrong with it
  }
  if (!Array.isArray(manifest)) return files;
  for (const group of manifest as { paths?: unknown }[]) {
    for (const path of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof path !== "string" || !PLAIN_FILE.test(path) || path.startsWith(".")) continue;
      if (!files.has(path)) files.set(path, await get(new URL(path, url)));
    }
  }
  // A text model's tokenizer sits beside its model.json, like its weights.
  if (options.withTokenizer) files.set("tokenizer.json", await get(new URL("tokenizer.json", url)));
  return files;
}

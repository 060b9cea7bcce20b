import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type Socket } from "node:net";
import type { LimitCode } from "@graft/contracts";
import ipaddr from "ipaddr.js";

/** A model URL that cannot or may not be fetched; the message is safe to show the caller. */
export class UrlFetchError extends Error {
  override name = "UrlFetchError";
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown; limit?: LimitCode },
  ) {
    super(`cannot fetch ${url}: ${reason}`, options);
    this.limit = options?.limit;
  }
  readonly limit: LimitCode | undefined;
}

/**
 * Only globally routable unicast addresses may be fetched (SSRF). ipaddr.js knows the special
 * ranges (loopback, private, link-local, CGNAT, ULA, multicast, reserved, 6to4, Teredo, NAT64,
 * ...) and `process` unwraps IPv4-mapped IPv6 (`::ffff:127.0.0.1`), so every form of an
 * address is judged by what it reaches. Anything ipaddr.js cannot parse counts as private.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.startsWith("[") && address.endsWith("]") ? address.slice(1, -1) : address;
  if (!ipaddr.isValid(bare)) return true;
  return ipaddr.process(bare).range() !== "unicast";
}

export interface FetchLimits {
  allowPrivate: boolean;
  maxBytes: number;
  /** Epoch ms by which the whole response (headers and body) must have arrived. */
  deadline: number;
}

/**
 * What the caller is told when no response came. One message for refused, unreachable,
 * reset and silent alike, so the fetch cannot be used to scan which ports are open.
 */
const UNREACHABLE = "the server could not be reached";

/**
 * GETs one URL. The address is checked in every form it can take: a literal IP in the URL
 * (which Node connects to without any lookup), every address DNS returns (the connection is
 * pinned to a checked one, so DNS rebinding cannot swap in a private address), and the
 * socket's peer once connected. No redirects, a byte cap, and one deadline for the whole
 * exchange, so a server dripping its body a byte at a time is cut off too.
 */
export async function fetchLimited(url: URL, limits: FetchLimits): Promise<Uint8Array> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UrlFetchError(url.href, "only http and https URLs are allowed");
  }
  if (url.username || url.password) throw new UrlFetchError(url.href, "credentials in URLs are not allowed");
  const remaining = limits.deadline - Date.now();
  if (remaining <= 0) throw new UrlFetchError(url.href, "time limit exceeded");
  // WHATWG URL parsing already turned 2130706433, 0x7f.1 and 127.1 into 127.0.0.1.
  const literal = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!limits.allowPrivate && isIP(literal) && isPrivateAddress(literal)) {
    throw new UrlFetchError(url.href, "the address is not a public one");
  }
  const lookup = (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(new UrlFetchError(url.href, `${hostname} does not resolve`, { cause: error }));
      const bad = addresses.find((a) => !limits.allowPrivate && isPrivateAddress(a.address));
      if (bad) return callback(new UrlFetchError(url.href, `${hostname} resolves to a private address`));
      const first = addresses[0];
      if (!first) return callback(new UrlFetchError(url.href, `${hostname} does not resolve`));
      if (options.all) return callback(null, addresses);
      callback(null, first.address, first.family);
    });
  };
  const client = url.protocol === "https:" ? https : http;
  return await new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    const fail = (error: UrlFetchError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(error);
    };
    const request = client.get(
      url,
      { lookup: lookup as never, timeout: remaining, agent: false, headers: { accept: "application/json, */*" } },
      (response) => {
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          response.resume();
          return fail(
            new UrlFetchError(
              url.href,
              `HTTP ${status}${status >= 300 && status < 400 ? " (redirects are not followed)" : ""}`,
            ),
          );
        }
        const declared = Number(response.headers["content-length"] ?? 0);
        if (declared > limits.maxBytes)
          return fail(new UrlFetchError(url.href, `larger than ${limits.maxBytes} bytes`));
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.byteLength;
          if (size > limits.maxBytes) return fail(new UrlFetchError(url.href, `larger than ${limits.maxBytes} bytes`));
          chunks.push(chunk);
        });
        response.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(new Uint8Array(Buffer.concat(chunks)));
        });
        response.on("error", () => fail(new UrlFetchError(url.href, "the connection broke")));
        response.on("aborted", () => fail(new UrlFetchError(url.href, "the connection broke")));
      },
    );
    // The socket timeout only notices silence; this notices a body that never ends.
    const timer = setTimeout(() => fail(new UrlFetchError(url.href, "time limit exceeded")), remaining);
    request.on("socket", (socket: Socket) => {
      // Belt and braces: whatever resolved the name, the peer itself must be public.
      socket.once("connect", () => {
        const peer = socket.remoteAddress;
        if (!limits.allowPrivate && (!peer || isPrivateAddress(peer)))
          fail(new UrlFetchError(url.href, "the address is not a public one"));
      });
    });
    request.on("timeout", () => fail(new UrlFetchError(url.href, "time limit exceeded")));
    request.on("error", (cause) =>
      fail(cause instanceof UrlFetchError ? cause : new UrlFetchError(url.href, UNREACHABLE, { cause })),
    );
  });
}

const PLAIN_FILE = /^[A-Za-z0-9._-]{1,200}$/;

export interface ModelFetchOptions {
  allowPrivate: boolean;
  /** Bytes of model.json, its shards and tokenizer together. */
  maxBytes: number;
  timeoutMs: number;
  withTokenizer?: boolean;
  /** model.json alone, checked before it is parsed. @default 32 MiB */
  maxModelJsonBytes?: number;
  /** Weight shards a manifest may name; more is refused before any is fetched. @default 256 (as parseModelFiles) */
  maxShards?: number;
}

/** model.json plus the weight shards its manifest names, fetched beside it. */
export async function fetchModelFiles(href: string, options: ModelFetchOptions): Promise<Map<string, Uint8Array>> {
  let url: URL;
  try {
    url = new URL(href);
  } catch (cause) {
    throw new UrlFetchError(href, "not a valid URL", { cause });
  }
  const deadline = Date.now() + options.timeoutMs;
  let budget = options.maxBytes;
  const get = async (target: URL, cap = budget) => {
    const bytes = await fetchLimited(target, {
      allowPrivate: options.allowPrivate,
      maxBytes: Math.min(cap, budget),
      deadline,
    });
    budget -= bytes.byteLength;
    return bytes;
  };
  const json = await get(url, options.maxModelJsonBytes ?? 32 * 2 ** 20);
  const files = new Map<string, Uint8Array>([["model.json", json]]);
  let manifest: unknown;
  try {
    manifest = (JSON.parse(new TextDecoder().decode(json)) as { weightsManifest?: unknown }).weightsManifest;
  } catch {
    return files; // parseModelFiles explains what is wrong with it
  }
  if (!Array.isArray(manifest)) return files;
  const paths = new Set<string>();
  for (const group of manifest as { paths?: unknown }[]) {
    for (const path of Array.isArray(group?.paths) ? group.paths : []) {
      if (typeof path === "string" && PLAIN_FILE.test(path) && !path.startsWith(".")) paths.add(path);
    }
  }
  const maxShards = options.maxShards ?? 256;
  if (paths.size > maxShards)
    throw new UrlFetchError(href, `the manifest names ${paths.size} weight files; at most ${maxShards} are fetched`, {
      limit: "MODEL_SHARDS",
    });
  for (const path of paths) if (!files.has(path)) files.set(path, await get(new URL(path, url)));
  // A text model's tokenizer sits beside its model.json, like its weights.
  if (options.withTokenizer) files.set("tokenizer.json", await get(new URL("tokenizer.json", url)));
  return files;
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { projectScope } from "@graft/db";
import { authenticate, type Viewer } from "../auth/authenticate.ts";
import type { DomainDeps } from "../domain/deps.ts";
import { TooManyAttemptsError, UnauthenticatedError } from "../domain/errors.ts";
import { Uploads } from "../domain/uploads.ts";
import type { RequestLimiter } from "../graphql/request-limiter.ts";
import { BodyTooLargeError, discardRest, sendJson } from "./apollo-node.ts";
import type { WorkLeases } from "./work-leases.ts";

export interface UploadOptions {
  maxBytes: number;
  /** Uploads one API key may stream at once, over every gateway replica. */
  maxConcurrent: number;
  requestLimiter: RequestLimiter;
  /** The shared upload slots (`work_leases`). */
  slots: WorkLeases;
}

/**
 * POST /uploads: the raw body (a zip, CSV or JSONL) streams into the artifact store under an
 * id-derived key, never held whole in memory; past `maxBytes` the stream fails, nothing is
 * stored and the answer is 413. One API key streams at most `maxConcurrent` at once (429).
 */
export async function handleUpload(
  deps: DomainDeps,
  options: UploadOptions,
  req: IncomingMessage,
  res: ServerResponse,
  /** The client's address (auth/client-address.ts), for the limit on failed credentials. */
  clientAddress: string,
): Promise<void> {
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    return sendJson(res, 405, { error: "use POST" });
  }
  let viewer: Viewer;
  try {
    viewer = await authenticate(deps.db, req.headers.authorization, {
      policy: deps.sessionPolicy,
      keys: deps.keyCache,
      failures: { limiter: deps.credentialFailures, clientAddress },
    });
  } catch (error) {
    if (error instanceof UnauthenticatedError) {
      discardRest(req, res);
      res.setHeader("www-authenticate", "Bearer");
      return sendJson(res, 401, { error: error.message, code: "UNAUTHENTICATED" });
    }
    if (error instanceof TooManyAttemptsError) {
      return refuse(req, res, 429, error.message, String(error.retryAfterSeconds));
    }
    throw error;
  }
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > options.maxBytes) return tooLarge(req, res, options.maxBytes);
  const limited = await options.requestLimiter.take(viewer);
  if (limited) {
    const http = limited.extensions.http as { status?: number } | undefined;
    return refuse(req, res, http?.status ?? 429, limited.message, String(limited.extensions.retryAfter));
  }
  let slot: string | null;
  try {
    slot = await options.slots.acquire(viewer.apiKeyId, options.maxConcurrent);
  } catch {
    // The shared slots are in the database: without it nothing could be stored anyway.
    return refuse(req, res, 503, "upload slots cannot be checked right now; try again in 5 s", "5");
  }
  if (!slot) return refuse(req, res, 429, `at most ${options.maxConcurrent} uploads at once per API key`, "1");
  // The slot is given back before answering, so a client's next upload after this answer
  // never finds it still taken.
  let answer: () => void;
  try {
    answer = await receive(deps, options, viewer, req, res);
  } finally {
    await options.slots.release(slot).catch(() => {}); // else it expires with its lease
  }
  answer();
}

/** Streams the body into the store; returns how to answer. */
async function receive(
  deps: DomainDeps,
  options: UploadOptions,
  viewer: Viewer,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<() => void> {
  try {
    const body = (req as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const first = await body.next();
    // An empty body is refused before anything is stored.
    if (first.done || first.value.byteLength === 0)
      return () => sendJson(res, 400, { error: "empty body", code: "BAD_USER_INPUT" });
    const created = await new Uploads(deps, projectScope(viewer.projectId)).create(
      (async function* () {
        let size = 0;
        for (let next: IteratorResult<Buffer> = first; !next.done; next = await body.next()) {
          const chunk = next.value;
          size += chunk.byteLength;
          if (size > options.maxBytes) throw new BodyTooLargeError(options.maxBytes);
          yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
      })(),
    );
    return () => sendJson(res, 201, created);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return () => tooLarge(req, res, options.maxBytes);
    throw error;
  }
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string, retryAfter: string) {
  discardRest(req, res);
  res.setHeader("retry-after", retryAfter);
  sendJson(res, status, { error, code: "RATE_LIMITED" });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number) {
  discardRest(req, res);
  sendJson(res, 413, { error: `request body is larger than ${limit} bytes`, code: "PAYLOAD_TOO_LARGE", limit });
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { projectScope } from "@graft/db";
import { authenticate } from "../auth/authenticate.ts";
import type { DomainDeps } from "../domain/deps.ts";
import { UnauthenticatedError } from "../domain/errors.ts";
import { Uploads } from "../domain/uploads.ts";
import { BodyTooLargeError, discardRest, readBody, sendJson } from "./apollo-node.ts";

/**
 * POST /uploads: the raw body (a zip) goes to the artifact store under an id-derived key.
 * The body is read up to the limit and refused past it, so nothing oversized is stored.
 */
export async function handleUpload(
  deps: DomainDeps,
  maxBytes: number,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    return sendJson(res, 405, { error: "use POST" });
  }
  let viewer: Awaited<ReturnType<typeof authenticate>>;
  try {
    viewer = await authenticate(deps.db, req.headers.authorization, deps.sessionPolicy);
  } catch (error) {
    if (error instanceof UnauthenticatedError) {
      req.resume();
      res.setHeader("www-authenticate", "Bearer");
      return sendJson(res, 401, { error: error.message, code: "UNAUTHENTICATED" });
    }
    throw error;
  }
  let bytes: Buffer;
  try {
    bytes = await readBody(req, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      discardRest(req, res);
      return sendJson(res, 413, { error: error.message, code: "PAYLOAD_TOO_LARGE", limit: maxBytes });
    }
    throw error;
  }
  if (bytes.byteLength === 0) return sendJson(res, 400, { error: "empty body", code: "BAD_USER_INPUT" });
  const created = await new Uploads(deps, projectScope(viewer.projectId)).create(
    new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  );
  sendJson(res, 201, created);
}

import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApolloServer, type BaseContext, HeaderMap } from "@apollo/server";
import { jsonDepth, MAX_JSON_DEPTH } from "@graft/contracts";

/** Largest GraphQL request body; real operations are a few kB. */
const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
  constructor(readonly limit: number) {
    super(`request body is larger than ${limit} bytes`);
  }
}

/**
 * Reads a body up to `limit` bytes; rejects with BodyTooLargeError past it without buffering
 * more. The request is left readable (not destroyed), so the caller can still answer 413.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) return Promise.reject(new BodyTooLargeError(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > limit) {
        cleanup();
        chunks.length = 0;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  });
}

/** After refusing a body: discard what the client still sends for a while, then cut it off. */
export function discardRest(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader("connection", "close");
  req.resume();
  setTimeout(() => req.destroy(), 5_000).unref();
}

/**
 * Apollo Server on plain node:http (no framework): the integration contract is
 * executeHTTPGraphQLRequest with a HeaderMap and a parsed body.
 */
export async function handleGraphQL<C extends BaseContext>(
  apollo: ApolloServer<C>,
  req: IncomingMessage,
  res: ServerResponse,
  context: () => Promise<C>,
): Promise<void> {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
  }
  let body: unknown;
  if (req.method === "POST") {
    let raw: Buffer;
    try {
      raw = await readBody(req, MAX_BODY_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        discardRest(req, res);
        return sendJson(res, 413, { errors: [{ message: error.message }] });
      }
      throw error;
    }
    const type = headers.get("content-type") ?? "";
    if (type.startsWith("application/json") || type.startsWith("application/graphql-response+json")) {
      // Checked on the text: a value nested a million deep parses, then overflows the stack later.
      if (jsonDepth(raw.toString("utf8")) > MAX_JSON_DEPTH + 8)
        return sendJson(res, 400, {
          errors: [
            {
              message: `request body is nested deeper than ${MAX_JSON_DEPTH} levels`,
              extensions: { code: "BAD_USER_INPUT", limit: "JSON_DEPTH" },
            },
          ],
        });
      try {
        body = raw.byteLength === 0 ? undefined : JSON.parse(raw.toString("utf8"));
      } catch {
        return sendJson(res, 400, {
          errors: [{ message: "request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }],
        });
      }
    } else {
      body = raw.toString("utf8");
    }
  }
  const url = new URL(req.url ?? "/", "http://localhost");
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? "GET").toUpperCase(), headers, search: url.search, body },
    context,
  });
  // Responses are per caller: never stored by a cache (Apollo's cache-control plugin, which
  // used to say so, is off; see start-gateway.ts).
  res.setHeader("cache-control", "no-store");
  for (const [key, value] of response.headers) res.setHeader(key, value);
  res.statusCode = response.status ?? 200;
  if (response.body.kind === "complete") {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

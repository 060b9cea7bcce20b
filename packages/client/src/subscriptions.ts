import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { GraftApiError, GraftConnectionError, type GraftError, type GraphQLErrorItem } from "./errors.ts";
import type { GraphQLDocument } from "./fetcher.ts";

export interface SubscriptionOptions {
  /** The GraphQL endpoint (http(s)://...); the graphql-ws URL is the same with ws(s)://. */
  url: string;
  /** Sent in the connection params, and in Node on the websocket handshake too. */
  apiKey?: string | null;
  /** Reconnect this many times after a dropped socket. @default 5 */
  retryAttempts?: number;
  /** Whether a close or error is worth a retry; graphql-ws retries only dropped sockets by default. */
  shouldRetry?: (errorOrCloseEvent: unknown) => boolean;
  /** @default `ws` in Node, the global WebSocket in a browser */
  webSocketImpl?: unknown;
  /** Extra headers on the websocket handshake, in Node (browsers cannot set them). */
  headers?: Record<string, string>;
}

export interface SubscriptionHandlers<TResult> {
  next(data: TResult): void;
  error(error: GraftError): void;
  complete(): void;
}

/** A graphql-ws client for the gateway; `dispose()` it when done. */
export function createSubscriptionClient(options: SubscriptionOptions): Client {
  const apiKey = options.apiKey ?? null;
  return createClient({
    url: websocketUrl(options.url),
    webSocketImpl: options.webSocketImpl ?? defaultWebSocket(apiKey, options.headers ?? {}),
    connectionParams: apiKey === null ? {} : { authorization: `Bearer ${apiKey}` },
    lazy: true,
    retryAttempts: options.retryAttempts ?? 5,
    ...(options.shouldRetry ? { shouldRetry: options.shouldRetry } : {}),
  });
}

/**
 * Subscribes with callbacks (one socket per subscription); returns the function that ends it.
 * Errors in a result and a socket that gave up both arrive in `error` as a GraftError.
 */
export function subscribe<TResult, TVariables>(
  options: SubscriptionOptions,
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  handlers: SubscriptionHandlers<TResult>,
): () => void {
  const client = createSubscriptionClient(options);
  const unsubscribe = client.subscribe<TResult>(
    { query: document.toString(), variables: (variables ?? {}) as Record<string, unknown> },
    {
      next: (result) => {
        if (result.errors?.length) handlers.error(GraftApiError.fromErrors(result.errors as GraphQLErrorItem[]));
        else if (result.data) handlers.next(result.data);
      },
      error: (cause) => handlers.error(connectionError(options.url, cause)),
      complete: () => handlers.complete(),
    },
  );
  return () => {
    unsubscribe();
    void client.dispose();
  };
}

/**
 * Subscribes as an async iterator: each result's data in order, until the server completes,
 * the caller stops iterating (`break`), or `signal` aborts. Errors throw a GraftError.
 */
export async function* iterate<TResult, TVariables>(
  options: SubscriptionOptions,
  document: GraphQLDocument<TResult, TVariables>,
  variables: TVariables,
  signal?: AbortSignal,
): AsyncGenerator<TResult> {
  const client = createSubscriptionClient(options);
  const iterator = client.iterate<TResult>({
    query: document.toString(),
    variables: (variables ?? {}) as Record<string, unknown>,
  });
  const onAbort = () => void iterator.return?.();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    for await (const result of iterator) {
      if (result.errors?.length) throw GraftApiError.fromErrors(result.errors as GraphQLErrorItem[]);
      if (result.data) yield result.data;
    }
  } catch (cause) {
    if (cause instanceof GraftApiError) throw cause;
    throw connectionError(options.url, cause);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    await iterator.return?.();
    await client.dispose();
  }
}

function connectionError(url: string, cause: unknown): GraftConnectionError {
  const detail = cause instanceof Error ? cause.message : closeReason(cause);
  return new GraftConnectionError(url, `subscription failed: ${detail}`, { cause });
}

function closeReason(value: unknown): string {
  if (value && typeof value === "object" && "code" in value) {
    const { code, reason } = value as { code: number; reason?: string };
    if (code === 4401 || code === 4403) return `unauthorized (${code}${reason ? ` ${reason}` : ""})`;
    return `socket closed (${code}${reason ? ` ${reason}` : ""})`;
  }
  return String(value);
}

function websocketUrl(url: string): string {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const absolute = base ? new URL(url, base) : new URL(url);
  absolute.protocol = absolute.protocol === "https:" ? "wss:" : "ws:";
  return absolute.toString();
}

// Browsers cannot set headers on a websocket; in Node the gateway also checks the key on the
// handshake, so `ws` carries it there.
function defaultWebSocket(apiKey: string | null, extraHeaders: Record<string, string>): unknown {
  const node = typeof process !== "undefined" && typeof process.versions?.node === "string";
  if (!node) return globalThis.WebSocket;
  const headers = apiKey === null ? extraHeaders : { ...extraHeaders, authorization: `Bearer ${apiKey}` };
  if (Object.keys(headers).length === 0) return WebSocket;
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  };
}

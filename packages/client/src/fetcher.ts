import type { DocumentTypeDecoration } from "@graphql-typed-document-node/core";
import { GraftApiError, GraftConnectionError, type GraphQLErrorItem } from "./errors.ts";

/** A generated document (carries its result and variables types) or a query written inline. */
export type GraphQLDocument<TResult, TVariables> = DocumentTypeDecoration<TResult, TVariables> | string;

export interface FetcherOptions {
  /**
   * The GraphQL endpoint: `http://127.0.0.1:4000/graphql`, or in a browser a path of the page's
   * own server such as `/api/graphql`.
   */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. Leave it out where something else adds it (a proxy). */
  apiKey?: string | null;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** Give up on a request after this long; `null` waits as long as the server takes. @default 30000 */
  timeoutMs?: number | null;
}

/** A GraphQL answer as it came, HTTP status included, for callers that inspect refusals. */
export interface GraphQLResponse<TResult> {
  status: number;
  data: TResult | null | undefined;
  errors: GraphQLErrorItem[] | undefined;
}

/** What `fetch` accepts as a body: a string, bytes, a Blob, a stream. */
export type RequestBody = NonNullable<RequestInit["body"]>;

export interface SendOptions {
  /** Where to send instead of the GraphQL endpoint (e.g. `fetcher.uploadsUrl`). */
  url?: string;
  /** @default "application/json" */
  contentType?: string;
  /** Overrides the fetcher's timeout for this request. */
  timeoutMs?: number | null;
}

/**
 * The one way Graft's programs talk HTTP to the gateway: the CLI, the dashboard (its browser
 * side through its own /api/graphql proxy without a key, its server side with the session's
 * key), the trainer's registration and the tests.
 */
export class GraftFetcher {
  readonly url: string;
  readonly #apiKey: string | null;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number | null;

  constructor(options: FetcherOptions) {
    this.url = options.url;
    this.#apiKey = options.apiKey ?? null;
    this.#headers = options.headers ?? {};
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#timeoutMs = options.timeoutMs === undefined ? 30_000 : options.timeoutMs;
  }

  /** The gateway's POST /uploads, beside its GraphQL endpoint. */
  get uploadsUrl(): string {
    return new URL("/uploads", absolute(this.url)).toString();
  }

  /** POSTs a body as it is; only a failure to get any answer throws (GraftConnectionError). */
  async send(body: RequestBody, options: SendOptions = {}): Promise<Response> {
    const url = options.url ?? this.url;
    const headers: Record<string, string> = {
      accept: "application/json",
      "content-type": options.contentType ?? "application/json",
      ...this.#headers,
    };
    if (this.#apiKey !== null) headers.authorization = `Bearer ${this.#apiKey}`;
    const timeoutMs = options.timeoutMs === undefined ? this.#timeoutMs : options.timeoutMs;
    const init: RequestInit & { duplex?: "half" } = {
      method: "POST",
      headers,
      body,
      ...(timeoutMs === null ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
      // A streamed body (a relayed upload) must say so to fetch.
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
    };
    try {
      return await this.#fetch(url, init);
    } catch (cause) {
      const reason = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
      throw new GraftConnectionError(url, `cannot reach the gateway at ${url}: ${reason}`, { cause });
    }
  }

  /**
   * Runs one operation and returns the answer with its status and errors, without judging it.
   * Throws only when there was no GraphQL answer at all (GraftConnectionError), or a 401 that
   * was not GraphQL (a proxy in front of the gateway refused the key).
   */
  async execute<TResult, TVariables>(
    document: GraphQLDocument<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<GraphQLResponse<TResult>> {
    const response = await this.send(JSON.stringify({ query: document.toString(), variables: variables ?? {} }));
    let text: string;
    try {
      text = await response.text();
    } catch (cause) {
      throw new GraftConnectionError(this.url, `the answer from ${this.url} broke off: ${String(cause)}`, { cause });
    }
    let payload: { data?: TResult | null; errors?: GraphQLErrorItem[] };
    try {
      payload = JSON.parse(text);
    } catch (cause) {
      if (response.status === 401) throw unauthenticated(response.status);
      throw new GraftConnectionError(
        this.url,
        `HTTP ${response.status} from ${this.url} is not a GraphQL response: ${text.slice(0, 200)}`,
        { cause, status: response.status },
      );
    }
    return { status: response.status, data: payload.data, errors: payload.errors };
  }

  /** Runs one operation and returns its data; any error in the answer throws GraftApiError. */
  async request<TResult, TVariables>(
    document: GraphQLDocument<TResult, TVariables>,
    variables?: TVariables,
  ): Promise<TResult> {
    const { status, data, errors } = await this.execute(document, variables);
    if (errors?.length) throw GraftApiError.fromErrors(errors, status);
    if (status === 401) throw unauthenticated(status);
    if (!data) {
      throw new GraftConnectionError(this.url, `HTTP ${status} from ${this.url}: a response without data`, { status });
    }
    return data;
  }
}

function unauthenticated(status: number): GraftApiError {
  return new GraftApiError("UNAUTHENTICATED", "the API key was refused", undefined, { status });
}

// A path such as /api/graphql is relative to the page that runs this code.
function absolute(url: string): string | URL {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return base ? new URL(url, base) : url;
}

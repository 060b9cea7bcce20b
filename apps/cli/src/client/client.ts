import { readFile } from "node:fs/promises";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { operationText } from "./documents.ts";
import { apiErrorFrom, GraftApiError, GraftConnectionError } from "./errors.ts";
import type * as T from "./operations.ts";

export interface GraftClientOptions {
  /** GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql. */
  url: string;
  apiKey: string;
  /** Per-request timeout. @default 30000 */
  timeoutMs?: number;
}

export interface UploadResult {
  uploadId: string;
  sizeBytes: number;
  sha256: string;
}

const TERMINAL: ReadonlySet<T.RunStatus> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
export const isTerminal = (status: T.RunStatus) => TERMINAL.has(status);

/** Typed client for the Graft gateway: the CLI uses it, and so can any other program. */
export class GraftClient {
  readonly url: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: GraftClientOptions) {
    this.url = options.url;
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Base URL of the gateway (the GraphQL URL without its path). */
  get baseUrl(): string {
    return new URL(this.url).origin;
  }

  async request<K extends T.OperationName>(name: K, variables?: T.VariablesOf<K>): Promise<T.ResultOf<K>> {
    const body = JSON.stringify({ query: operationText(name), operationName: name, variables: variables ?? {} });
    const response = await this.#fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
    });
    const text = await response.text();
    let payload: { data?: unknown; errors?: Parameters<typeof apiErrorFrom>[0][] };
    try {
      payload = JSON.parse(text);
    } catch (cause) {
      if (response.status === 401) throw new GraftApiError("UNAUTHENTICATED", "the API key was refused");
      throw new GraftConnectionError(this.url, `HTTP ${response.status}: not a GraphQL response`, { cause });
    }
    const first = payload.errors?.[0];
    if (first) throw apiErrorFrom(first);
    if (response.status === 401) throw new GraftApiError("UNAUTHENTICATED", "the API key was refused");
    if (!payload.data) throw new GraftConnectionError(this.url, `HTTP ${response.status}: response without data`);
    return payload.data as T.ResultOf<K>;
  }

  async viewer() {
    return (await this.request("Viewer")).viewer;
  }

  /** Every model visible to the project (follows pagination). */
  async models(filter?: T.ModelFilter): Promise<T.ModelSummary[]> {
    const out: T.ModelSummary[] = [];
    let after: string | null | undefined;
    do {
      const { models } = await this.request("Models", { filter, first: 100, after });
      out.push(...models.edges.map((e) => e.node));
      after = models.pageInfo.hasNextPage ? models.pageInfo.endCursor : null;
    } while (after);
    return out;
  }

  async model(id: string) {
    return (await this.request("Model", { id })).model;
  }

  async modelTree(id: string, maxDepth?: number) {
    return (await this.request("ModelTree", { id, maxDepth })).model;
  }

  async registerModel(input: T.RegisterModelInput) {
    return (await this.request("RegisterModel", { input })).registerModel;
  }

  async datasets() {
    return (await this.request("Datasets")).datasets;
  }

  /** Ids and names only: enough to resolve a name given on a command line. */
  async datasetRefs(): Promise<(T.Ref & { task: string })[]> {
    return (await this.request("DatasetRefs")).datasets;
  }

  async experimentRefs(): Promise<T.Ref[]> {
    return (await this.request("ExperimentRefs")).experiments;
  }

  async createDataset(name: string, uploadId: string) {
    return (await this.request("CreateDataset", { input: { name, uploadId } })).createDataset;
  }

  async experiments() {
    return (await this.request("Experiments")).experiments;
  }

  async createExperiment(input: T.CreateExperimentInput) {
    return (await this.request("CreateExperiment", { input })).createExperiment;
  }

  async runs(options: { filter?: T.RunFilter; first?: number; orderBy?: T.RunOrder } = {}) {
    const { runs } = await this.request("Runs", { ...options, first: options.first ?? 50 });
    return { runs: runs.edges.map((e) => e.node), totalCount: runs.totalCount };
  }

  async run(id: string) {
    return (await this.request("Run", { id })).run;
  }

  async startFineTune(input: T.StartFineTuneInput) {
    return (await this.request("StartFineTune", { input })).startFineTune;
  }

  async cancelRun(id: string) {
    return (await this.request("CancelRun", { id })).cancelRun;
  }

  async trainers(status?: T.TrainerStatus) {
    return (await this.request("Trainers", { status })).trainers;
  }

  async drainTrainer(id: string) {
    return (await this.request("DrainTrainer", { id })).drainTrainer;
  }

  /** POSTs a file's bytes to /uploads; the returned id feeds createDataset / registerModel. */
  async uploadFile(path: string, contentType = "application/zip"): Promise<UploadResult> {
    const bytes = await readFile(path);
    const response = await this.#fetch(`${this.baseUrl}/uploads`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: bytes,
    });
    const text = await response.text();
    if (response.status === 401) throw new GraftApiError("UNAUTHENTICATED", "the API key was refused");
    let payload: Record<string, unknown> = {};
    try {
      payload = JSON.parse(text);
    } catch {
      // a non-JSON error body is reported below with its status
    }
    if (response.status !== 201 && response.status !== 200) {
      const error = payload.error as { code?: string; message?: string } | string | undefined;
      const code =
        typeof error === "object" && error?.code
          ? error.code
          : response.status === 413
            ? "PAYLOAD_TOO_LARGE"
            : "BAD_USER_INPUT";
      const message =
        typeof error === "object" && error?.message
          ? error.message
          : typeof error === "string"
            ? error
            : text || `HTTP ${response.status}`;
      throw new GraftApiError(code, `upload refused: ${message}`, "file");
    }
    return payload as unknown as UploadResult;
  }

  /**
   * Streams a run's events over graphql-ws until the run reaches a terminal status or
   * `signal` aborts. Events arrive in order; the stream ends after the terminal STATUS event.
   */
  async *runEvents(runId: string, signal?: AbortSignal): AsyncGenerator<T.RunEvent> {
    const ws = createWsClient({
      url: this.url.replace(/^http/, "ws"),
      webSocketImpl: authedWebSocket(this.#apiKey),
      connectionParams: { authorization: `Bearer ${this.#apiKey}` },
      lazy: true,
      retryAttempts: 5,
    });
    const iterator = ws.iterate<{ runEvents: T.RunEvent }>({
      query: operationText("RunEvents"),
      operationName: "RunEvents",
      variables: { runId },
    });
    const onAbort = () => void iterator.return?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for await (const result of iterator) {
        const first = result.errors?.[0];
        if (first) throw apiErrorFrom(first as Parameters<typeof apiErrorFrom>[0]);
        const event = result.data?.runEvents;
        if (!event) continue;
        yield event;
        if (event.kind === "STATUS" && isTerminal(event.status)) break;
      }
    } catch (cause) {
      if (cause instanceof GraftApiError) throw cause;
      const detail = cause instanceof Error ? cause.message : closeReason(cause);
      throw new GraftConnectionError(this.url, `subscription failed: ${detail}`, { cause });
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await iterator.return?.();
      await ws.dispose();
    }
  }

  async #fetch(url: string, init: RequestInit): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.#apiKey}`);
    try {
      return await fetch(url, { ...init, headers, signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (cause) {
      const reason = cause instanceof Error && cause.cause instanceof Error ? cause.cause.message : String(cause);
      throw new GraftConnectionError(url, `cannot reach the gateway at ${url}: ${reason}`, { cause });
    }
  }
}

// The gateway authenticates the websocket upgrade itself, so the key rides on the handshake too.
function authedWebSocket(apiKey: string) {
  return class extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: { authorization: `Bearer ${apiKey}` } });
    }
  };
}

function closeReason(value: unknown): string {
  if (value && typeof value === "object" && "code" in value) {
    const { code, reason } = value as { code: number; reason?: string };
    if (code === 4401 || code === 4403) return `unauthorized (${code}${reason ? ` ${reason}` : ""})`;
    return `socket closed (${code}${reason ? ` ${reason}` : ""})`;
  }
  return String(value);
}

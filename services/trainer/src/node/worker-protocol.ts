import { InvalidDatasetError, InvalidModelError } from "@graft/artifacts";
import type { Hyperparameters, Preprocessing } from "@graft/contracts";
import { CorruptModelError, IncompatibleDatasetError, InvalidFineTuneError, PermanentJobError } from "../job-errors.ts";

/**
 * The message protocol between a trainer's main thread and its training worker threads
 * (training-worker.ts): calls answered by replies, in both directions (the main thread calls
 * the engine; the worker calls back for artifact bytes and to hand over each epoch), plus
 * one-way notices (abort, dispose, progress). Only structured-clonable data crosses.
 */

export type Message =
  | { kind: "call"; id: number; method: string; args: unknown[] }
  | { kind: "reply"; id: number; ok: true; value: unknown }
  | { kind: "reply"; id: number; ok: false; error: SerializedError }
  | { kind: "notice"; name: string; args: unknown[] };

/** The arguments of the worker's `fineTune`: models and datasets go by the ids the worker gave them. */
/** The trainer's feature cache on disk (the engine's FeatureCache): where, and its bound. */
export interface FeatureCacheOptions {
  dir: string;
  maxBytes: number;
}

/** What a training thread is started with. */
export interface TrainingWorkerData {
  /** null: every frozen fine-tune extracts its features itself. */
  featureCache: FeatureCacheOptions | null;
}

export interface FineTuneCall {
  baseId: number;
  datasetId: number;
  preprocessing: Preprocessing;
  featureLayer: string | null;
  tokenizer?: Uint8Array;
  hyperparameters: Hyperparameters;
  resume?: { completedEpochs: number; checkpoint: Uint8Array };
  initialWeights?: Uint8Array;
}

/** What is left of an Error after the thread boundary, enough to rebuild its class. */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  retryable?: unknown;
  reason?: unknown;
  entry?: unknown;
  cause?: SerializedError;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { code, retryable, reason, entry } = error as Error & Record<string, unknown>;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(code !== undefined ? { code } : {}),
    ...(retryable !== undefined ? { retryable } : {}),
    ...(typeof reason === "string" ? { reason } : {}),
    ...(typeof entry === "string" ? { entry } : {}),
    ...(error.cause !== undefined ? { cause: serializeError(error.cause) } : {}),
  };
}

/**
 * An error from the training worker whose class is not one the node classifies by class:
 * it keeps the original name, `code` and `retryable`, which classifyFailure reads.
 */
export class TrainingWorkerError extends Error {
  readonly code?: unknown;
  readonly retryable?: unknown;
  constructor(serialized: SerializedError, options?: { cause?: unknown }) {
    super(serialized.message, options);
    this.name = serialized.name;
    if (serialized.code !== undefined) this.code = serialized.code;
    if (serialized.retryable !== undefined) this.retryable = serialized.retryable;
  }
}

/** Rebuilds the trainer's typed errors by name, so the failure table classifies them as before. */
export function deserializeError(serialized: SerializedError): Error {
  const cause = serialized.cause ? { cause: deserializeError(serialized.cause) } : undefined;
  const reason = typeof serialized.reason === "string" ? serialized.reason : undefined;
  const entry = typeof serialized.entry === "string" ? serialized.entry : undefined;
  let error: Error;
  if (serialized.name === "InvalidModelError" && reason !== undefined) error = new InvalidModelError(reason, cause);
  else if (serialized.name === "InvalidDatasetError" && reason !== undefined)
    error = new InvalidDatasetError(reason, entry, cause);
  else if (serialized.name === "CorruptModelError" && reason !== undefined)
    error = new CorruptModelError(reason, cause);
  else if (serialized.name === "IncompatibleDatasetError" && reason !== undefined)
    error = new IncompatibleDatasetError(reason, cause);
  else if (serialized.name === "InvalidFineTuneError" && reason !== undefined)
    error = new InvalidFineTuneError(reason, cause);
  else if (serialized.name === "PermanentJobError" && typeof serialized.code === "string")
    error = new PermanentJobError(serialized.code as PermanentJobError["code"], serialized.message, cause);
  // V8's "Array buffer allocation failed" is told apart as a RangeError (an OUT_OF_MEMORY failure).
  else if (serialized.name === "RangeError") error = new RangeError(serialized.message, cause);
  else error = new TrainingWorkerError(serialized, cause);
  if (serialized.stack) error.stack = serialized.stack;
  return error;
}

/** The two ends of a worker channel: `parentPort` in the worker, the `Worker` on the main thread. */
export interface Port {
  postMessage(message: Message, transfer?: ArrayBuffer[]): void;
  on(event: "message", listener: (message: Message) => void): unknown;
}

type Handler = (...args: never[]) => unknown;

/**
 * One end of the channel. `call` sends a call and settles with its reply; `handle` answers
 * the other end's calls; `notify`/`onNotice` are one-way. `fail` rejects every pending call
 * (the worker died).
 */
export class Peer {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly noticeHandlers = new Map<string, Handler>();
  private failure: Error | undefined;

  constructor(private readonly port: Port) {
    port.on("message", (message) => this.receive(message));
  }

  call<T>(method: string, args: unknown[], transfer?: ArrayBuffer[]): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.port.postMessage({ kind: "call", id, method, args }, transfer);
    });
  }

  handle(method: string, handler: Handler): void {
    this.handlers.set(method, handler);
  }

  notify(name: string, args: unknown[]): void {
    if (!this.failure) this.port.postMessage({ kind: "notice", name, args });
  }

  onNotice(name: string, handler: Handler): void {
    this.noticeHandlers.set(name, handler);
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
  }

  private receive(message: Message): void {
    if (message.kind === "reply") {
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiting) return;
      if (message.ok) waiting.resolve(message.value);
      else waiting.reject(deserializeError(message.error));
    } else if (message.kind === "notice") {
      (this.noticeHandlers.get(message.name) as ((...args: unknown[]) => void) | undefined)?.(...message.args);
    } else {
      void this.answer(message.id, message.method, message.args);
    }
  }

  private async answer(id: number, method: string, args: unknown[]): Promise<void> {
    const handler = this.handlers.get(method) as ((...args: unknown[]) => unknown) | undefined;
    try {
      if (!handler) throw new Error(`no handler for ${method}`);
      const value = await handler(...args);
      if (!this.failure) this.port.postMessage({ kind: "reply", id, ok: true, value });
    } catch (error) {
      if (!this.failure) this.port.postMessage({ kind: "reply", id, ok: false, error: serializeError(error) });
    }
  }
}

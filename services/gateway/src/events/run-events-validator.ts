import type { Worker } from "node:worker_threads";
import type { RunEvent } from "@graft/contracts";
import { tsxWorker } from "../tsx-worker.ts";
import { checkRunEventsMessage, type MessageVerdict } from "./run-events-check.ts";

/** What the validator sends its worker: messages to judge, in order. */
export interface ValidationRequest {
  id: number;
  messages: { subject: string; data: Uint8Array }[];
}
/** A verdict as it crosses threads: accepted events as their JSON text (see run-events-worker.ts). */
export type WorkerVerdict = { eventsJson: string } | { reason: string; event?: RunEvent };
/**
 * A verdict from the worker or this thread. Accepted events stay JSON text until `eventsOf`
 * (when their batch is written), so verdicts judged ahead cost their text's memory, not objects'.
 */
export type Judged = MessageVerdict | WorkerVerdict;

/** The events of an accepted message. */
export const eventsOf = (verdict: { events: RunEvent[] } | { eventsJson: string }): RunEvent[] =>
  "events" in verdict ? verdict.events : (JSON.parse(verdict.eventsJson) as RunEvent[]);
export interface ValidationReply {
  id: number;
  verdicts: WorkerVerdict[];
}

/** The worker's JS heap: a request is one ingest batch (about 1 MB of messages), so this is ample. */
const WORKER_HEAP_MB = 128;
/** Deaths while a request is out before it is judged in this thread instead (it may be what kills the worker). */
const DEATHS_PER_REQUEST = 2;
/** Deaths without a reply in between before the worker is given up and everything is judged in this thread. */
const DEATHS_IN_A_ROW = 3;

interface Pending extends ValidationRequest {
  resolve: (verdicts: Judged[]) => void;
  deaths: number;
}

/**
 * Judges run-events messages (`checkRunEventsMessage`: JSON decoding, zod, the subject's
 * trainer and run) on a worker thread, so the gateway's thread, which on PGlite also runs the
 * database, only parses the accepted events' JSON text. Ingest sends messages as they arrive,
 * so the worker's queue holds at most what ingest's own queue holds (bounded in messages and
 * bytes, see ingest.ts).
 *
 * Nothing goes unjudged: a worker that dies is replaced and its requests are sent again; a
 * request out during two deaths, and every request once the worker died three times in a row,
 * is judged in this thread. Until the worker has loaded (0.3-1.2 s after a start here, most of
 * it tsx compiling the contracts) the same happens; ingest waits for it (`ready`) before it
 * consumes, while it sets up its streams.
 */
export class RunEventsValidator {
  readonly #log: (line: string) => void;
  readonly #pending = new Map<number, Pending>();
  #worker: Worker | undefined;
  #ready = false;
  #onReady: (() => void)[] = [];
  #nextId = 0;
  #deathsInARow = 0;
  #closed = false;

  constructor(log: (line: string) => void) {
    this.#log = log;
    this.#start();
  }

  /** The verdict on each message, in order. */
  check(messages: readonly { subject: string; data: Uint8Array }[]): Promise<Judged[]> {
    if (!this.#worker || !this.#ready) return Promise.resolve(inThisThread(messages));
    const id = this.#nextId++;
    return new Promise((resolve) => {
      // A compact copy: a message's bytes may be a view of a larger buffer, which would cross whole.
      const compact = messages.map(({ subject, data }) => ({
        subject,
        data: data.byteLength === data.buffer.byteLength ? data : data.slice(),
      }));
      const request: Pending = { id, messages: compact, resolve, deaths: 0 };
      this.#pending.set(id, request);
      this.#send(request);
    });
  }

  /**
   * Resolves once the worker has loaded, or after `timeoutMs` (then the first batches are
   * judged in this thread until it has). Never rejects.
   */
  ready(timeoutMs: number): Promise<void> {
    if (this.#ready || !this.#worker) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#onReady.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Ends the worker; requests still out are judged in this thread. */
  async close(): Promise<void> {
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = undefined;
    this.#judgeHere([...this.#pending.values()]);
    for (const resolve of this.#onReady.splice(0)) resolve();
    await worker?.terminate();
  }

  /** The worker's thread id, or undefined while there is none (for tests, with `kill`). */
  get threadId(): number | undefined {
    return this.#worker?.threadId;
  }

  /** Terminates the current worker as a crash would (tests: a replacement must take over). */
  async kill(): Promise<void> {
    await this.#worker?.terminate();
  }

  #start(): void {
    if (this.#closed || this.#deathsInARow >= DEATHS_IN_A_ROW) return;
    const worker = tsxWorker(new URL("./run-events-worker.ts", import.meta.url), {
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    this.#worker = worker;
    this.#ready = false;
    worker.unref();
    worker.on("message", (reply: ValidationReply | "ready") => {
      if (reply === "ready") {
        this.#ready = true;
        for (const resolve of this.#onReady.splice(0)) resolve();
        return;
      }
      this.#deathsInARow = 0;
      const request = this.#pending.get(reply.id);
      if (!request) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      request.resolve(reply.verdicts);
    });
    worker.on("error", (error) => this.#log(`ingest: the validation worker failed: ${error.message}`));
    worker.once("exit", (code) => {
      if (this.#worker !== worker) return; // closed
      this.#worker = undefined;
      this.#deathsInARow++;
      const out = [...this.#pending.values()];
      for (const request of out) request.deaths++;
      this.#judgeHere(out.filter((r) => r.deaths >= DEATHS_PER_REQUEST));
      this.#start();
      if (!this.#worker) {
        this.#log(
          `ingest: the validation worker exited (code ${code}) ${this.#deathsInARow} times in a row; validating in the gateway's thread`,
        );
        this.#judgeHere([...this.#pending.values()]);
        return;
      }
      this.#log(
        `ingest: the validation worker exited (code ${code}); a new one judges ${this.#pending.size} request(s) again`,
      );
      // Sent before it is ready: its port queues them until the module has loaded.
      for (const request of this.#pending.values()) this.#send(request);
    });
  }

  #send({ id, messages }: Pending): void {
    // Referenced only while a request is out: an idle worker never keeps the process alive.
    this.#worker?.ref();
    this.#worker?.postMessage({ id, messages } satisfies ValidationRequest);
  }

  #judgeHere(requests: Pending[]): void {
    for (const request of requests) {
      this.#pending.delete(request.id);
      request.resolve(inThisThread(request.messages));
    }
  }
}

const inThisThread = (messages: readonly { subject: string; data: Uint8Array }[]) =>
  messages.map(({ subject, data }) => checkRunEventsMessage(subject, data));

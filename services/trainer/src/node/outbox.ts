import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import { RUN_EVENT_BATCH_MAX_BYTES, RUN_EVENT_BATCH_MAX_EVENTS, runEventBatchText } from "@graft/contracts";
import { JetStreamApiError, type JetStreamClient } from "@nats-io/jetstream";
import { InvalidArgumentError, PermissionViolationError } from "@nats-io/transport-node";

/** One unsent run event: where it goes, its JetStream message id (dedup), and its JSON text. */
export interface OutboxEntry {
  subject: string;
  msgID: string;
  data: string;
  /**
   * Entries of one group (a run attempt) that wait next to each other on the same subject may
   * go out together in one batch message (`runEventBatchSchema`). Without it, alone.
   */
  group?: string;
}

export interface OutboxOptions {
  /** The directory the entries live in (created); one outbox per trainer identity. */
  dir: string;
  js: JetStreamClient;
  /** Entries left from an earlier process that this one may still publish (its own subjects). */
  accepts: (entry: OutboxEntry) => boolean;
  log: (line: string) => void;
  /** One publish's wait for the stream's ack. @default 5_000 */
  publishTimeoutMs?: number;
  /** Most entries in one batch message; 1 sends every entry alone. @default RUN_EVENT_BATCH_MAX_EVENTS */
  maxBatchEvents?: number;
}

interface Pending {
  file: string;
  entry: OutboxEntry;
  acked: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** The event can never be stored (see neverStorable); it was dropped from the outbox. */
export class UnsendableEventError extends Error {
  override name = "UnsendableEventError";
}

const FILE = /^(\d+)\.json$/;
const seqOf = (name: string) => Number(FILE.exec(name)?.[1]);
const ENTRY_KEYS = ["subject", "msgID", "data"] as const;
/** The batch wrapper's own bytes: `{"events":[` and `]}`. */
const BATCH_OVERHEAD = runEventBatchText([]).length;

/**
 * A trainer's run events that JetStream has not acknowledged yet, on disk. Each entry is
 * written (and fsynced) before it is published and removed after the stream's ack; one
 * loop publishes them strictly in order, retrying until NATS is back, so a NATS outage or
 * a trainer restart loses no epoch or outcome. An entry that can never be stored (too large,
 * a subject this identity may not publish) is dropped with a log line instead of holding
 * every later one back forever; its sender's `send` fails with UnsendableEventError. A replayed event carries its original
 * message id (the stream drops a duplicate within its window) and the gateway applies run
 * events idempotently, so a replay changes nothing that already landed.
 *
 * A lone entry goes out at once as a bare event. When several wait (NATS slow or away, epochs
 * finishing faster than acks come back, a restart's replay), consecutive entries of one group
 * go out as one batch message, bounded in count and bytes: a backlog costs the stream, the
 * network and the gateway one message per batch instead of one per event.
 */
export class Outbox {
  readonly #queue: Pending[] = [];
  /** The head entries the last publish tried: a retry sends the same message (same message id). */
  #sending = 0;
  /** Entries still to send one by one after a batch was refused for what it is. */
  #alone = 0;
  #next = 1;
  #wake: (() => void) | undefined;
  #closed = false;
  readonly #loop: Promise<void>;

  constructor(private readonly options: OutboxOptions) {
    mkdirSync(options.dir, { recursive: true });
    const left = readdirSync(options.dir)
      .filter((name) => FILE.test(name))
      .sort((a, b) => seqOf(a) - seqOf(b));
    for (const name of readdirSync(options.dir).filter((n) => n.endsWith(".tmp")))
      rmSync(join(options.dir, name), { force: true }); // a write a crash cut short: never published
    for (const name of left) {
      const file = join(options.dir, name);
      this.#next = Math.max(this.#next, seqOf(name) + 1);
      const entry = readEntry(file);
      if (entry && options.accepts(entry)) this.#enqueue(file, entry);
      else {
        options.log(`outbox: dropped ${name}: unreadable, or not this trainer's to send`);
        rmSync(file, { force: true });
      }
    }
    if (this.#queue.length > 0) options.log(`outbox: replaying ${this.#queue.length} event(s) left unsent`);
    this.#loop = this.#drain();
  }

  /** Entries not yet acknowledged. */
  get size(): number {
    return this.#queue.length;
  }

  /**
   * Stores the entry on disk, queues it behind every earlier one, and resolves true once the
   * stream has acknowledged it, or false after `waitMs` (it stays queued and goes out later).
   * Rejects with UnsendableEventError when the entry can never be stored.
   */
  async send(entry: OutboxEntry, waitMs: number): Promise<boolean> {
    if (this.#closed) throw new Error("the outbox is closed");
    const name = `${String(this.#next++).padStart(12, "0")}.json`;
    const file = join(this.options.dir, name);
    writeDurably(file, JSON.stringify(entry));
    const pending = this.#enqueue(file, entry);
    this.#wake?.();
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), waitMs);
    });
    try {
      return await Promise.race([pending.acked.then(() => true as const), waited]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops publishing; what is unsent stays on disk for the next process. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#loop;
  }

  #enqueue(file: string, entry: OutboxEntry): Pending {
    let resolve: () => void = () => {};
    let reject: (error: Error) => void = () => {};
    const acked = new Promise<void>((r, j) => {
      resolve = r;
      reject = j;
    });
    // A replayed entry has no sender waiting on it: its drop is logged, not an unhandled rejection.
    acked.catch(() => {});
    const pending = { file, entry, acked, resolve, reject };
    this.#queue.push(pending);
    return pending;
  }

  async #drain(): Promise<void> {
    const timeout = this.options.publishTimeoutMs ?? 5_000;
    let delay = 250;
    let failures = 0;
    while (!this.#closed) {
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        this.#wake = undefined;
        continue;
      }
      if (this.#sending === 0) this.#sending = this.#alone > 0 ? 1 : this.#batchLength();
      const batch = this.#queue.slice(0, this.#sending);
      const message = outgoing(batch.map((p) => p.entry));
      try {
        await this.options.js.publish(message.subject, new TextEncoder().encode(message.data), {
          msgID: message.msgID,
          timeout,
        });
      } catch (error) {
        if (neverStorable(error) && batch.length > 1) {
          // Each event may still pass alone (a server with a smaller max_payload): try that.
          this.options.log(
            `outbox: a batch of ${batch.length} events was refused, sending them one by one: ${describe(error)}`,
          );
          this.#alone = batch.length;
          this.#sending = 0;
          continue;
        }
        if (neverStorable(error)) {
          const [head] = batch as [Pending];
          this.options.log(`outbox: dropped ${basename(head.file)} (${head.entry.msgID}): ${describe(error)}`);
          this.#settle(1);
          head.reject(new UnsendableEventError(`event ${head.entry.msgID} can never be stored: ${describe(error)}`));
          continue;
        }
        // NATS is away (or JetStream not ready after a restart): keep the order, try again soon.
        if (failures++ === 0) this.options.log(`outbox: holding ${this.#queue.length} event(s): ${describe(error)}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          this.#wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#wake = undefined;
        delay = Math.min(delay * 2, 2_000);
        continue;
      }
      this.#settle(batch.length);
      for (const pending of batch) pending.resolve();
      if (failures > 0 && this.#queue.length === 0) this.options.log("outbox: every held event is delivered");
      if (this.#queue.length === 0) failures = 0;
      delay = 250;
    }
  }

  /** How many head entries the next message carries: consecutive ones of the head's group, within the bounds. */
  #batchLength(): number {
    const [head] = this.#queue;
    if (head?.entry.group === undefined) return 1;
    const most = Math.min(this.options.maxBatchEvents ?? RUN_EVENT_BATCH_MAX_EVENTS, RUN_EVENT_BATCH_MAX_EVENTS);
    let bytes = BATCH_OVERHEAD + Buffer.byteLength(head.entry.data);
    let n = 1;
    for (; n < Math.min(most, this.#queue.length); n++) {
      const { entry } = this.#queue[n] as Pending;
      if (entry.group !== head.entry.group || entry.subject !== head.entry.subject) break;
      bytes += 1 + Buffer.byteLength(entry.data);
      if (bytes > RUN_EVENT_BATCH_MAX_BYTES) break;
    }
    return n;
  }

  /** The first n entries are done with (acknowledged or dropped): off the disk and the queue. */
  #settle(n: number): void {
    for (const pending of this.#queue.splice(0, n)) rmSync(pending.file, { force: true });
    this.#sending = 0;
    this.#alone = Math.max(0, this.#alone - n);
  }
}

/**
 * One entry goes out as it is (a bare event, live latency unchanged); several as a batch whose
 * message id names its first and last entries, so a retried publish of the same batch lands once.
 */
function outgoing(batch: readonly OutboxEntry[]): { subject: string; msgID: string; data: string } {
  const [first] = batch as [OutboxEntry];
  if (batch.length === 1) return first;
  const last = batch[batch.length - 1] as OutboxEntry;
  return {
    subject: first.subject,
    msgID: `${first.msgID}..${last.msgID}`,
    data: runEventBatchText(batch.map((e) => e.data)),
  };
}

/** Write to a temporary name, fsync, rename: a crash leaves the whole entry or none. */
function writeDurably(file: string, text: string): void {
  const temporary = `${file}.tmp`;
  const fd = openSync(temporary, "w");
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
}

function readEntry(file: string): OutboxEntry | undefined {
  try {
    const value = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    const valid =
      ENTRY_KEYS.every((key) => typeof value[key] === "string") && ["string", "undefined"].includes(typeof value.group);
    return valid ? (value as unknown as OutboxEntry) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Refused for what the message is, not for the moment: larger than the server's payload limit
 * or the stream's message size limit (JetStream error 10054), or a subject this connection may
 * not publish. Everything else (timeouts, a closed or reconnecting connection, no stream yet)
 * passes and is retried.
 */
function neverStorable(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === STREAM_MESSAGE_TOO_LARGE;
  return error instanceof InvalidArgumentError || error instanceof PermissionViolationError;
}

/** JetStream's `JSStreamMessageExceedsMaximumErr`. */
const STREAM_MESSAGE_TOO_LARGE = 10054;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * One subscriber's queue: an AsyncIterableIterator with a bounded buffer. Over `softLimit`
 * the oldest droppable item (a LOG line) is discarded; items that carry state (STATUS,
 * EPOCH) are kept until `hardLimit`, past which the subscriber is ended with
 * SlowSubscriberError: a client that far behind should resubscribe and re-read the run.
 */

export class SlowSubscriberError extends Error {
  override name = "SlowSubscriberError";
  constructor(readonly buffered: number) {
    super(`subscriber fell ${buffered} events behind and was disconnected; resubscribe and re-read the state`);
  }
}

export interface MailboxOptions<T> {
  /** @default 256 */
  softLimit?: number;
  /** @default 10_000 */
  hardLimit?: number;
  /** Items that may be discarded when the subscriber lags. */
  droppable?: (item: T) => boolean;
  /** Awaited before the first item is handed out (e.g. until the NATS subscription is live). */
  ready?: Promise<void>;
  /**
   * Read once `ready` has settled and handed out before anything else: a snapshot taken after
   * the live feed is attached, so nothing can fall between the snapshot and the feed.
   */
  prelude?: () => Promise<T | undefined>;
  /** Called once when the iterator ends for any reason. */
  onClose?: () => void;
}

/**
 * Takes a mailbox's items as they come, without a promise per item (see Mailbox.listen):
 * `item` is called synchronously from `push`, `end` once, with the error that ended it if any.
 */
export interface MailboxListener<T> {
  item(item: T, droppable: boolean): void;
  end(error?: Error): void;
}

type Waiter<T> = { resolve: (r: IteratorResult<T, undefined>) => void; reject: (e: unknown) => void };

export class Mailbox<T> implements AsyncIterableIterator<T, undefined> {
  #items: T[] = [];
  #waiters: Waiter<T>[] = [];
  #closed = false;
  #error: Error | undefined;
  #ready: Promise<void> | undefined;
  #prelude: (() => Promise<T | undefined>) | undefined;
  #dropped = 0;
  readonly #soft: number;
  readonly #hard: number;
  readonly #droppable: (item: T) => boolean;
  readonly #onClose: (() => void) | undefined;
  #listener: MailboxListener<T> | undefined;

  constructor(options: MailboxOptions<T> = {}) {
    this.#soft = options.softLimit ?? 256;
    this.#hard = options.hardLimit ?? 10_000;
    this.#droppable = options.droppable ?? (() => false);
    this.#onClose = options.onClose;
    this.#ready = options.ready;
    this.#prelude = options.prelude;
  }

  /** Items discarded so far because the subscriber lagged. */
  get dropped(): number {
    return this.#dropped;
  }

  get closed(): boolean {
    return this.#closed;
  }

  push(item: T): void {
    if (this.#closed) return;
    if (this.#listener) {
      this.#listener.item(item, this.#droppable(item));
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      waiter.resolve({ value: item, done: false });
      return;
    }
    this.#items.push(item);
    if (this.#items.length <= this.#soft) return;
    const victim = this.#items.findIndex(this.#droppable);
    if (victim >= 0) {
      this.#items.splice(victim, 1);
      this.#dropped++;
    } else if (this.#items.length > this.#hard) {
      this.fail(new SlowSubscriberError(this.#items.length));
    }
  }

  /** Ends the iterator with an error delivered to the consumer's next `next()`. */
  fail(error: Error): void {
    if (this.#closed) return;
    if (this.#listener) {
      const listener = this.#listener;
      this.#finish();
      listener.end(error);
      return;
    }
    this.#items = [];
    this.#error = error;
    const waiters = this.#waiters.splice(0);
    this.#finish();
    const [first, ...rest] = waiters;
    if (first) {
      this.#error = undefined;
      first.reject(error);
    }
    for (const w of rest) w.resolve({ value: undefined, done: true });
  }

  async next(): Promise<IteratorResult<T, undefined>> {
    await this.#opening();
    const item = this.#items.shift();
    if (item !== undefined) return { value: item, done: false };
    if (this.#error) {
      const error = this.#error;
      this.#error = undefined;
      throw error;
    }
    if (this.#closed) return { value: undefined, done: true };
    return await new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async return(): Promise<IteratorResult<T, undefined>> {
    this.close();
    return { value: undefined, done: true };
  }

  async throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.close();
    if (error !== undefined) throw error;
    return { value: undefined, done: true };
  }

  /**
   * Instead of `next()` (use one or the other): once `ready` and the prelude are through,
   * hands `listener` the prelude and what was buffered, then every pushed item synchronously
   * from `push`. The limits then no longer apply here: the listener bounds what it keeps. A
   * fan-out to thousands of subscribers costs no promise per item and subscriber this way.
   */
  listen(listener: MailboxListener<T>): void {
    this.#opening().then(
      () => {
        if (this.#closed) {
          const error = this.#error;
          this.#error = undefined;
          listener.end(error);
          return;
        }
        const items = this.#items.splice(0);
        this.#listener = listener;
        for (const item of items) {
          if (this.#listener !== listener) return; // it ended the mailbox while taking one
          listener.item(item, this.#droppable(item));
        }
      },
      (error: unknown) => {
        this.close();
        listener.end(error instanceof Error ? error : new Error(String(error)));
      },
    );
  }

  /** Ends the iterator; pending and future `next()` calls report done. */
  close(): void {
    if (this.#closed) return;
    if (this.#listener) {
      const listener = this.#listener;
      this.#finish();
      listener.end();
      return;
    }
    this.#items = [];
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
    this.#finish();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Awaits `ready`, then reads the prelude into the front of the queue; once. */
  async #opening(): Promise<void> {
    if (this.#ready) {
      const ready = this.#ready;
      this.#ready = undefined;
      await ready;
    }
    if (this.#prelude) {
      const prelude = this.#prelude;
      this.#prelude = undefined;
      const first = await prelude();
      if (first !== undefined && !this.#closed) this.#items.unshift(first);
    }
  }

  #finish(): void {
    this.#closed = true;
    this.#listener = undefined;
    this.#onClose?.();
  }
}

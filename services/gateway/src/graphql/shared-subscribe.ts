import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute, print } from "graphql";
import { Mailbox, type MailboxListener, SlowSubscriberError } from "../events/mailbox.ts";
import type { GraphQLContext } from "./context.ts";

type Result = ExecutionResult | Promise<ExecutionResult>;

/** A source stream that can hand its items over synchronously (a Mailbox). */
type Listenable = AsyncIterableIterator<unknown> & { listen(listener: MailboxListener<unknown>): void };

/** Where a delivery puts one subscriber's results: ws.ts writes each as a `next` frame on its socket. */
export interface ResultSink {
  next(result: ExecutionResult, droppable: boolean): void;
  /** Once: "ended" when the stream ended (what is pending goes first), "cancelled" when the subscriber left. */
  end(how: "ended" | "cancelled"): void;
}

/** A subscriber whose results wait on asynchronous resolvers this far behind is ended. */
const MAX_AWAITED = 10_000;

/**
 * graphql-js's `subscribe`, except that an event delivered to many subscribers is executed
 * once per distinct operation: the same document, operation name and variables, asked by the
 * same project with the same role (what a result may depend on). The fan-out hands the same
 * payload object to every subscriber of a run, so results are kept per payload in a WeakMap
 * and go away with it. Each subscriber keeps its own source stream, so its first event (the
 * run's current state) and its backpressure stay its own.
 *
 * A source that is a Mailbox comes back as a SharedDelivery: `deliverTo` hands each result to
 * a sink synchronously as the fan-out pushes it (no promise or iterator step per event and
 * subscriber, issue 13). Other sources are mapped as an async iterable.
 *
 * `contextForEvent` gives each event's execution its own context: the operation's context
 * lives as long as the subscription, and what is cached per request (DataLoaders) must not
 * answer a later event with what an earlier one read.
 */
export function createSharedSubscribe(
  contextForEvent: (context: unknown) => unknown = (context) => context,
): (args: ExecutionArgs) => Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const results = new WeakMap<object, Map<string, Result>>();
  return async (args) => {
    const stream = await createSourceEventStream(args);
    if (!(Symbol.asyncIterator in stream)) return stream;
    const key = operationKey(args);
    // Called per event and subscriber: no closure made here unless it executes (tsx names each one).
    const resultOf = (payload: unknown): Result => {
      if (typeof payload !== "object" || payload === null) return executeEvent(args, contextForEvent, payload);
      let byOperation = results.get(payload);
      if (!byOperation) {
        byOperation = new Map();
        results.set(payload, byOperation);
      }
      let result = byOperation.get(key);
      if (!result) {
        result = executeEvent(args, contextForEvent, payload);
        byOperation.set(key, result);
      }
      return result;
    };
    if (isListenable(stream)) return new SharedDelivery(stream, resultOf);
    return mapAsyncIterable(stream, resultOf);
  };
}

function executeEvent(args: ExecutionArgs, contextForEvent: (context: unknown) => unknown, payload: unknown): Result {
  return execute({ ...args, contextValue: contextForEvent(args.contextValue), rootValue: payload });
}

function isListenable(stream: AsyncIterable<unknown>): stream is Listenable {
  return stream instanceof Mailbox;
}

/**
 * One subscriber's results of a listenable source. `deliverTo` is the fast way; iterating it
 * works too (through a buffer), for callers that are not a socket.
 */
export class SharedDelivery implements AsyncIterableIterator<ExecutionResult> {
  #buffered: Mailbox<ExecutionResult> | undefined;

  constructor(
    private readonly source: Listenable,
    private readonly resultOf: (payload: unknown) => Result,
  ) {}

  /**
   * Hands each result to `sink` in order. The returned iterator yields nothing: its `next()`
   * settles when the stream ends (rejecting with the error that ended it), and its `return()`
   * ends the delivery and the source (graphql-ws calls it on `complete` and on close).
   */
  deliverTo(sink: ResultSink): AsyncIterableIterator<never, undefined> {
    return new Delivery(this.source, this.resultOf, sink);
  }

  next(): Promise<IteratorResult<ExecutionResult, undefined>> {
    if (!this.#buffered) {
      const box = new Mailbox<ExecutionResult>();
      this.#buffered = box;
      this.deliverTo({ next: (result) => box.push(result), end: () => {} })
        .next()
        .then(
          () => box.close(),
          (error: Error) => box.fail(error),
        );
    }
    return this.#buffered.next();
  }

  async return(): Promise<IteratorResult<ExecutionResult, undefined>> {
    this.#buffered?.close();
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

class Delivery implements AsyncIterableIterator<never, undefined> {
  /** Results still being executed (asynchronous resolvers), in the order they must go out. */
  #awaited: { result: Promise<ExecutionResult>; droppable: boolean }[] = [];
  #sourceEnded: { error?: Error } | undefined;
  #finished = false;
  readonly #done: Promise<IteratorResult<never, undefined>>;
  #settle: { resolve: () => void; reject: (error: Error) => void } = { resolve: () => {}, reject: () => {} };

  constructor(
    private readonly source: Listenable,
    private readonly resultOf: (payload: unknown) => Result,
    private readonly sink: ResultSink,
  ) {
    this.#done = new Promise((resolve, reject) => {
      this.#settle = { resolve: () => resolve({ done: true, value: undefined }), reject };
    });
    // graphql-ws may ask for next() only after the source has already failed.
    this.#done.catch(() => {});
    source.listen({
      item: (payload, droppable) => this.#item(payload, droppable),
      end: (error) => {
        this.#sourceEnded = error ? { error } : {};
        if (this.#awaited.length === 0) this.#finish("ended", error);
      },
    });
  }

  #item(payload: unknown, droppable: boolean): void {
    if (this.#finished) return;
    let result: Result;
    try {
      result = this.resultOf(payload);
    } catch (error) {
      this.#finish("ended", error instanceof Error ? error : new Error(String(error)));
      return;
    }
    if (this.#awaited.length === 0 && !(result instanceof Promise)) {
      this.sink.next(result, droppable);
    } else if (this.#awaited.length >= MAX_AWAITED) {
      this.#finish("ended", new SlowSubscriberError(this.#awaited.length));
    } else {
      this.#awaited.push({ result: Promise.resolve(result), droppable });
      if (this.#awaited.length === 1) void this.#drain();
    }
  }

  /** Sends awaited results in order, each once it is ready. */
  async #drain(): Promise<void> {
    for (let head = this.#awaited[0]; head; head = this.#awaited[0]) {
      let result: ExecutionResult;
      try {
        result = await head.result;
      } catch (error) {
        this.#finish("ended", error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (this.#finished) return;
      this.sink.next(result, head.droppable);
      this.#awaited.shift();
    }
    if (this.#sourceEnded) this.#finish("ended", this.#sourceEnded.error);
  }

  #finish(how: "ended" | "cancelled", error?: Error): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#awaited = [];
    this.sink.end(how);
    if (!this.#sourceEnded) void this.source.return?.();
    if (error) this.#settle.reject(error);
    else this.#settle.resolve();
  }

  next(): Promise<IteratorResult<never, undefined>> {
    return this.#done;
  }

  async return(): Promise<IteratorResult<never, undefined>> {
    this.#finish("cancelled");
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<never, undefined>> {
    this.#finish("cancelled");
    if (error !== undefined) throw error;
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/** Printed documents: subscribers of one operation share one DocumentNode (ws.ts keeps them). */
const printed = new WeakMap<ExecutionArgs["document"], string>();

function operationKey(args: ExecutionArgs): string {
  const viewer = (args.contextValue as GraphQLContext | undefined)?.viewer;
  return JSON.stringify([
    viewer?.projectId ?? null,
    viewer?.role ?? null,
    args.operationName ?? null,
    args.variableValues ?? null,
    printedOnce(args.document),
  ]);
}

function printedOnce(document: ExecutionArgs["document"]): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** `source` with `map` applied to each value; ending the result ends the source. */
function mapAsyncIterable<T, U>(source: AsyncIterable<T>, map: (value: T) => U | Promise<U>): AsyncIterableIterator<U> {
  const iterator = source[Symbol.asyncIterator]();
  return {
    async next() {
      const step = await iterator.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await map(step.value) };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
    async throw(error: unknown) {
      await iterator.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

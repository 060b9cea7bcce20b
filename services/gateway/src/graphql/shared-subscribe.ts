import { createSourceEventStream, type ExecutionArgs, type ExecutionResult, execute, print } from "graphql";
import type { GraphQLContext } from "./context.ts";

type Result = ExecutionResult | Promise<ExecutionResult>;

/**
 * graphql-js's `subscribe`, except that an event delivered to many subscribers is executed
 * once per distinct operation: the same document, operation name and variables, asked by the
 * same project with the same role (what a result may depend on). The fan-out hands the same
 * payload object to every subscriber of a run, so results are kept per payload in a WeakMap
 * and go away with it. Each subscriber keeps its own source stream, so its first event (the
 * run's current state) and its backpressure stay its own.
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
    return mapAsyncIterable(stream, (payload) => {
      const run = () => execute({ ...args, contextValue: contextForEvent(args.contextValue), rootValue: payload });
      if (typeof payload !== "object" || payload === null) return run();
      let byOperation = results.get(payload);
      if (!byOperation) {
        byOperation = new Map();
        results.set(payload, byOperation);
      }
      let result = byOperation.get(key);
      if (!result) {
        result = run();
        byOperation.set(key, result);
      }
      return result;
    });
  };
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

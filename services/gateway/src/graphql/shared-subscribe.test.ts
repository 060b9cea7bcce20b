import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSchema, type ExecutionResult, parse } from "graphql";
import { Mailbox, SlowSubscriberError } from "../events/mailbox.ts";
import { createSharedSubscribe, SharedDelivery } from "./shared-subscribe.ts";

/**
 * A run's fan-out in miniature: every subscriber's stream yields the same payload objects,
 * and a resolver counts how often an event is executed.
 */
function setup() {
  let executions = 0;
  // The same payload objects for every subscriber, as RunFanout hands them out.
  const payloads = [{ n: 1 }, { n: 2 }].map((tick) => ({ tick }));
  const schema = buildSchema(
    "type Query { ok: Boolean } type Tick { n: Int, times(k: Int!): Int } type Subscription { tick: Tick }",
  );
  const resolvers = {
    tick: {
      subscribe: async function* () {
        yield* payloads;
      },
    },
  };
  const Tick = schema.getType("Tick") as unknown as { getFields(): Record<string, { resolve?: unknown }> };
  const fields = Tick.getFields();
  if (fields.n) {
    fields.n.resolve = (tick: { n: number }) => {
      executions++;
      return tick.n;
    };
  }
  if (fields.times) fields.times.resolve = (tick: { n: number }, { k }: { k: number }) => tick.n * k;
  const subscribe = createSharedSubscribe();
  const subscriber = async (query: string, variableValues: Record<string, unknown>, projectId = "p1") => {
    const stream = await subscribe({
      schema,
      document: parse(query),
      rootValue: resolvers,
      variableValues,
      contextValue: { viewer: { projectId, role: "MEMBER" } },
      subscribeFieldResolver: (root: typeof resolvers) => root.tick.subscribe(),
    });
    assert.ok(Symbol.asyncIterator in stream, JSON.stringify(stream));
    const results: ExecutionResult[] = [];
    for await (const result of stream) results.push(result);
    return JSON.parse(JSON.stringify(results.map((r) => r.data))) as unknown[];
  };
  return { subscriber, executions: () => executions };
}

test("subscribers of the same operation share one execution per event", async () => {
  const s = setup();
  const query = "subscription ($k: Int!) { tick { n times(k: $k) } }";
  const all = await Promise.all([1, 2, 3].map(() => s.subscriber(query, { k: 10 })));
  for (const results of all) {
    assert.deepEqual(results, [{ tick: { n: 1, times: 10 } }, { tick: { n: 2, times: 20 } }]);
  }
  assert.equal(s.executions(), 2, "one execution per event, not per subscriber");
});

test("different variables, documents or projects each get their own results", async () => {
  const s = setup();
  const query = "subscription ($k: Int!) { tick { n times(k: $k) } }";
  const [ten, hundred, other, bare] = await Promise.all([
    s.subscriber(query, { k: 10 }),
    s.subscriber(query, { k: 100 }),
    s.subscriber(query, { k: 10 }, "p2"),
    s.subscriber("subscription { tick { n } }", {}),
  ]);
  assert.deepEqual(ten, [{ tick: { n: 1, times: 10 } }, { tick: { n: 2, times: 20 } }]);
  assert.deepEqual(hundred, [{ tick: { n: 1, times: 100 } }, { tick: { n: 2, times: 200 } }]);
  assert.deepEqual(other, ten);
  assert.deepEqual(bare, [{ tick: { n: 1 } }, { tick: { n: 2 } }]);
  assert.equal(s.executions(), 8, "four distinct operations, two events each");
});

/** A fan-out in miniature whose subscribers' sources are Mailboxes, as RunFanout's are. */
function mailboxSetup(resolveN: (tick: { n: number }) => unknown = (tick) => tick.n) {
  let executions = 0;
  const boxes = new Set<Mailbox<{ n: number }>>();
  const schema = buildSchema("type Query { ok: Boolean } type Tick { n: Int } type Subscription { tick: Tick }");
  const fields = (
    schema.getType("Tick") as unknown as { getFields(): Record<string, { resolve?: unknown }> }
  ).getFields();
  (fields.n as { resolve?: unknown }).resolve = (tick: { n: number }) => {
    executions++;
    return resolveN(tick);
  };
  const subscribe = createSharedSubscribe();
  const subscriber = async (projectId = "p1") => {
    const delivery = await subscribe({
      schema,
      document: parse("subscription { tick { n } }"),
      contextValue: { viewer: { projectId, role: "MEMBER" } },
      subscribeFieldResolver: () => {
        const box: Mailbox<{ n: number }> = new Mailbox({ onClose: () => boxes.delete(box) });
        boxes.add(box);
        return box;
      },
    });
    assert.ok(delivery instanceof SharedDelivery);
    const got: unknown[] = [];
    const ends: string[] = [];
    const handle = delivery.deliverTo({
      next: (r) => got.push(JSON.parse(JSON.stringify(r.data))),
      end: (how) => ends.push(how),
    });
    return { handle, got, ends };
  };
  const push = (n: number) => {
    const payload = { tick: { n } }; // one object for every subscriber, as the fan-out hands out
    for (const box of boxes) box.push(payload as never);
  };
  return { subscriber, push, boxes, executions: () => executions };
}

test("delivered to sinks, each event is executed once per operation and handed over in order as it is pushed", async () => {
  const s = mailboxSetup();
  const subscribers = await Promise.all([s.subscriber(), s.subscriber(), s.subscriber("p2")]);
  await new Promise((r) => setImmediate(r)); // the sources are listening
  for (let n = 1; n <= 3; n++) s.push(n);
  for (const { got } of subscribers)
    assert.deepEqual(
      got,
      [1, 2, 3].map((n) => ({ tick: { n } })),
    );
  assert.equal(s.executions(), 6, "two distinct operations (two projects), three events");
  await (subscribers[0] as { handle: AsyncIterator<never> }).handle.return?.();
  assert.deepEqual(subscribers[0]?.ends, ["cancelled"]);
  assert.equal(s.boxes.size, 2, "a cancelled delivery lets go of its source");
  for (const box of [...s.boxes]) box.close();
  for (const { handle, ends } of subscribers.slice(1)) {
    assert.deepEqual(await handle.next(), { done: true, value: undefined }, "next() settles when the stream ends");
    assert.deepEqual(ends, ["ended"]);
  }
});

test("results of asynchronous resolvers go out in event order, and a failed source rejects next()", async () => {
  const gates = new Map<number, () => void>();
  const s = mailboxSetup(
    (tick) =>
      new Promise((resolve) => {
        gates.set(tick.n, () => resolve(tick.n));
      }),
  );
  const a = await s.subscriber();
  await new Promise((r) => setImmediate(r));
  s.push(1);
  s.push(2);
  gates.get(2)?.();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.got, [], "the second waits for the first");
  gates.get(1)?.();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(a.got, [{ tick: { n: 1 } }, { tick: { n: 2 } }]);

  for (const box of s.boxes) box.fail(new SlowSubscriberError(9));
  await assert.rejects(a.handle.next(), SlowSubscriberError);
  assert.equal(s.boxes.size, 0);
});

test("many subscribe and unsubscribe cycles leave no source behind", async () => {
  const s = mailboxSetup();
  for (let i = 0; i < 2_000; i++) {
    const { handle } = await s.subscriber();
    if (i % 2 === 0) await new Promise((r) => setImmediate(r)); // half of them listening already
    await handle.return?.();
  }
  await new Promise((r) => setImmediate(r));
  assert.equal(s.boxes.size, 0);
});

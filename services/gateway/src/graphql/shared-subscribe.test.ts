import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSchema, type ExecutionResult, parse } from "graphql";
import { createSharedSubscribe } from "./shared-subscribe.ts";

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

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  InvalidMessageError,
  parseRunEvents,
  RUN_EVENT_BATCH_MAX_EVENTS,
  type RunEvent,
  runEventBatchSchema,
  runEventBatchText,
  runEventSchema,
} from "./messages.ts";

const runId = "6f1c3c1e-8f0a-4c7e-9d3b-2a1b0c9d8e7f";
const at = "2026-12-03T06:00:00.000Z";
const epoch = (n: number, over: Partial<{ runId: string; attempt: number; trainerId: string }> = {}): RunEvent =>
  ({
    type: "epoch",
    runId,
    attempt: 1,
    trainerId: "trainer-a",
    at,
    epoch: n,
    metrics: {
      loss: 0.5,
      accuracy: 0.8,
      valLoss: null,
      valAccuracy: null,
      learningRate: 0.01,
      durationMs: 10,
      samplesPerSecond: 100,
      trainableParams: 10,
      frozenLayers: 1,
    },
    // Only its shape is checked here; the gateway verifies claims (identity.test.ts).
    claim: "c".repeat(64),
    ...over,
  }) as RunEvent;
const bytes = (text: string) => new TextEncoder().encode(text);
const batch = (events: unknown[]) => bytes(runEventBatchText(events.map((e) => JSON.stringify(e))));
const refusal = (pattern: RegExp) => (error: unknown) =>
  error instanceof InvalidMessageError && error.subject === "s" && pattern.test(error.message);

test("a run-events message is a bare event or a batch of one run attempt's events, in order", () => {
  assert.deepEqual(parseRunEvents("s", bytes(JSON.stringify(epoch(1)))), [epoch(1)]);
  assert.deepEqual(parseRunEvents("s", batch([epoch(1), epoch(2), epoch(3)])), [epoch(1), epoch(2), epoch(3)]);
  const full = Array.from({ length: RUN_EVENT_BATCH_MAX_EVENTS }, (_, i) => epoch(i + 1));
  assert.equal(parseRunEvents("s", batch(full)).length, RUN_EVENT_BATCH_MAX_EVENTS);
});

test("a malformed batch is refused with InvalidMessageError and its reason", () => {
  assert.throws(() => parseRunEvents("s", bytes('{"events":[]}')), refusal(/events/));
  const tooMany = Array.from({ length: RUN_EVENT_BATCH_MAX_EVENTS + 1 }, (_, i) => epoch(i + 1));
  assert.throws(() => parseRunEvents("s", batch(tooMany)), refusal(/events/));
  assert.throws(() => parseRunEvents("s", batch([epoch(1), { type: "epoch" }])), refusal(/events/));
  assert.throws(() => parseRunEvents("s", bytes('{"events":{"0":1}}')), refusal(/events/));
  for (const other of [{ runId: "7f1c3c1e-8f0a-4c7e-9d3b-2a1b0c9d8e7f" }, { attempt: 2 }, { trainerId: "trainer-b" }]) {
    assert.throws(
      () => parseRunEvents("s", batch([epoch(1), epoch(2, other)])),
      refusal(/same run, attempt and trainer/),
      JSON.stringify(other),
    );
  }
  assert.throws(() => parseRunEvents("s", bytes('{"events":[')), refusal(/not JSON/));
  // A batch wrapper is not an event either: a message with both shapes is judged as an event.
  assert.throws(
    () => parseRunEvents("s", bytes(`{"type":"epoch","events":[${JSON.stringify(epoch(1))}]}`)),
    refusal(/invalid message/),
  );
});

/** What zod alone makes of a message (the text of its result, keys in order, or its refusal). */
const byZod = (json: unknown) => {
  const batched = typeof json === "object" && json !== null && "events" in json && !("type" in json);
  const result = batched ? runEventBatchSchema.safeParse(json) : runEventSchema.safeParse(json);
  if (!result.success) return "refused";
  return JSON.stringify(batched ? (result.data as { events: unknown }).events : [result.data]);
};
const byParse = (json: unknown) => {
  try {
    return JSON.stringify(parseRunEvents("s", bytes(JSON.stringify(json))));
  } catch (error) {
    assert.ok(error instanceof InvalidMessageError);
    return "refused";
  }
};

test("epoch events checked by hand are judged exactly as zod judges them, keys in zod's order", () => {
  const odd = [null, "", "x", "a b", "x".repeat(129), 0, -0, -1, 1, 1.5, 2 ** 31 - 1, 2 ** 31, 2 ** 53, 1e308, true];
  const values = [
    ...odd,
    [],
    {},
    "2026-12-03T06:00:00Z",
    "2026-12-03T06:00:00+01:00",
    "2026-12-03T06:00:00",
    "2026-02-30T06:00:00Z",
    "2024-02-29T06:00:00.5Z",
    "c".repeat(63),
    "C".repeat(64),
    "epoch",
    "log",
  ];
  const base = epoch(3) as unknown as Record<string, unknown>;
  const metrics = base.metrics as Record<string, unknown>;
  const cases: unknown[] = [
    base,
    { ...base, extra: 1 },
    { ...metrics, ...base },
    Object.fromEntries(Object.entries(base).reverse()),
  ];
  for (const key of Object.keys(base)) {
    const { [key]: _, ...without } = base;
    cases.push(without);
    for (const value of values) cases.push({ ...base, [key]: value });
  }
  for (const key of Object.keys(metrics)) {
    const { [key]: _, ...without } = metrics;
    cases.push({ ...base, metrics: without }, { ...base, metrics: { ...metrics, extra: 1 } });
    for (const value of values) cases.push({ ...base, metrics: { ...metrics, [key]: value } });
  }
  let accepted = 0;
  for (const json of cases) {
    const expected = byZod(json);
    if (expected !== "refused") accepted++;
    assert.equal(byParse(json), expected, JSON.stringify(json));
    assert.equal(byParse({ events: [epoch(1), json] }), byZod({ events: [epoch(1), json] }), JSON.stringify(json));
    assert.equal(byParse({ events: [json], extra: 1 }), byZod({ events: [json], extra: 1 }), JSON.stringify(json));
  }
  // The cases reach both verdicts, or the comparison would prove little.
  assert.ok(accepted > 20 && accepted < cases.length - 100, `${accepted} of ${cases.length} accepted`);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  InvalidMessageError,
  parseRunEvents,
  RUN_EVENT_BATCH_MAX_EVENTS,
  type RunEvent,
  runEventBatchText,
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

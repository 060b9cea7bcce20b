import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeCheckpoint, encodeCheckpoint } from "./checkpoint.ts";

const metrics = {
  loss: 0.5,
  accuracy: 0.8,
  valLoss: null,
  valAccuracy: null,
  learningRate: 0.001,
  durationMs: 12,
  samplesPerSecond: 100,
  trainableParams: 10,
  frozenLayers: 2,
};

test("a checkpoint round-trips its epochs, metrics and engine bytes", () => {
  const engine = new Uint8Array([1, 2, 3, 250]);
  const bytes = encodeCheckpoint({ completedEpochs: 2, attempt: 3, epochs: [{ epoch: 1, metrics }], engine });
  assert.deepEqual(decodeCheckpoint(bytes), {
    completedEpochs: 2,
    attempt: 3,
    epochs: [{ epoch: 1, metrics }],
    engine,
  });
});

test("an unreadable checkpoint decodes to null so the run starts over instead of failing", () => {
  assert.equal(decodeCheckpoint(new Uint8Array([0, 0])), null);
  assert.equal(decodeCheckpoint(new Uint8Array([0, 0, 0, 200, 1, 2])), null);
  const junk = new TextEncoder().encode("{not json");
  const framed = new Uint8Array(4 + junk.byteLength);
  new DataView(framed.buffer).setUint32(0, junk.byteLength);
  framed.set(junk, 4);
  assert.equal(decodeCheckpoint(framed), null);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { type EpochMap, mergeQueryRows } from "./epochs.ts";

const rows = (...epochs: number[]): EpochMap => new Map(epochs.map((epoch) => [epoch, { epoch, loss: epoch / 10 }]));

test("a reduced query answer replaces the streamed epochs it covers and keeps the ones after it", () => {
  // Buckets ending at epochs 32, 64 and 96; the stream had delivered 90 to 100 one by one.
  const merged = mergeQueryRows(rows(32, 64, 96), rows(90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100));
  assert.deepEqual(
    [...merged.keys()].sort((a, b) => a - b),
    [32, 64, 96, 97, 98, 99, 100],
  );
});

test("streamed epochs survive an empty or older answer", () => {
  assert.deepEqual([...mergeQueryRows(new Map(), rows(1, 2)).keys()], [1, 2]);
  assert.deepEqual([...mergeQueryRows(rows(1), rows(1, 2, 3)).keys()].sort(), [1, 2, 3]);
});

test("the answer wins for the epochs it holds", () => {
  const merged = mergeQueryRows(new Map([[5, { epoch: 5, loss: 0.5 }]]), new Map([[5, { epoch: 5, loss: 9 }]]));
  assert.equal(merged.get(5)?.loss, 0.5);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { FreshReads } from "./fresh-reads.ts";

/** A read whose answer the test gives, once it has started. */
function controlledReads() {
  const started: { answer: (value: number) => void; fail: (error: Error) => void }[] = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      started.push({ answer: resolve, fail: reject });
    });
  return { started, read };
}

test("callers asking together share one read; one asking while it runs gets the next read, not the running one", async () => {
  const reads = new FreshReads<string, number>();
  const { started, read } = controlledReads();
  const first = reads.read("run", read);
  assert.equal(started.length, 1, "a lone caller's read starts at once");

  // Asked while the first read is under way: that read may predate what they must see.
  const late = [reads.read("run", read), reads.read("run", read), reads.read("run", read)];
  assert.equal(started.length, 1, "the later callers wait, and do not start reads of their own");
  started[0]?.answer(1);
  assert.equal(await first, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal(started.length, 2, "one read for all who asked while the first ran");
  started[1]?.answer(2);
  assert.deepEqual(await Promise.all(late), [2, 2, 2]);

  await new Promise((r) => setImmediate(r));
  assert.equal(reads.size, 0, "nothing is kept once no read is under way");
  const again = reads.read("run", read);
  assert.equal(started.length, 3);
  started[2]?.answer(3);
  assert.equal(await again, 3);
});

test("keys do not share; a failed read fails its callers only, and the waiting read still runs", async () => {
  const reads = new FreshReads<string, number>();
  const { started, read } = controlledReads();
  const a = reads.read("a", read);
  const b = reads.read("b", read);
  assert.equal(started.length, 2, "another key's read is not held behind this one");
  const afterA = reads.read("a", read);
  started[0]?.fail(new Error("connection reset"));
  await assert.rejects(a, /connection reset/);
  await new Promise((r) => setImmediate(r));
  assert.equal(started.length, 3);
  started[2]?.answer(7);
  assert.equal(await afterA, 7);
  started[1]?.answer(8);
  assert.equal(await b, 8);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { Mailbox, SlowSubscriberError } from "./mailbox.ts";

type Item = { kind: "LOG" | "EPOCH"; n: number };
const droppable = (i: Item) => i.kind === "LOG";

test("hands items out in order and ends pending next() calls on return()", async () => {
  let closed = 0;
  const box = new Mailbox<Item>({ onClose: () => closed++ });
  const pending = box.next();
  box.push({ kind: "EPOCH", n: 1 });
  box.push({ kind: "EPOCH", n: 2 });
  assert.deepEqual((await pending).value, { kind: "EPOCH", n: 1 });
  assert.deepEqual((await box.next()).value, { kind: "EPOCH", n: 2 });
  const waiting = box.next();
  await box.return();
  assert.deepEqual(await waiting, { value: undefined, done: true });
  assert.equal((await box.next()).done, true);
  box.push({ kind: "EPOCH", n: 3 });
  assert.equal((await box.next()).done, true, "nothing is delivered after return()");
  await box.return();
  assert.equal(closed, 1, "onClose runs once");
});

test("a lagging subscriber loses the oldest LOG lines first, never EPOCH events below the hard limit", async () => {
  const box = new Mailbox<Item>({ softLimit: 3, hardLimit: 100, droppable });
  box.push({ kind: "LOG", n: 1 });
  box.push({ kind: "EPOCH", n: 2 });
  box.push({ kind: "LOG", n: 3 });
  box.push({ kind: "EPOCH", n: 4 });
  box.push({ kind: "EPOCH", n: 5 });
  box.push({ kind: "EPOCH", n: 6 });
  assert.equal(box.dropped, 2);
  const got: number[] = [];
  for (let i = 0; i < 4; i++) got.push((await box.next()).value?.n ?? -1);
  assert.deepEqual(got, [2, 4, 5, 6]);
});

test("past the hard limit the subscriber is ended with SlowSubscriberError", async () => {
  let closed = false;
  const box = new Mailbox<Item>({ softLimit: 2, hardLimit: 4, droppable, onClose: () => (closed = true) });
  for (let n = 0; n < 5; n++) box.push({ kind: "EPOCH", n });
  assert.equal(closed, true);
  await assert.rejects(box.next(), SlowSubscriberError);
  assert.equal((await box.next()).done, true);
});

test("waits for `ready` before the first item", async () => {
  let release = () => {};
  const ready = new Promise<void>((r) => (release = r));
  const box = new Mailbox<Item>({ ready });
  box.push({ kind: "EPOCH", n: 1 });
  let got = false;
  const first = box.next().then((r) => {
    got = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(got, false);
  release();
  assert.equal((await first).value?.n, 1);
});

test("listen hands over the prelude, then what was buffered, then each push synchronously", async () => {
  let release = () => {};
  const ready = new Promise<void>((r) => (release = r));
  let closed = 0;
  const box = new Mailbox<Item>({
    ready,
    droppable,
    prelude: async () => ({ kind: "EPOCH", n: 0 }),
    onClose: () => closed++,
  });
  const got: [number, boolean][] = [];
  const ended: (Error | undefined)[] = [];
  box.push({ kind: "LOG", n: 1 }); // pushed while the feed is being attached: kept for later
  box.listen({ item: (i, d) => got.push([i.n, d]), end: (e) => ended.push(e) });
  box.push({ kind: "EPOCH", n: 2 });
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(got, [], "nothing before `ready`");
  release();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got, [
    [0, false],
    [1, true],
    [2, false],
  ]);
  box.push({ kind: "EPOCH", n: 3 });
  assert.deepEqual(got.at(-1), [3, false], "handed over within push, no promise in between");
  box.close();
  box.push({ kind: "EPOCH", n: 4 });
  assert.equal(got.length, 4, "nothing after close");
  assert.deepEqual(ended, [undefined]);
  assert.equal(closed, 1);
});

test("a listened mailbox ends its listener with the error that failed it, once", async () => {
  const box = new Mailbox<Item>();
  const ended: (Error | undefined)[] = [];
  box.listen({ item: () => {}, end: (e) => ended.push(e) });
  await new Promise((r) => setImmediate(r));
  box.fail(new SlowSubscriberError(5));
  box.close();
  assert.equal(ended.length, 1);
  assert.ok(ended[0] instanceof SlowSubscriberError);

  // Failed before the listener was attached: it still hears why.
  const early = new Mailbox<Item>({ softLimit: 1, hardLimit: 2 });
  for (let n = 0; n < 3; n++) early.push({ kind: "EPOCH", n });
  const heard: (Error | undefined)[] = [];
  early.listen({ item: () => assert.fail("no items after a failure"), end: (e) => heard.push(e) });
  await new Promise((r) => setImmediate(r));
  assert.ok(heard[0] instanceof SlowSubscriberError);
});

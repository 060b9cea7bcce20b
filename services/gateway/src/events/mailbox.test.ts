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

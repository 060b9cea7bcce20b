import assert from "node:assert/strict";
import { test } from "node:test";
import { WireView } from "./wire-view.ts";

const clock = () => {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
};
const iso = (ms: number) => new Date(1_700_000_000_000 + ms).toISOString();

test("duplicate and reordered heartbeats are dropped; a restarted trainer's low seq is not", () => {
  const c = clock();
  const view = new WireView(1_000, c.now);
  assert.equal(view.observe("t", 5, iso(5_000)), true);
  assert.equal(view.observe("t", 5, iso(5_000)), false, "duplicate");
  assert.equal(view.observe("t", 4, iso(4_000)), false, "overtaken by seq 5");
  assert.equal(view.isSuperseded("t", 4, iso(4_000)), true);
  assert.equal(view.isSuperseded("t", 5, iso(5_000)), false, "the newest itself may be stored");
  assert.equal(view.observe("t", 0, iso(9_000)), true, "a new process counts from 0 again, later");
  assert.equal(view.observe("t", 0, iso(8_000)), false, "older than the restarted process's first beat");
});

test("a trainer is silent only after the timeout since it was last heard, or since listening began", () => {
  const c = clock();
  const view = new WireView(1_000, c.now);
  c.advance(900);
  assert.deepEqual(view.silent(["a", "b"]), [], "nobody is judged before one timeout of listening");
  view.observe("a", 0, iso(0));
  c.advance(200);
  assert.deepEqual(view.silent(["a", "b"]), ["b"]);
  c.advance(1_000);
  assert.deepEqual(view.silent(["a", "b"]), ["a", "b"]);
  // A reordered beat does not count as hearing the trainer.
  view.observe("a", 1, iso(1));
  c.advance(900);
  assert.equal(view.observe("a", 0, iso(0)), false);
  c.advance(200);
  assert.deepEqual(view.silent(["a"]), ["a"]);
});

test("nobody is judged while the replica is disconnected, nor for one timeout after it reconnects", () => {
  const c = clock();
  const view = new WireView(1_000, c.now);
  view.observe("a", 0, iso(0));
  view.disconnected();
  c.advance(5_000);
  assert.deepEqual(view.silent(["a"]), [], "silence we could not have heard");
  view.reconnected();
  c.advance(999);
  assert.deepEqual(view.silent(["a"]), [], "trainers get one full timeout to reconnect");
  c.advance(2);
  assert.deepEqual(view.silent(["a"]), ["a"]);
});

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { JsMsg } from "@nats-io/jetstream";
import { keepJobAlive } from "./keep-alive.ts";

function fakeDelivery() {
  const sent: number[] = [];
  // Only working() is used; everything else of a JsMsg stays untouched.
  const msg = { working: () => sent.push(Date.now()) } as unknown as JsMsg;
  return { msg, sent };
}

test("sends in-progress acks every third of the ack wait and holds the job while the process runs", () => {
  mock.timers.enable({ apis: ["setInterval", "Date"], now: 0 });
  try {
    const { msg, sent } = fakeDelivery();
    const alive = keepJobAlive(msg, 3_000);
    for (let t = 0; t < 100; t++) mock.timers.tick(100);
    assert.equal(sent.length, 10);
    assert.equal(alive.mayHaveLost(), false);
    alive.stop();
  } finally {
    mock.timers.reset();
  }
});

test("a process frozen past the ack wait (SIGSTOP) may have lost its job", () => {
  mock.timers.enable({ apis: ["setInterval", "Date"], now: 0 });
  try {
    const { msg } = fakeDelivery();
    const alive = keepJobAlive(msg, 3_000);
    mock.timers.tick(1_000);
    // Frozen: the clock moves on, no timer runs; then thawed.
    mock.timers.setTime(20_000);
    assert.equal(alive.mayHaveLost(), true);
    mock.timers.tick(1_000);
    assert.equal(alive.mayHaveLost(), true, "and it stays so");
    alive.stop();
  } finally {
    mock.timers.reset();
  }
});

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import type { RunProgress } from "@graft/contracts";
import { progressReporter } from "./progress-reporter.ts";

const batch = (done: number): RunProgress => ({
  phase: "TRAINING",
  done,
  total: 100,
  epoch: 1,
  epochs: 2,
  etaSeconds: null,
});

test("sends at most one report per interval, and the newest one at the interval's end", () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  try {
    const sent: number[] = [];
    const reporter = progressReporter((p) => sent.push(p.done), 1_000);
    for (let done = 1; done <= 25; done++) {
      reporter.report(batch(done));
      mock.timers.tick(100);
    }
    // t=0 sends 1; 2..10 wait and 10 goes at t=1000; then 20 at t=2000; 25 is the last, sent at t=3000.
    assert.deepEqual(sent, [1, 10, 20]);
    mock.timers.tick(1_000);
    assert.deepEqual(sent, [1, 10, 20, 25]);
  } finally {
    mock.timers.reset();
  }
});

test("sends nothing after stop, not even a report that was waiting", () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  try {
    const sent: number[] = [];
    const reporter = progressReporter((p) => sent.push(p.done), 1_000);
    reporter.report(batch(1));
    reporter.report(batch(2));
    reporter.stop();
    reporter.report(batch(3));
    mock.timers.tick(5_000);
    assert.deepEqual(sent, [1]);
  } finally {
    mock.timers.reset();
  }
});

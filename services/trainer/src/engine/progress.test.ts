import assert from "node:assert/strict";
import { test } from "node:test";
import { ProgressMeter, type ProgressReport } from "./progress.ts";

/** A meter on a clock the test moves by hand. */
function meter(intervalMs = 250) {
  let now = 0;
  const reports: ProgressReport[] = [];
  const m = new ProgressMeter(
    (r) => reports.push(r),
    intervalMs,
    () => now,
  );
  return { m, reports, tick: (ms: number) => (now += ms) };
}

test("reports each phase's start, then at most once per interval, and always its last unit", () => {
  const { m, reports, tick } = meter(250);
  m.begin("EXTRACTING_FEATURES", 10);
  for (let i = 0; i < 10; i++) {
    tick(100);
    m.advance();
  }
  // start, then every third 100 ms step (>= 250 ms apart), then the 10th unit.
  assert.deepEqual(
    reports.map((r) => r.done),
    [0, 3, 6, 9, 10],
  );
  assert.ok(reports.every((r) => r.phase === "EXTRACTING_FEATURES" && r.total === 10 && r.epoch === null));
});

test("the ETA is the phase's rate so far times what is left, later epochs included while training", () => {
  const { m, reports, tick } = meter(0);
  m.begin("TRAINING", 4, { epoch: 2, epochs: 3, after: 4 });
  assert.equal(reports.at(-1)?.etaSeconds, null, "nothing measured yet");
  tick(2_000);
  m.advance();
  // 2 s per batch, 3 batches of this epoch and 4 of the last one left.
  assert.deepEqual(reports.at(-1), { phase: "TRAINING", done: 1, total: 4, epoch: 2, epochs: 3, etaSeconds: 14 });
});

test("a meter without a listener costs nothing and reports nothing", () => {
  const m = new ProgressMeter(undefined);
  m.begin("TRAINING", 3);
  m.advance();
});

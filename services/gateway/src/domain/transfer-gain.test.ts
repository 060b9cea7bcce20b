import assert from "node:assert/strict";
import { test } from "node:test";
import { type GainEpoch, transferGain } from "./transfer-gain.ts";

const curve = (accuracies: (number | null)[], secondsPerEpoch = 2): GainEpoch[] =>
  accuracies.map((accuracy, i) => ({ epoch: i + 1, accuracy, durationMs: secondsPerEpoch * 1000 }));

test("compares the run with scratch epoch by epoch and at the last common epoch", () => {
  const gain = transferGain({
    run: curve([0.8, 0.9, 0.95]),
    scratch: curve([0.3, 0.6, 0.85], 5),
    linearProbe: curve([0.7, 0.8, 0.82]),
  });
  assert.deepEqual(
    gain.perEpoch.map((e) => [e.epoch, Number(e.difference.toFixed(6))]),
    [
      [1, 0.5],
      [2, 0.3],
      [3, 0.1],
    ],
  );
  assert.equal(gain.finalEpoch, 3);
  assert.equal(Number((gain.finalDifference as number).toFixed(6)), 0.1);
  // Target 0.9 x 0.95 = 0.855: the run reaches it at epoch 2 (4 s); scratch never does.
  assert.equal(Number((gain.targetAccuracy as number).toFixed(6)), 0.855);
  assert.deepEqual(gain.run, { epochs: 2, seconds: 4 });
  assert.deepEqual(gain.scratch, { epochs: null, seconds: null });
  assert.equal(gain.epochSpeedup, null, "no speed-up when scratch never reaches the target");
  assert.equal(gain.timeSpeedup, null);
  assert.equal(Number((gain.linearProbeGap as number).toFixed(6)), 0.13);
  assert.equal(gain.linearProbeEpoch, 3);
});

test("speed-up in epochs and seconds against a given target", () => {
  const gain = transferGain(
    { run: curve([0.5, 0.7, 0.9], 1), scratch: curve([0.2, 0.4, 0.6, 0.75], 3), linearProbe: null },
    0.7,
  );
  assert.deepEqual(gain.run, { epochs: 2, seconds: 2 });
  assert.deepEqual(gain.scratch, { epochs: 4, seconds: 12 });
  assert.equal(gain.epochSpeedup, 2);
  assert.equal(gain.timeSpeedup, 6);
  assert.equal(gain.finalEpoch, 3, "equal epochs: the scratch arm's fourth epoch has no partner");
  assert.equal(gain.linearProbeGap, null);
});

test("ties give a zero difference and a speed-up of 1", () => {
  const gain = transferGain({ run: curve([0.6, 0.8]), scratch: curve([0.6, 0.8]), linearProbe: curve([0.6, 0.8]) });
  assert.deepEqual(
    gain.perEpoch.map((e) => e.difference),
    [0, 0],
  );
  assert.equal(gain.epochSpeedup, 1);
  assert.equal(gain.timeSpeedup, 1);
  assert.equal(gain.linearProbeGap, 0);
});

test("missing or unfinished arms leave their fields null", () => {
  const noScratch = transferGain({ run: curve([0.5, 0.9]), scratch: null, linearProbe: null });
  assert.deepEqual(noScratch.perEpoch, []);
  assert.equal(noScratch.finalDifference, null);
  assert.equal(noScratch.epochSpeedup, null);
  assert.deepEqual(noScratch.run, { epochs: 2, seconds: 4 });

  const runUnfinished = transferGain({ run: null, scratch: curve([0.5]), linearProbe: curve([0.4]) });
  assert.deepEqual(runUnfinished.perEpoch, []);
  assert.deepEqual(runUnfinished.run, { epochs: null, seconds: null });
  assert.equal(runUnfinished.linearProbeGap, null);

  const nothing = transferGain({ run: null, scratch: null, linearProbe: null });
  assert.equal(nothing.targetAccuracy, null);
});

test("epochs without the metric (no validation split) are skipped, not read as zero", () => {
  const gain = transferGain({ run: curve([null, 0.9]), scratch: curve([0.4, null]), linearProbe: null }, 0.5);
  assert.deepEqual(gain.perEpoch, []);
  assert.deepEqual(gain.run, { epochs: 2, seconds: 4 });
  assert.deepEqual(gain.scratch, { epochs: null, seconds: null });
});

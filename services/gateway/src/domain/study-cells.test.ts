import assert from "node:assert/strict";
import { test } from "node:test";
import { type StudyRunResult, studyResults } from "./study-cells.ts";

const epochs = (...accuracies: (number | null)[]) =>
  accuracies.map((accuracy, i) => ({ epoch: i + 1, accuracy, durationMs: 1000 * (i + 1) }));

const run = (arm: StudyRunResult["arm"], fraction: number, seed: number, accs: (number | null)[], succeeded = true) =>
  ({ baseModelId: "b", arm, fraction, samples: fraction * 100, seed, succeeded, epochs: epochs(...accs) }) as const;

test("a cell is the mean and sample spread of its seeds' final accuracies, with time and epochs to target", () => {
  const { cells, targetAccuracy } = studyResults(
    [
      run("FINE_TUNE", 1, 1, [0.5, 0.8]),
      run("FINE_TUNE", 1, 2, [0.7, 0.9]),
      run("SCRATCH", 1, 1, [0.2, 0.4]),
      run("SCRATCH", 1, 2, [0.3, 0.6]),
    ],
    0.75,
  );
  assert.equal(targetAccuracy, 0.75);
  const fine = cells.find((c) => c.arm === "FINE_TUNE");
  assert.equal(fine?.seeds, 2);
  assert.ok(Math.abs((fine?.meanAccuracy ?? 0) - 0.85) < 1e-12);
  assert.ok(Math.abs((fine?.stdAccuracy ?? 0) - Math.sqrt(0.005)) < 1e-12, "sample standard deviation (n - 1)");
  assert.equal(fine?.meanSeconds, 3, "1 s + 2 s per run");
  assert.equal(fine?.epochsToTarget, 2, "both seeds reach 0.75 at epoch 2");
  assert.equal(fine?.secondsToTarget, 3);
  assert.equal(fine?.reachedTarget, 2);
  const scratch = cells.find((c) => c.arm === "SCRATCH");
  assert.equal(scratch?.epochsToTarget, null, "no scratch seed reached the target");
  assert.equal(scratch?.reachedTarget, 0);
});

test("the default target is 0.9 x the best final accuracy; failed runs count as runs, not seeds", () => {
  const { cells, targetAccuracy, curve } = studyResults([
    run("FINE_TUNE", 0.1, 1, [0.4, 1]),
    run("FINE_TUNE", 1, 1, [0.95, 0.5]),
    run("FINE_TUNE", 1, 2, [0.99, 0.99], false),
    run("LINEAR_PROBE", 0.1, 1, [0.1, null]),
  ]);
  assert.equal(targetAccuracy, 0.9);
  const full = cells.find((c) => c.arm === "FINE_TUNE" && c.fraction === 1);
  assert.deepEqual([full?.runs, full?.seeds, full?.meanAccuracy, full?.stdAccuracy], [2, 1, 0.5, null]);
  assert.equal(full?.epochsToTarget, 1, "reached at epoch 1 even though it ended lower");
  assert.equal(cells.find((c) => c.arm === "LINEAR_PROBE")?.meanAccuracy, 0.1, "last measured epoch");
  assert.deepEqual(
    curve.map((c) => [c.arm, c.points.map((p) => p.samples)]),
    [
      ["FINE_TUNE", [10, 100]],
      ["LINEAR_PROBE", [10]],
    ],
  );
});

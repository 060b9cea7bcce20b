import assert from "node:assert/strict";
import { test } from "node:test";
import { leaderboard, strategyOf } from "./leaderboard.ts";

const hp = (over: Record<string, unknown> = {}) =>
  ({
    initialization: "PRETRAINED",
    freeze: { strategy: "ALL_BASE" },
    head: { hiddenUnits: 128, dropout: 0.5 },
    unfreezeSchedule: [],
    ...over,
  }) as Parameters<typeof strategyOf>[0];

test("a run's strategy is read from how it used its base", () => {
  assert.equal(strategyOf(hp()), "FROZEN_BASE");
  assert.equal(strategyOf(hp({ head: { hiddenUnits: 0, dropout: 0 } })), "LINEAR_PROBE");
  assert.equal(strategyOf(hp({ unfreezeSchedule: [{ epoch: 2, layers: 1 }] })), "GRADUAL_UNFREEZE");
  assert.equal(strategyOf(hp({ freeze: { strategy: "FIRST_N", layers: 2 } })), "PARTIAL_FREEZE");
  assert.equal(strategyOf(hp({ freeze: { strategy: "NONE" } })), "FULL_FINE_TUNE");
  assert.equal(strategyOf(hp({ initialization: "SCRATCH", freeze: { strategy: "NONE" } })), "SCRATCH");
});

test("the board groups by base, strategy and cut, ranks by mean accuracy, and skips unmeasured runs", () => {
  const board = leaderboard([
    { baseModelId: "a", strategy: "FROZEN_BASE", featureLayer: "flatten", accuracy: 0.9, seconds: 2 },
    { baseModelId: "a", strategy: "FROZEN_BASE", featureLayer: "flatten", accuracy: 0.8, seconds: 4 },
    { baseModelId: "a", strategy: "SCRATCH", featureLayer: "flatten", accuracy: 0.6, seconds: 30 },
    { baseModelId: "child", strategy: "LINEAR_PROBE", featureLayer: null, accuracy: 0.95, seconds: 1 },
    { baseModelId: "a", strategy: "FROZEN_BASE", featureLayer: "features", accuracy: 0.85, seconds: 1 },
    { baseModelId: "a", strategy: "LINEAR_PROBE", featureLayer: null, accuracy: null, seconds: 1 },
  ]);
  assert.deepEqual(
    board.map((e) => [e.rank, e.baseModelId, e.strategy, e.featureLayer, e.runs]),
    [
      [1, "child", "LINEAR_PROBE", null, 1],
      [2, "a", "FROZEN_BASE", "flatten", 2],
      [3, "a", "FROZEN_BASE", "features", 1],
      [4, "a", "SCRATCH", "flatten", 1],
    ],
  );
  const frozen = board[1];
  assert.ok(Math.abs((frozen?.meanAccuracy ?? 0) - 0.85) < 1e-12);
  assert.ok(Math.abs((frozen?.stdAccuracy ?? 0) - Math.sqrt(0.005)) < 1e-12);
  assert.equal(frozen?.bestAccuracy, 0.9);
  assert.equal(frozen?.meanSeconds, 3);
  assert.equal(board[0]?.stdAccuracy, null);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { ashaRungs, MAX_SWEEP_TRIALS } from "@graft/contracts";
import { ashaKeeps } from "./asha.ts";
import { BadUserInputError } from "./errors.ts";
import { planTrials, trialInput } from "./sweep-space.ts";

test("a grid's trials are its points in order, the first parameter slowest", () => {
  const trials = planTrials(
    "GRID",
    { hiddenUnits: { values: [0, 32] }, learningRate: { values: [0.01, 0.001] }, optimizer: ["ADAM", "SGD"] },
    { maxTrials: null, seed: 0 },
  );
  assert.deepEqual(
    trials.map((t) => [t.learningRate, t.optimizer, t.hiddenUnits]),
    [
      [0.01, "ADAM", 0],
      [0.01, "ADAM", 32],
      [0.01, "SGD", 0],
      [0.01, "SGD", 32],
      [0.001, "ADAM", 0],
      [0.001, "ADAM", 32],
      [0.001, "SGD", 0],
      [0.001, "SGD", 32],
    ],
  );
});

test("random draws are seeded, inside their ranges, log-uniform on a LOG scale", () => {
  const space = {
    learningRate: { min: 1e-5, max: 1e-1, scale: "LOG" },
    hiddenUnits: { min: 16, max: 20 },
    dropout: { values: [0, 0.5] },
  };
  const a = planTrials("RANDOM", space, { maxTrials: 100, seed: 3 });
  assert.equal(a.length, 100);
  assert.deepEqual(planTrials("RANDOM", space, { maxTrials: 100, seed: 3 }), a, "same seed, same trials");
  assert.notDeepEqual(planTrials("RANDOM", space, { maxTrials: 100, seed: 4 }), a);
  const rates = a.map((t) => t.learningRate as number);
  assert.ok(rates.every((r) => r >= 1e-5 && r <= 1e-1));
  // Log-uniform: about a quarter of the draws per decade, not 90% in the top one.
  const topDecade = rates.filter((r) => r >= 1e-2).length / rates.length;
  assert.ok(topDecade > 0.1 && topDecade < 0.45, `share in the top decade: ${topDecade}`);
  assert.deepEqual(new Set(a.map((t) => t.hiddenUnits)), new Set([16, 17, 18, 19, 20]));
  assert.deepEqual(new Set(a.map((t) => t.dropout)), new Set([0, 0.5]));
});

test("spaces that cannot be swept are refused with the field at fault", () => {
  const refused = (method: "GRID" | "RANDOM", space: unknown, maxTrials: number | null, field: string) =>
    assert.throws(
      () => planTrials(method, space, { maxTrials, seed: 0 }),
      (e: unknown) => e instanceof BadUserInputError && e.field === field,
      `${field}: ${JSON.stringify(space)}`,
    );
  refused("GRID", {}, null, "input.space");
  refused("GRID", { learningRate: { values: [0.1, 0.1] } }, null, "input.space.learningRate.values");
  refused("GRID", { learningRate: { values: [0.1], min: 0.1, max: 1 } }, null, "input.space.learningRate");
  refused("GRID", { learningRate: { min: 0.1, max: 1 } }, null, "input.space.learningRate");
  refused("RANDOM", { learningRate: { min: 1, max: 0.1 } }, 3, "input.space.learningRate.max");
  refused("RANDOM", { learningRate: { min: -1, max: 0.1, scale: "LOG" } }, 3, "input.space.learningRate.min");
  refused("RANDOM", { hiddenUnits: { min: 1.5, max: 4 } }, 3, "input.space.hiddenUnits.min");
  refused("RANDOM", { learningRate: { values: [0.1] } }, null, "input.maxTrials");
  refused("RANDOM", { learningRate: { values: [0.1] } }, MAX_SWEEP_TRIALS + 1, "input.maxTrials");
  refused("GRID", { hiddenUnits: { values: [1, 2, 3] }, dropout: { values: [0, 0.5] } }, 5, "input.maxTrials");
  const big = Array.from({ length: 11 }, (_, i) => i);
  refused("GRID", { hiddenUnits: { values: big }, batchSize: { values: big.map((i) => i + 1) } }, null, "input.space");
});

test("a trial's parameters override the shared settings; head fields merge", () => {
  assert.deepEqual(
    trialInput({ head: { hiddenUnits: 8, dropout: 0.2 }, maxSamples: 100 }, { hiddenUnits: 64, learningRate: 0.1 }),
    { head: { hiddenUnits: 64, dropout: 0.2 }, maxSamples: 100, learningRate: 0.1 },
  );
});

test("ASHA rungs and the top-1/eta rule", () => {
  assert.deepEqual(ashaRungs(1, 27, 3), [1, 3, 9]);
  assert.deepEqual(ashaRungs(1, 6, 2), [1, 2, 4]);
  assert.deepEqual(ashaRungs(3, 3, 2), []);
  assert.equal(ashaKeeps(0.1, [0.1], 3, "MAXIMIZE"), true, "the first at a rung is kept");
  assert.equal(ashaKeeps(0.2, [0.9, 0.2], 2, "MAXIMIZE"), false);
  assert.equal(ashaKeeps(0.9, [0.2, 0.9], 2, "MAXIMIZE"), true);
  assert.equal(ashaKeeps(0.5, [0.9, 0.5, 0.2], 2, "MAXIMIZE"), true, "2nd of 3 is in the top ceil(3/2)");
  assert.equal(ashaKeeps(0.5, [0.9, 0.7, 0.5], 3, "MAXIMIZE"), false);
  assert.equal(ashaKeeps(0.3, [0.3, 0.9], 2, "MINIMIZE"), true, "losses: lower is better");
  assert.equal(ashaKeeps(null, [0.3, null], 2, "MAXIMIZE"), false, "no value is the worst");
  assert.equal(ashaKeeps(0.5, [0.5, 0.5], 2, "MAXIMIZE"), true, "ties favour the trial");
});

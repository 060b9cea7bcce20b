import assert from "node:assert/strict";
import { test } from "node:test";
import { decimals, studyArms } from "./parse.ts";
import { studyCsv } from "./study-export.ts";

test("study CSV has one row per cell, empty fields for nulls and quoted names", () => {
  const csv = studyCsv([
    {
      baseModel: { id: "1", name: 'cnn, "v2"' },
      arm: "FINE_TUNE",
      fraction: 0.1,
      samples: 392,
      runs: 2,
      seeds: 2,
      meanAccuracy: 0.9,
      stdAccuracy: 0.01,
      minAccuracy: 0.89,
      maxAccuracy: 0.91,
      meanSeconds: 3.5,
      epochsToTarget: null,
      secondsToTarget: null,
      reachedTarget: 0,
    },
  ]);
  const [header, row, extra] = csv.split("\n");
  assert.equal(header?.split(",").length, 14);
  assert.equal(row, '"cnn, ""v2""",FINE_TUNE,0.1,392,2,2,0.9,0.01,0.89,0.91,3.5,,,0');
  assert.equal(extra, undefined);
});

test("study grid flags: arms in the CLI's spelling, fractions as numbers", () => {
  assert.deepEqual(studyArms("fine-tune,linear-probe"), ["FINE_TUNE", "LINEAR_PROBE"]);
  assert.throws(() => studyArms("fine-tune,random"), /got "random"/);
  assert.deepEqual(decimals("0.01, 0.1,1"), [0.01, 0.1, 1]);
  assert.throws(() => decimals("0.1,x"), /expected a number/);
});

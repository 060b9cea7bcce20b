import assert from "node:assert/strict";
import { test } from "node:test";
import { RunProgressPhase } from "@graft/client";
import { duration } from "./output.ts";
import { progressLine } from "./watch.ts";

const at = "2026-01-01T00:00:00.000Z";

test("the watch's progress line names the phase, the epoch, done/total with a bar, and the ETA", () => {
  assert.equal(
    progressLine({
      phase: RunProgressPhase.Training,
      done: 12,
      total: 48,
      epoch: 2,
      epochs: 5,
      etaSeconds: 65,
      updatedAt: at,
    }),
    "training epoch 2/5 [######------------------] 12/48 ETA 1m05s",
  );
  // Unknown totals and not-yet-measured rates leave their parts out.
  assert.equal(
    progressLine({
      phase: RunProgressPhase.Preprocessing,
      done: 0,
      total: 0,
      epoch: null,
      epochs: null,
      etaSeconds: null,
      updatedAt: at,
    }),
    "preprocessing",
  );
});

test("ETAs read as seconds, minutes or hours", () => {
  assert.deepEqual([duration(4.4), duration(125), duration(7_500)], ["4s", "2m05s", "2h05m"]);
});

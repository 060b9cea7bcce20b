import assert from "node:assert/strict";
import { test } from "node:test";
import { type EpochMetrics, epochMetricsSchema } from "@graft/contracts";
import { getTableColumns } from "drizzle-orm";
import { runEpochs } from "./schema.ts";

type MetricColumns = Omit<typeof runEpochs.$inferSelect, "runId" | "epoch" | "attempt" | "recordedAt">;

test("run_epochs has one column per epoch metric of the contract, of the same type", () => {
  const keys = Object.keys(getTableColumns(runEpochs)).filter(
    (key) => !["runId", "epoch", "attempt", "recordedAt"].includes(key),
  );
  assert.deepEqual(keys.sort(), [...epochMetricsSchema.keyof().options].sort());
  // The typecheck fails here if a column's type and the contract's drift apart.
  const metrics: EpochMetrics = epochMetricsSchema.parse({
    loss: 1,
    accuracy: null,
    valLoss: null,
    valAccuracy: null,
    learningRate: 0.1,
    durationMs: 1,
    samplesPerSecond: 1,
    trainableParams: 1,
    frozenLayers: 0,
  });
  const row: MetricColumns = metrics;
  const back: EpochMetrics = row;
  assert.deepEqual(back, metrics);
});

import { z } from "zod";

/** The metrics a run can be judged by: `Experiment.objectiveMetric`, early stopping, series and best-epoch queries. */
export const METRIC_NAMES = ["loss", "accuracy", "valLoss", "valAccuracy"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Losses are better low, accuracies high. */
export const higherIsBetter = (metric: MetricName): boolean => metric === "accuracy" || metric === "valAccuracy";

/**
 * What a trainer measures in one epoch: the one definition of an epoch's metrics. The stored
 * row (`run_epochs`), the subscriber notification and the checkpoint all carry exactly these.
 */
export const epochMetricsSchema = z.object({
  loss: z.number(),
  accuracy: z.number().nullable(),
  valLoss: z.number().nullable(),
  valAccuracy: z.number().nullable(),
  learningRate: z.number(),
  durationMs: z.number().nonnegative(),
  samplesPerSecond: z.number().nonnegative(),
  trainableParams: z.number().int().nonnegative(),
  frozenLayers: z.number().int().nonnegative(),
});
export type EpochMetrics = z.infer<typeof epochMetricsSchema>;

/** An epoch as the gateway stored it: its metrics, which epoch, which attempt reported it, and when. */
export const epochRecordSchema = epochMetricsSchema.extend({
  epoch: z.number().int().min(1),
  attempt: z.number().int().min(1),
  recordedAt: z.iso.datetime({ offset: true }),
});
export type EpochRecord = z.infer<typeof epochRecordSchema>;

import {
  type Hyperparameters,
  type HyperparametersInput,
  hyperparametersSchema,
  type JobMessage,
} from "@graft/contracts";

/**
 * Valid hyperparameters, parsed as the trainer receives them, with small and fast
 * defaults (2 epochs, batch 32, learning rate 0.01, seed 7); `overrides` win.
 */
export function hyperparameters(overrides: Partial<HyperparametersInput> = {}): Hyperparameters {
  return hyperparametersSchema.parse({ epochs: 2, batchSize: 32, learningRate: 0.01, seed: 7, ...overrides });
}

/**
 * A valid fine-tune job for `runId`: base `base-1` (28x28x1, stored at `models/base-1`) on
 * the built-in MNIST 5-9, one epoch with the schema's default hyperparameters. `overrides`
 * replace whole fields.
 */
export function jobMessage(runId: string, overrides: Partial<JobMessage> = {}): JobMessage {
  return {
    runId,
    projectId: "project-1",
    pool: "default",
    outputModelId: `${runId}-out`,
    baseModel: {
      id: "base-1",
      name: "base",
      artifactKey: "models/base-1",
      inputShape: [28, 28, 1],
      labels: ["a", "b"],
      preprocessing: { inputRange: [0, 1], channels: 1 },
      featureLayer: null,
    },
    dataset: { id: "ds-1", name: "mnist-5-9", source: { kind: "BUILTIN", name: "mnist-5-9" }, labels: ["5", "6"] },
    hyperparameters: hyperparametersSchema.parse({ epochs: 1 }),
    enqueuedAt: new Date().toISOString(),
    ...overrides,
  };
}

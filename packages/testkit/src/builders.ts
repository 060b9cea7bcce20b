import {
  deriveJobToken,
  type Hyperparameters,
  type HyperparametersInput,
  hyperparametersSchema,
  type JobMessage,
  jobClaim,
  type RunEvent,
} from "@graft/contracts";

/** The secret tests derive job tokens from when no gateway is involved (`testJobToken`). */
export const TEST_JOB_TOKEN_SECRET = "graft-testkit-job-token-secret";

/** The job token a test job for `runId` carries. */
export const testJobToken = (runId: string) => deriveJobToken(TEST_JOB_TOKEN_SECRET, runId);

/** A run event before its sender signs it. */
export type UnclaimedRunEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, "claim"> : never) : never;

/** An event as a trainer holding the run's job token would send it: `claim` filled in. */
export function claimed(event: UnclaimedRunEvent, jobToken = testJobToken(event.runId)): RunEvent {
  return { ...event, claim: jobClaim(jobToken, event) } as RunEvent;
}

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
    jobToken: testJobToken(runId),
    forkedFrom: null,
    ...overrides,
  };
}

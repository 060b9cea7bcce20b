import { z } from "zod";
import { METRIC_NAMES } from "./metrics.ts";

/**
 * Fine-tune hyperparameters: one schema for the gateway (which rejects bad input with the
 * field at fault) and the trainer (which re-validates what it receives). Ranges are wide
 * enough for real work and narrow enough to refuse absurd values.
 */

export const OPTIMIZERS = ["ADAM", "SGD", "RMSPROP", "ADAGRAD"] as const;
export type Optimizer = (typeof OPTIMIZERS)[number];
export const FREEZE_STRATEGIES = ["ALL_BASE", "FIRST_N", "NONE"] as const;
export type FreezeStrategy = (typeof FREEZE_STRATEGIES)[number];

/** PRETRAINED starts from the base's weights; SCRATCH re-initializes them (a control arm). */
export const INITIALIZATIONS = ["PRETRAINED", "SCRATCH"] as const;
export type Initialization = (typeof INITIALIZATIONS)[number];

/**
 * Control arms a fine-tune can ask for, run as sibling runs on the same split and seed:
 * SCRATCH = same architecture re-initialized, every layer trained; LINEAR_PROBE = frozen
 * base, linear head (no hidden layer).
 */
export const CONTROL_KINDS = ["SCRATCH", "LINEAR_PROBE"] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

export const freezeSchema = z
  .object({
    /** ALL_BASE freezes every base layer (feature cache applies); FIRST_N the first `layers`; NONE trains all. */
    strategy: z.enum(FREEZE_STRATEGIES),
    layers: z.number().int().min(0).max(10_000).optional(),
  })
  .refine((f) => f.strategy !== "FIRST_N" || f.layers !== undefined, {
    message: "FIRST_N needs `layers`, the number of base layers to freeze",
    path: ["layers"],
  });

export const headSchema = z.object({
  /** Units of an optional hidden dense layer before the classifier; 0 means none. */
  hiddenUnits: z.number().int().min(0).max(4096).default(0),
  dropout: z.number().min(0).max(0.9).default(0),
});

export const unfreezeStepSchema = z.object({
  /** 1-based epoch at whose start the top `layers` base layers become trainable. */
  epoch: z.number().int().min(1).max(1000),
  layers: z.number().int().min(1).max(10_000),
});

export const earlyStoppingSchema = z.object({
  monitor: z.enum(METRIC_NAMES).default("valLoss"),
  patience: z.number().int().min(1).max(100).default(3),
  minDelta: z.number().min(0).max(1).default(0),
});

/**
 * hyperparameters.inputSize's range. A multiple of 32: MobileNet- and ResNet-style backbones
 * halve the resolution five times, and "same" padding keeps every stage's map even only then.
 */
export const INPUT_SIZE = { min: 32, max: 1024, multipleOf: 32 } as const;

/** Most epoch checkpoints one run may keep for forking (hyperparameters.keepCheckpoints). */
export const MAX_KEPT_CHECKPOINTS = 20;

export const hyperparametersSchema = z
  .object({
    epochs: z.number().int().min(1).max(1000),
    batchSize: z.number().int().min(1).max(4096).default(32),
    optimizer: z.enum(OPTIMIZERS).default("ADAM"),
    learningRate: z.number().gt(0).max(1).default(0.001),
    freeze: freezeSchema.default({ strategy: "ALL_BASE" }),
    head: headSchema.default({ hiddenUnits: 0, dropout: 0 }),
    unfreezeSchedule: z.array(unfreezeStepSchema).max(100).default([]),
    earlyStopping: earlyStoppingSchema.nullable().default(null),
    validationSplit: z.number().min(0).max(0.5).default(0.2),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(42),
    /** Upper bound on training samples drawn (stratified) from the dataset; null uses all. */
    maxSamples: z.number().int().min(10).max(10_000_000).nullable().default(null),
    /**
     * Share of the training split trained on (a study's data fraction): a seeded, stratified
     * subsample taken after the train/validation split, so every fraction of one seed keeps the
     * same validation set and smaller fractions are subsets of larger ones.
     */
    trainFraction: z.number().gt(0).max(1).default(1),
    /** Layer to cut the base at; null means the layer before the base's classifier head. */
    featureLayer: z.string().min(1).max(200).nullable().default(null),
    /** SCRATCH trains the base's architecture from re-initialized weights (needs freeze NONE). */
    initialization: z.enum(INITIALIZATIONS).default("PRETRAINED"),
    /**
     * Epoch checkpoints to keep after the run (the last K), so it can be forked at one of those
     * epochs; 0 keeps none once the run ends. Bounded: each is the child's weights and optimizer state.
     */
    keepCheckpoints: z.number().int().min(0).max(MAX_KEPT_CHECKPOINTS).default(0),
    /**
     * Square input resolution to train at (images are resized to it), for bases whose
     * backbone allows it (`inputResizeProblem`); null keeps the base's own input size.
     */
    inputSize: z
      .number()
      .int()
      .min(INPUT_SIZE.min, `inputSize must be at least ${INPUT_SIZE.min}`)
      .max(INPUT_SIZE.max, `inputSize must be at most ${INPUT_SIZE.max}`)
      .multipleOf(INPUT_SIZE.multipleOf, `inputSize must be a multiple of ${INPUT_SIZE.multipleOf}`)
      .nullable()
      .default(null),
  })
  .superRefine((hp, ctx) => {
    for (const [i, step] of hp.unfreezeSchedule.entries()) {
      if (step.epoch > hp.epochs) {
        ctx.addIssue({
          code: "custom",
          path: ["unfreezeSchedule", i, "epoch"],
          message: `epoch ${step.epoch} is after the last epoch (${hp.epochs})`,
        });
      }
    }
    if (hp.initialization === "SCRATCH" && (hp.freeze.strategy !== "NONE" || hp.unfreezeSchedule.length > 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["freeze", "strategy"],
        message: "a SCRATCH initialization trains every layer: freeze NONE, no unfreeze schedule",
      });
    }
    if (hp.earlyStopping?.monitor.startsWith("val") && hp.validationSplit === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["earlyStopping", "monitor"],
        message: "monitoring a validation metric needs validationSplit > 0",
      });
    }
  });

export type Hyperparameters = z.infer<typeof hyperparametersSchema>;
export type HyperparametersInput = z.input<typeof hyperparametersSchema>;

import type { Hyperparameters } from "./hyperparameters.ts";

export const TRAINING_PATHS = ["FEATURE_CACHE", "FULL"] as const;
export type TrainingPath = (typeof TRAINING_PATHS)[number];

/**
 * How a fine-tune trains. When every base layer stays frozen for the whole run (ALL_BASE and
 * no unfreeze schedule), the backbone's output never changes: its features are computed once
 * and only the head trains (FEATURE_CACHE). Otherwise every batch runs the whole model (FULL).
 */
export function trainingPathFor(hyperparameters: Pick<Hyperparameters, "freeze" | "unfreezeSchedule">): TrainingPath {
  return hyperparameters.freeze.strategy === "ALL_BASE" && hyperparameters.unfreezeSchedule.length === 0
    ? "FEATURE_CACHE"
    : "FULL";
}

/**
 * The layers a fine-tune attaches above the cut (its head). Every other layer of a child came
 * from its base, which is how the gateway tells base layers from head layers when it judges
 * lineage.
 */
export const HEAD_LAYER_NAMES = {
  hidden: "graft_head_hidden",
  dropout: "graft_head_dropout",
  output: "graft_head_output",
} as const;

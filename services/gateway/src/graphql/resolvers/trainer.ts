import type { TrainerResolvers } from "../resolvers.generated.ts";

export const Trainer: TrainerResolvers = {
  currentRuns: (t, _, { domain }) => domain.runs.currentOf(t.id),
};

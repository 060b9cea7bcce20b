import type {
  apiKeys,
  datasets,
  experiments,
  joinTokens,
  models,
  runAttempts,
  runEpochs,
  runs,
  trainers,
} from "@graft/db";

/** Rows as the domain hands them to resolvers. */
export type ModelRow = typeof models.$inferSelect;
export type DatasetRow = typeof datasets.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type RunRow = typeof runs.$inferSelect;
export type TrainerRow = typeof trainers.$inferSelect;
export type EpochRow = typeof runEpochs.$inferSelect;
export type AttemptRow = typeof runAttempts.$inferSelect;

/** Credentials as listed: everything but the hash of the secret. */
export type ApiKeyRow = Omit<typeof apiKeys.$inferSelect, "hash">;
export type JoinTokenRow = Omit<typeof joinTokens.$inferSelect, "hash">;

import { UnauthenticatedError } from "../../domain/errors.ts";
import type { QueryResolvers } from "../resolvers.generated.ts";

export const Query: QueryResolvers = {
  models: (_, { filter, first, after }, { domain }) => domain.models.page(filter, first, after),
  model: (_, { id }, { domain }) => domain.models.get(id),
  datasets: (_, __, { domain }) => domain.datasets.list(),
  dataset: (_, { id }, { domain }) => domain.datasets.get(id),
  experiments: (_, __, { domain }) => domain.experiments.list(),
  experiment: (_, { id }, { domain }) => domain.experiments.get(id),
  runs: (_, { filter, first, after, orderBy }, { domain }) => domain.runs.page(filter, first, after, orderBy),
  run: (_, { id }, { domain }) => domain.runs.get(id),
  studies: (_, __, { domain }) => domain.studies.list(),
  study: (_, { id }, { domain }) => domain.studies.get(id),
  sweeps: (_, __, { domain }) => domain.sweeps.list(),
  sweep: (_, { id }, { domain }) => domain.sweeps.get(id),
  leaderboard: async (_, { datasetId }, { domain }) =>
    domain.runs.leaderboard((await domain.datasets.get(datasetId, "datasetId")).id),
  trainers: (_, { status }, { domain }) => domain.trainers.list(status),
  trainer: (_, { id }, { domain }) => domain.trainers.get(id),
  viewer: (_, __, { viewer }) => {
    if (!viewer) throw new UnauthenticatedError("missing API key");
    return viewer;
  },
  apiKeys: (_, { includeRevoked }, { domain }) => domain.apiKeyCommands.list(includeRevoked ?? false),
  joinTokens: (_, { includeRevoked }, { domain }) => domain.joinTokenCommands.list(includeRevoked ?? false),
  eventDrops: (_, { first }, { domain }) => domain.eventDrops.list(first ?? 50),
};

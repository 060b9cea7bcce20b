import type { MutationResolvers } from "../resolvers.generated.ts";

export const Mutation: MutationResolvers = {
  registerModel: (_, { input }, { domain }) => domain.modelCommands.register(input),
  createDataset: (_, { input }, { domain }) => domain.datasetCommands.create(input),
  createExperiment: (_, { input }, { domain }) => domain.experimentCommands.create(input),
  startFineTune: (_, { input }, { domain }) => domain.runCommands.start(input),
  cancelRun: (_, { id }, { domain }) => domain.runCommands.cancel(id),
  registerTrainer: (_, { input }, { domain }) => domain.trainerCommands.register(input),
  drainTrainer: (_, { id }, { domain }) => domain.trainerCommands.drain(id),
};

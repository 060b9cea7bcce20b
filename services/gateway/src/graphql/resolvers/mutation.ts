import type { MutationResolvers } from "../resolvers.generated.ts";

export const Mutation: MutationResolvers = {
  registerModel: (_, { input }, { domain }) => domain.modelCommands.register(input),
  createDataset: (_, { input }, { domain }) => domain.datasetCommands.create(input),
  createExperiment: (_, { input }, { domain }) => domain.experimentCommands.create(input),
  startFineTune: (_, { input }, { domain }) => domain.runCommands.start(input),
  startStudy: (_, { input }, { domain }) => domain.studyCommands.start(input),
  startSweep: (_, { input }, { domain }) => domain.sweepCommands.start(input),
  cancelSweep: (_, { id }, { domain }) => domain.sweepCommands.cancel(id),
  cancelRun: (_, { id }, { domain }) => domain.runCommands.cancel(id),
  forkRun: (_, { input }, { domain }) => domain.runCommands.fork(input),
  registerTrainer: (_, { input }, { domain }) => domain.trainerCommands.register(input),
  drainTrainer: (_, { id }, { domain }) => domain.trainerCommands.drain(id),
  removeTrainer: (_, { id }, { domain }) => domain.trainerCommands.remove(id),
  createApiKey: (_, { input }, { domain }) => domain.apiKeyCommands.create(input),
  revokeApiKey: (_, { id }, { domain }) => domain.apiKeyCommands.revoke(id),
  createJoinToken: (_, { input }, { domain }) => domain.joinTokenCommands.create(input),
  revokeJoinToken: (_, { id }, { domain }) => domain.joinTokenCommands.revoke(id),
  createSession: (_, { apiKey }, { domain }) => domain.sessionCommands.create(apiKey),
  revokeSession: (_, __, { domain }) => domain.sessionCommands.revokeCurrent(),
};

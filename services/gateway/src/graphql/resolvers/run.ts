import { runErrorSchema } from "@graft/contracts";
import { NotFoundError } from "../../domain/errors.ts";
import type { RunRow } from "../../domain/rows.ts";
import { type Loaders, modelLoader } from "../loaders.ts";
import type {
  DatasetResolvers,
  EpochMetricsResolvers,
  ExperimentResolvers,
  HyperparametersResolvers,
  RunAttemptResolvers,
  RunResolvers,
} from "../resolvers.generated.ts";
import { trialOf } from "./sweep.ts";

export const Run: RunResolvers = {
  baseModel: async (r, _, { loaders }, info) =>
    (await modelLoader(loaders, info).load(r.baseModelId)) ?? Promise.reject(new NotFoundError("model", r.baseModelId)),
  dataset: async (r, _, { loaders }) =>
    (await loaders.dataset.load(r.datasetId)) ?? Promise.reject(new NotFoundError("dataset", r.datasetId)),
  experiment: (r, _, { loaders }) => (r.experimentId ? loaders.experiment.load(r.experimentId) : null),
  hyperparameters: (r) => r.hyperparameters as never,
  epochs: (r, _, { loaders }) => loaders.epochs.load(r.id),
  series: (r, { metric, maxPoints }, { loaders }) => loaders.series(metric, maxPoints ?? 2000).load(r.id),
  bestEpoch: (r, { metric }, { loaders }) => loaders.bestEpoch(metric ?? "valAccuracy").load(r.id),
  trainer: (r, _, { loaders }) => (r.trainerId ? loaders.trainer.load(r.trainerId) : null),
  // From the event plane's memory, not the row: progress is never stored (see ProgressBoard).
  progress: (r, _, { events }) => events?.progressOf(r) ?? null,
  attempts: (r, _, { loaders }) => loaders.attempts.load(r.id),
  outputModel: (r, _, { loaders }, info) =>
    r.outputModelCreated ? modelLoader(loaders, info).load(r.outputModelId) : null,
  // Read through the contract: a code stored before run error codes were a closed list reads as TRAINING_ERROR.
  error: (r) => (r.error ? runErrorSchema.parse(r.error) : null),
  controlOf: (r, _, { loaders }) => (r.controlOf ? loaders.run.load(r.controlOf) : null),
  controls: (r, _, { domain }) => domain.runs.controlsOf(r.id),
  transferGain: (r, { metric, targetAccuracy }, { domain }) =>
    domain.runs.transferGain(r, metric ?? "valAccuracy", targetAccuracy),
  study: (r, _, { loaders }) => (r.studyId ? loaders.study.load(r.studyId) : null),
  forkedFrom: async (r, _, { loaders }) => forkOf(r, loaders),
  forks: (r, _, { domain }) => domain.runs.forksOf(r.id),
  forkableEpochs: (r) => forkableEpochs(r),
  sweep: async (r, _, { loaders }) => (await loaders.sweepTrialOfRun.load(r.id))?.sweep ?? null,
  sweepTrial: async (r, _, { loaders }) => {
    const found = await loaders.sweepTrialOfRun.load(r.id);
    return found ? trialOf(found.sweep, found.trial) : null;
  },
};

/** Where a fork started; null for other runs (and for a fork whose parent was deleted). */
export async function forkOf(r: RunRow, loaders: Loaders) {
  if (!r.forkedFromRunId || !r.forkedFromEpoch) return null;
  const run = await loaders.run.load(r.forkedFromRunId);
  return run ? { run, epoch: r.forkedFromEpoch } : null;
}

/**
 * The epochs a fork can start from: the run keeps the checkpoints of its last
 * `keepCheckpoints` epochs, written before each epoch is stored, so these are the last K stored.
 */
function forkableEpochs(r: RunRow): number[] {
  const keep = (r.hyperparameters as { keepCheckpoints?: number }).keepCheckpoints ?? 0;
  const first = Math.max(1, r.lastEpoch - keep + 1);
  return keep > 0 ? Array.from({ length: Math.max(0, r.lastEpoch - first + 1) }, (_, i) => first + i) : [];
}

export const Hyperparameters: HyperparametersResolvers = {
  freezeStrategy: (h) => h.freeze.strategy,
  freezeLayers: (h) => h.freeze.layers ?? null,
  headHiddenUnits: (h) => h.head.hiddenUnits,
  headDropout: (h) => h.head.dropout,
  earlyStopping: (h) => h.earlyStopping,
  // Runs stored before initialization existed started from the base's weights.
  initialization: (h) => h.initialization ?? "PRETRAINED",
  // Runs stored before data fractions existed trained on the whole training split.
  trainFraction: (h) => h.trainFraction ?? 1,
  // Runs stored before forks existed kept no epoch checkpoints.
  keepCheckpoints: (h) => h.keepCheckpoints ?? 0,
  // Runs stored before input sizes existed trained at the base's.
  inputSize: (h) => h.inputSize ?? null,
  raw: (h) => h,
};

export const EpochMetrics: EpochMetricsResolvers = {};

export const RunAttempt: RunAttemptResolvers = {
  trainer: (a, _, { loaders }) => (a.trainerId ? loaders.trainer.load(a.trainerId) : null),
};

export const Experiment: ExperimentResolvers = {
  runs: (e, { first, after }, { domain }) => domain.runs.page({ experimentId: e.id }, first, after),
  bestRun: (e, _, { domain }) => domain.runs.bestOfExperiment(e.id, e.objectiveMetric, e.objectiveDirection),
};

export const Dataset: DatasetResolvers = {
  builtin: (d) => d.projectId === null,
  classes: (d) =>
    d.labels.map((label, i) => ({ label, count: d.classCounts[i] ?? 0, sampleTexts: d.sampleTexts?.[i] ?? [] })),
};

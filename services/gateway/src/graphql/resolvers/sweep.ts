import { NotFoundError } from "../../domain/errors.ts";
import type { SweepRow, SweepSpec, SweepTrialRow } from "../../domain/sweep-ledger.ts";
import type { SweepTrialParent } from "../parents.ts";
import type { SweepResolvers, SweepTrialResolvers } from "../resolvers.generated.ts";

const spec = (s: SweepRow) => s.spec as unknown as SweepSpec;

/** A trial as `SweepTrial` resolves it: with the metric its sweep judges by. */
export const trialOf = (s: SweepRow, t: SweepTrialRow): SweepTrialParent => ({ ...t, metricName: spec(s).metric });

export const Sweep: SweepResolvers = {
  baseModel: async (s, _, { loaders }) =>
    (await loaders.model.load(s.baseModelId)) ?? Promise.reject(new NotFoundError("model", s.baseModelId)),
  dataset: async (s, _, { loaders }) =>
    (await loaders.dataset.load(s.datasetId)) ?? Promise.reject(new NotFoundError("dataset", s.datasetId)),
  method: (s) => spec(s).method,
  seed: (s) => spec(s).seed,
  space: (s) => spec(s).space,
  metric: (s) => spec(s).metric,
  goal: (s) => spec(s).goal,
  maxEpochs: (s) => spec(s).maxEpochs,
  maxConcurrentTrials: (s) => spec(s).maxConcurrentTrials,
  reductionFactor: (s) => spec(s).asha?.reductionFactor ?? null,
  minEpochs: (s) => spec(s).asha?.minEpochs ?? null,
  rungs: (s) => spec(s).rungs,
  // One query for the trials of every sweep in the request, read once for trials and bestTrial.
  trials: async (s, _, { loaders }) => (await loaders.sweepTrials.load(s.id)).map((t) => trialOf(s, t)),
  bestTrial: async (s, _, { loaders }) => {
    if (!s.bestRunId) return null;
    const best = (await loaders.sweepTrials.load(s.id)).find((t) => t.runId === s.bestRunId);
    return best ? trialOf(s, best) : null;
  },
  bestModel: async (s, _, { loaders }) => {
    if (!s.bestRunId) return null;
    const run = await loaders.run.load(s.bestRunId);
    return run?.outputModelCreated ? await loaders.model.load(run.outputModelId) : null;
  },
};

export const SweepTrial: SweepTrialResolvers = {
  index: (t) => t.trial,
  run: (t, _, { loaders }) => (t.runId ? loaders.run.load(t.runId) : null),
  stoppedEarly: (t) => t.stoppedAtRung !== null,
  // Only the last epoch is read: a live sweep page asks this of every trial on every notice.
  metric: async (t, _, { loaders }) => {
    if (!t.runId) return null;
    return (await loaders.lastEpoch.load(t.runId))?.[t.metricName] ?? null;
  },
};

import { NotFoundError } from "../../domain/errors.ts";
import type { StudySpec } from "../../domain/studies.ts";
import type { StudyCellResolvers, StudyCurveResolvers, StudyResolvers } from "../resolvers.generated.ts";

const spec = (s: { spec: unknown }) => s.spec as StudySpec;

export const Study: StudyResolvers = {
  status: (s, _, { domain }) => domain.studies.status(s.id),
  dataset: async (s, _, { loaders }) =>
    (await loaders.dataset.load(s.datasetId)) ?? Promise.reject(new NotFoundError("dataset", s.datasetId)),
  baseModels: async (s, _, { loaders }) =>
    (await Promise.all(spec(s).baseModelIds.map((id) => loaders.model.load(id)))).filter(
      (m) => m !== null && m !== undefined,
    ),
  fractions: (s) => spec(s).fractions,
  arms: (s) => spec(s).arms,
  seeds: (s) => spec(s).seeds,
  epochs: (s) => spec(s).epochs,
  runs: (s, _, { domain }) => domain.studies.runsOf(s.id),
  targetAccuracy: async (s, { targetAccuracy }, { domain }) =>
    (await domain.studies.results(s, targetAccuracy)).targetAccuracy,
  cells: async (s, { targetAccuracy }, { domain }) => (await domain.studies.results(s, targetAccuracy)).cells,
  curve: async (s, _, { domain }) => (await domain.studies.results(s)).curve,
};

const baseModel = async (c: { baseModelId: string }, loaders: { model: { load(id: string): Promise<unknown> } }) =>
  (await loaders.model.load(c.baseModelId)) ?? Promise.reject(new NotFoundError("model", c.baseModelId));

export const StudyCell: StudyCellResolvers = {
  baseModel: (c, _, { loaders }) => baseModel(c, loaders) as never,
};

export const StudyCurve: StudyCurveResolvers = {
  baseModel: (c, _, { loaders }) => baseModel(c, loaders) as never,
};

import { NotFoundError } from "../../domain/errors.ts";
import type { Domain } from "../../domain/index.ts";
import type { ModelRow } from "../../domain/rows.ts";
import type { StudyRow, StudySpec } from "../../domain/studies.ts";
import type { StudyResults } from "../../domain/study-cells.ts";
import type {
  LeaderboardEntryResolvers,
  StudyCellResolvers,
  StudyCurveResolvers,
  StudyResolvers,
} from "../resolvers.generated.ts";

const spec = (s: { spec: unknown }) => s.spec as StudySpec;

// `targetAccuracy`, `cells` and `curve` all come from one computation over the study's stored
// runs and epochs: read them once per study row (that is, once per request), not per field.
const resultsByRow = new WeakMap<StudyRow, Map<number | null | undefined, Promise<StudyResults>>>();
function resultsOf(domain: Domain, study: StudyRow, targetAccuracy?: number | null): Promise<StudyResults> {
  const byTarget = resultsByRow.get(study) ?? new Map<number | null | undefined, Promise<StudyResults>>();
  resultsByRow.set(study, byTarget);
  const key = targetAccuracy ?? undefined;
  const results = byTarget.get(key) ?? domain.studies.results(study, targetAccuracy);
  byTarget.set(key, results);
  return results;
}

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
    (await resultsOf(domain, s, targetAccuracy)).targetAccuracy,
  cells: async (s, { targetAccuracy }, { domain }) => (await resultsOf(domain, s, targetAccuracy)).cells,
  curve: async (s, _, { domain }) => (await resultsOf(domain, s)).curve,
};

/** The row a cell or entry names by `baseModelId`, or NOT_FOUND. */
const baseModel = async (
  c: { baseModelId: string },
  loaders: { model: { load(id: string): Promise<ModelRow | null | undefined> } },
): Promise<ModelRow> =>
  (await loaders.model.load(c.baseModelId)) ?? Promise.reject(new NotFoundError("model", c.baseModelId));

export const StudyCell: StudyCellResolvers = {
  baseModel: (c, _, { loaders }) => baseModel(c, loaders),
};

export const StudyCurve: StudyCurveResolvers = {
  baseModel: (c, _, { loaders }) => baseModel(c, loaders),
};

export const LeaderboardEntry: LeaderboardEntryResolvers = {
  baseModel: (e, _, { loaders }) => baseModel(e, loaders),
  rootModel: async (e, _, { loaders }) => {
    const base = await baseModel(e, loaders);
    return (
      (await loaders.model.load(base.rootId ?? base.id)) ??
      Promise.reject(new NotFoundError("model", base.rootId ?? base.id))
    );
  },
  baseDepth: async (e, _, { loaders }) => (await baseModel(e, loaders)).depth,
};

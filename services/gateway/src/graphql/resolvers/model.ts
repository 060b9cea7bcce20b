import { selectsOnlySummaryModelFields } from "../light-selection.ts";
import { modelFor } from "../loaders.ts";
import type { LayerResolvers, ModelResolvers, PreprocessingResolvers } from "../resolvers.generated.ts";
import { forkOf } from "./run.ts";

export const Model: ModelResolvers = {
  parent: (m, _, { loaders }, info) => (m.parentId ? modelFor(loaders, info, m.parentId) : null),
  children: (m, _, { domain }) => domain.models.children(m),
  ancestors: (m, _, { domain }) => domain.models.ancestors(m),
  descendants: async (m, { maxDepth }, { domain, loaders }, info) => {
    if (!selectsOnlySummaryModelFields(info)) return domain.models.descendants(m, maxDepth);
    const found = await domain.models.descendantSummaries(m, maxDepth);
    // Each one's parent is the model asked about or another of them.
    loaders.summaries.set(m.id, m);
    for (const model of found) loaders.summaries.set(model.id, model);
    return found;
  },
  siblings: (m, _, { domain }) => domain.models.siblings(m),
  producedBy: (m, _, { loaders }) => (m.producedByRunId ? loaders.run.load(m.producedByRunId) : null),
  forkedFrom: async (m, _, { loaders }) => {
    const run = m.producedByRunId ? await loaders.run.load(m.producedByRunId) : null;
    return run ? forkOf(run, loaders) : null;
  },
  // Not async: a model no run produced answers null at once, without a promise per model.
  bestMetric: (m, { metric }, { loaders }) => {
    if (!m.producedByRunId) return null;
    const name = metric ?? "valAccuracy";
    return loaders
      .bestEpoch(name)
      .load(m.producedByRunId)
      .then((epoch) => epoch?.[name] ?? null);
  },
  provenance: (m) => m.provenance ?? null,
  featureLayerCandidates: (m, _, { domain }) => domain.fineTuning.featureLayerCandidates(m),
  fineTuneDefaults: (m, _, { domain }) => {
    const d = domain.fineTuning.defaults(m);
    return {
      featureLayer: d.featureLayer,
      headHiddenUnits: d.head.hiddenUnits,
      headDropout: d.head.dropout,
      learningRate: d.learningRate,
    };
  },
};

export const Layer: LayerResolvers = {};

/** Image rows predate `kind`; text rows carry `kind: "text"`. */
export const Preprocessing: PreprocessingResolvers = {
  kind: (p) => ("kind" in p ? "text" : "image"),
  inputRange: (p) => ("inputRange" in p ? p.inputRange : null),
  channels: (p) => ("channels" in p ? p.channels : null),
  sequenceLength: (p) => ("kind" in p ? p.sequenceLength : null),
  padding: (p) => ("kind" in p ? p.padding : null),
  truncation: (p) => ("kind" in p ? p.truncation : null),
  padTokenId: (p) => ("kind" in p ? p.padTokenId : null),
  tokenizerSha256: (p) => ("kind" in p ? p.tokenizerSha256 : null),
};

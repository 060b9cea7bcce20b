import type { LayerResolvers, ModelResolvers } from "../resolvers.generated.ts";

export const Model: ModelResolvers = {
  parent: (m, _, { loaders }) => (m.parentId ? loaders.model.load(m.parentId) : null),
  children: (m, _, { domain }) => domain.models.children(m),
  ancestors: (m, _, { domain }) => domain.models.ancestors(m),
  descendants: (m, { maxDepth }, { domain }) => domain.models.descendants(m, maxDepth),
  siblings: (m, _, { domain }) => domain.models.siblings(m),
  producedBy: (m, _, { loaders }) => (m.producedByRunId ? loaders.run.load(m.producedByRunId) : null),
  bestMetric: (m, { metric }, { domain }) =>
    m.producedByRunId ? domain.runs.bestMetric(m.producedByRunId, metric ?? "valAccuracy") : null,
  provenance: (m) => m.provenance ?? null,
};

export const Layer: LayerResolvers = {};

import { type ArtifactStore, featureLayerCandidates } from "@graft/artifacts";
import { BUILTIN_MODELS } from "@graft/catalog";
import { headSchema, hyperparametersSchema } from "@graft/contracts";
import type { ModelRow } from "./rows.ts";

export interface FineTuneDefaults {
  featureLayer: string | null;
  head: { hiddenUnits: number; dropout: number };
  learningRate: number;
}

const SCHEMA_DEFAULTS = {
  head: headSchema.parse({}),
  learningRate: hyperparametersSchema.parse({ epochs: 1 }).learningRate,
};

/**
 * What a fine-tune of `model` uses for what the input leaves out: a built-in base's
 * measured defaults (@graft/catalog, docs/transfer-defaults.md), else the hyperparameter
 * schema's, with the model's recorded cut point. The catalog wins over the stored
 * featureLayer, so a database seeded before the defaults were measured gets them too.
 */
export function fineTuneDefaultsOf(model: ModelRow): FineTuneDefaults {
  // A row seeded by an older catalog may name a built-in this one no longer has.
  const builtin = model.builtinKey ? BUILTIN_MODELS.find((m) => m.key === model.builtinKey) : undefined;
  return {
    featureLayer: builtin?.featureLayer ?? model.featureLayer,
    head: builtin?.defaults?.head ?? SCHEMA_DEFAULTS.head,
    learningRate: builtin?.defaults?.learningRate ?? SCHEMA_DEFAULTS.learningRate,
  };
}

export interface FeatureLayerCandidateRow {
  name: string;
  className: string;
  outputShape: number[];
  params: number;
  isDefault: boolean;
}

// Artifacts never change under their key, so their candidates are computed once per gateway.
const candidateCache = new Map<string, ReturnType<typeof featureLayerCandidates>>();
const CACHE_LIMIT = 500;

/** Layers a new head can follow, from the model's stored topology (read as data). */
export async function featureLayerCandidatesOf(
  store: ArtifactStore,
  model: ModelRow,
): Promise<FeatureLayerCandidateRow[]> {
  let found = candidateCache.get(model.artifactKey);
  if (!found) {
    // Only model.json: the topology is all the shapes need, the weights stay in the store.
    const json = await store.get(`${model.artifactKey}/model.json`);
    if (!json) return [];
    found = featureLayerCandidates({ modelJson: JSON.parse(new TextDecoder().decode(json)) });
    if (candidateCache.size >= CACHE_LIMIT) candidateCache.clear();
    candidateCache.set(model.artifactKey, found);
  }
  const defaultLayer = fineTuneDefaultsOf(model).featureLayer;
  return found.map((c) => ({
    name: c.name,
    className: c.className,
    outputShape: c.outputShape,
    params: model.layers.filter((l) => l.index <= c.index).reduce((sum, l) => sum + l.params, 0),
    isDefault: c.name === defaultLayer,
  }));
}

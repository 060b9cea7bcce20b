import { type ModelArtifact, type ParsedModel, parseModelArtifact } from "@graft/artifacts";
import { type BuiltinModelKey, builtinModel } from "@graft/catalog";
import { loadModel } from "./model-io.ts";

/** Loads a built-in base model and its parsed description (with per-layer hashes). */
export async function loadBuiltin(key: BuiltinModelKey) {
  const meta = builtinModel(key);
  const artifact: ModelArtifact = await meta.load();
  const parsed: ParsedModel = parseModelArtifact(artifact);
  const base = await loadModel({ kind: "artifact", artifact });
  return { meta, artifact, parsed, base };
}

/** Frozen layers whose hashes differ from the parent's (empty when lineage is verified). */
export function changedFrozenLayers(parent: ParsedModel, child: ParsedModel, frozen: string[]): string[] {
  const parentHash = new Map(parent.layers.map((l) => [l.name, l.weightHash]));
  return child.layers
    .filter((l) => frozen.includes(l.name) && l.weightHash !== parentHash.get(l.name))
    .map((l) => l.name);
}

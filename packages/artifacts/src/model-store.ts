import { InvalidModelError } from "./errors.ts";
import { consolidate, type ModelArtifact, WEIGHTS_FILE } from "./model-format.ts";
import type { ArtifactStore } from "./store.ts";

/** Stores a model under `<key>/model.json` and `<key>/weights.bin`; returns the bytes written. */
export async function putModel(
  store: ArtifactStore,
  key: string,
  artifact: ModelArtifact,
): Promise<{ sizeBytes: number }> {
  const { modelJson, weights } = consolidate(artifact);
  const json = new TextEncoder().encode(JSON.stringify(modelJson));
  // Weights first: a model.json is only ever visible once its weights are complete.
  await store.put(`${key}/${WEIGHTS_FILE}`, weights);
  await store.put(`${key}/model.json`, json);
  return { sizeBytes: json.byteLength + weights.byteLength };
}

/** Reads a model stored by putModel; null when absent. Does not validate (see parseModelArtifact). */
export async function getModel(store: ArtifactStore, key: string): Promise<ModelArtifact | null> {
  const json = await store.get(`${key}/model.json`);
  if (!json) return null;
  const weights = (await store.get(`${key}/${WEIGHTS_FILE}`)) ?? new Uint8Array();
  try {
    return { modelJson: JSON.parse(new TextDecoder().decode(json)), weights };
  } catch (cause) {
    throw new InvalidModelError(`stored model.json at ${key} is not valid JSON`, { cause });
  }
}

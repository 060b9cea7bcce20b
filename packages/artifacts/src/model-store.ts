import { InvalidModelError } from "./errors.ts";
import { consolidate, type ModelArtifact, WEIGHTS_FILE } from "./model-format.ts";
import type { ArtifactStore } from "./store.ts";
import { TOKENIZER_FILE } from "./tokenizer.ts";

/** The objects a model may have under its key. */
export const MODEL_FILES = ["model.json", WEIGHTS_FILE, TOKENIZER_FILE] as const;

/** Stores a model under `<key>/model.json`, `<key>/weights.bin` (and `<key>/tokenizer.json`); returns the bytes written. */
export async function putModel(
  store: ArtifactStore,
  key: string,
  artifact: ModelArtifact,
): Promise<{ sizeBytes: number }> {
  const { modelJson, weights, tokenizer } = consolidate(artifact);
  const json = new TextEncoder().encode(JSON.stringify(modelJson));
  // Weights and tokenizer first: a model.json is only ever visible once the rest is complete.
  await store.put(`${key}/${WEIGHTS_FILE}`, weights);
  if (tokenizer) await store.put(`${key}/${TOKENIZER_FILE}`, tokenizer);
  await store.put(`${key}/model.json`, json);
  return { sizeBytes: json.byteLength + weights.byteLength + (tokenizer?.byteLength ?? 0) };
}

/** Reads a model stored by putModel; null when absent. Does not validate (see parseModelArtifact). */
export async function getModel(store: ArtifactStore, key: string): Promise<ModelArtifact | null> {
  const json = await store.get(`${key}/model.json`);
  if (!json) return null;
  const weights = (await store.get(`${key}/${WEIGHTS_FILE}`)) ?? new Uint8Array();
  const tokenizer = await store.get(`${key}/${TOKENIZER_FILE}`);
  try {
    return { modelJson: JSON.parse(new TextDecoder().decode(json)), weights, ...(tokenizer ? { tokenizer } : {}) };
  } catch (cause) {
    throw new InvalidModelError(`stored model.json at ${key} is not valid JSON`, { cause });
  }
}

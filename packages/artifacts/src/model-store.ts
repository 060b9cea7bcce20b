import { createHash } from "node:crypto";
import { InvalidModelError } from "./errors.ts";
import { consolidate, type ModelArtifact, WEIGHTS_FILE } from "./model-format.ts";
import type { ArtifactStore } from "./store.ts";
import { TOKENIZER_FILE } from "./tokenizer.ts";

/** The objects a model may have under its key. */
export const MODEL_FILES = ["model.json", WEIGHTS_FILE, TOKENIZER_FILE] as const;

/**
 * Size and digest of a stored model: sha256 over model.json, weights.bin and tokenizer.json
 * (when present) in that order, as stored. What a trainer reports and the gateway re-reads.
 */
export function storedModelDigest(files: { json: Uint8Array; weights: Uint8Array; tokenizer?: Uint8Array | null }) {
  const hash = createHash("sha256").update(files.json).update(files.weights);
  if (files.tokenizer) hash.update(files.tokenizer);
  const sizeBytes = files.json.byteLength + files.weights.byteLength + (files.tokenizer?.byteLength ?? 0);
  return { sizeBytes, sha256: hash.digest("hex") };
}

/**
 * Reads a stored model's files as bytes (for its digest) with the artifact they make; null when
 * model.json is absent.
 */
export async function getModelBytes(store: ArtifactStore, key: string) {
  const json = await store.get(`${key}/model.json`);
  if (!json) return null;
  const weights = (await store.get(`${key}/${WEIGHTS_FILE}`)) ?? new Uint8Array();
  const tokenizer = await store.get(`${key}/${TOKENIZER_FILE}`);
  return { json, weights, tokenizer };
}

/** Stores a model under `<key>/model.json`, `<key>/weights.bin` (and `<key>/tokenizer.json`); returns the bytes written and their digest. */
export async function putModel(
  store: ArtifactStore,
  key: string,
  artifact: ModelArtifact,
): Promise<{ sizeBytes: number; sha256: string }> {
  const { modelJson, weights, tokenizer } = consolidate(artifact);
  const json = new TextEncoder().encode(JSON.stringify(modelJson));
  // Weights and tokenizer first: a model.json is only ever visible once the rest is complete.
  await store.put(`${key}/${WEIGHTS_FILE}`, weights);
  if (tokenizer) await store.put(`${key}/${TOKENIZER_FILE}`, tokenizer);
  await store.put(`${key}/model.json`, json);
  return storedModelDigest({ json, weights, tokenizer });
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

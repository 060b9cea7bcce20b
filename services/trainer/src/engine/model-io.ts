import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  consolidate,
  InvalidModelError,
  type ModelArtifact,
  parseModelArtifact,
  parseModelFiles,
  TOKENIZER_FILE,
} from "@graft/artifacts";
import * as tf from "@tensorflow/tfjs";
import { CorruptModelError } from "../job-errors.ts";
// Registers Graft's custom layers, so text transformers deserialize.
import "./layers/index.ts";

export type ModelSource =
  | { kind: "artifact"; artifact: ModelArtifact }
  | { kind: "file"; path: string }
  | { kind: "url"; url: string; fetch?: typeof fetch };

/**
 * Loads a tfjs LayersModel. Every source goes through @graft/artifacts' validation first
 * (model.json read as data, weights checked against the manifest), then tf.io.fromMemory,
 * so a bad file fails with CorruptModelError before TensorFlow sees it.
 */
export async function loadModel(source: ModelSource): Promise<tf.LayersModel> {
  const artifact = await readArtifact(source);
  try {
    parseModelArtifact(artifact);
  } catch (cause) {
    throw corrupt(cause);
  }
  const manifest = artifact.modelJson.weightsManifest as { weights: tf.io.WeightsManifestEntry[] }[];
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightData = artifact.weights.buffer.slice(
    artifact.weights.byteOffset,
    artifact.weights.byteOffset + artifact.weights.byteLength,
  ) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: artifact.modelJson.modelTopology as tf.io.ModelJSON["modelTopology"],
        weightSpecs,
        weightData,
      }),
    );
  } catch (cause) {
    throw corrupt(cause);
  }
}

function corrupt(cause: unknown): CorruptModelError {
  if (cause instanceof CorruptModelError) return cause;
  const reason =
    cause instanceof InvalidModelError ? cause.reason : cause instanceof Error ? cause.message : String(cause);
  return new CorruptModelError(reason, { cause });
}

async function readArtifact(source: ModelSource): Promise<ModelArtifact> {
  try {
    if (source.kind === "artifact") return consolidate(source.artifact);
    if (source.kind === "file") return await readFromDisk(source.path);
    return await readFromUrl(source.url, source.fetch ?? fetch);
  } catch (cause) {
    throw corrupt(cause);
  }
}

async function readFromDisk(path: string): Promise<ModelArtifact> {
  const files = new Map<string, Uint8Array>([["model.json", new Uint8Array(await readFile(path))]]);
  for (const shard of shardPaths(files.get("model.json") as Uint8Array))
    files.set(shard, new Uint8Array(await readFile(join(dirname(path), shard))));
  const tokenizer = await readFile(join(dirname(path), TOKENIZER_FILE)).catch(() => null);
  if (tokenizer) files.set(TOKENIZER_FILE, new Uint8Array(tokenizer));
  return parseModelFiles(files).artifact;
}

/** Fetches model.json, then its shards beside it (same directory URL), as tf.io.http does. */
async function readFromUrl(url: string, fetchImpl: typeof fetch): Promise<ModelArtifact> {
  const get = async (target: string) => {
    const response = await fetchImpl(target);
    if (!response.ok) throw new CorruptModelError(`GET ${target} answered ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const files = new Map<string, Uint8Array>([["model.json", await get(url)]]);
  for (const shard of shardPaths(files.get("model.json") as Uint8Array))
    files.set(shard, await get(new URL(shard, url).href));
  return parseModelFiles(files).artifact;
}

/** Shard names from the manifest; parseModelFiles re-checks that each is a plain file name. */
function shardPaths(modelJson: Uint8Array): string[] {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(modelJson));
  } catch (cause) {
    throw new CorruptModelError("model.json is not valid JSON", { cause });
  }
  const manifest = (json as { weightsManifest?: unknown }).weightsManifest;
  if (!Array.isArray(manifest)) throw new CorruptModelError("weightsManifest is missing");
  const paths = manifest.flatMap((group) => (Array.isArray(group?.paths) ? group.paths : []));
  for (const path of paths)
    if (typeof path !== "string" || !/^[A-Za-z0-9._-]{1,200}$/.test(path) || path.startsWith("."))
      throw new CorruptModelError(`weight path ${JSON.stringify(path)} is not a plain file name`);
  return paths as string[];
}

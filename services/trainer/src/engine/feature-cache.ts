import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ImagePreprocessing } from "@graft/contracts";
import type * as tf from "@tensorflow/tfjs";
import type { LabeledImages } from "./preprocess.ts";

/**
 * Features a frozen backbone extracted, kept on the trainer's local disk across runs. A study
 * or sweep runs many fine-tunes of one base on one dataset; extraction is nearly all of a
 * frozen fine-tune's time (MobileNetV2: ~0.1 s an image on WASM), so the second run with the
 * same backbone, dataset, preprocessing and backend reads the features instead.
 *
 * One file per key: the sample indices it holds (ascending) and their features, with a
 * SHA-256 of the whole file at its end. A file that is short, has a bad header or checksum
 * (a crash mid-write, a full disk, tampering) is a miss and is deleted. Files are written
 * to a temporary name and renamed, so readers never see a partial one. The directory is
 * bounded: after each write the least recently used files go until it fits `maxBytes`.
 * Features are stored in this machine's byte order: the cache is local, never shipped.
 */

const MAGIC = Buffer.from("GRAFTFC1");
const HEADER_BYTES = MAGIC.length + 8;
const CHECKSUM_BYTES = 32;
const KEY = /^[0-9a-f]{64}$/;
/** Temporary files older than this are left over from a crash. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** Features of some samples of one dataset: row k of `features` belongs to sample `indices[k]`. */
export interface StoredFeatures {
  dims: number;
  /** Sample positions in the dataset, strictly ascending. */
  indices: Int32Array;
  features: Float32Array;
}

export interface FeatureCacheOptions {
  dir: string;
  /** Bound on the directory's size; an entry larger than this is not stored. @default 1 GiB */
  maxBytes?: number;
}

export class FeatureCache {
  readonly dir: string;
  readonly maxBytes: number;

  constructor(options: FeatureCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 1024 ** 3;
  }

  private path(key: string): string {
    if (!KEY.test(key)) throw new TypeError("a feature cache key is a hex SHA-256");
    return join(this.dir, `${key}.features`);
  }

  /** The stored features for `key`, or null (absent, unreadable or corrupt: then deleted). */
  async read(key: string): Promise<StoredFeatures | null> {
    const path = this.path(key);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch {
      return null;
    }
    const entry = decode(bytes);
    if (!entry) {
      await rm(path, { force: true });
      return null;
    }
    // Recently used: eviction goes by modification time.
    const now = new Date();
    await utimes(path, now, now).catch(() => {});
    return entry;
  }

  /**
   * Stores `entry` under `key`, replacing what was there, then evicts down to `maxBytes`.
   * Never throws: the cache only saves time, so a full or read-only disk must not fail a run.
   * Returns whether the entry was stored.
   */
  async write(key: string, entry: StoredFeatures): Promise<boolean> {
    const path = this.path(key);
    const bytes = encode(entry);
    if (bytes.length > this.maxBytes) return false;
    const tmp = `${path}.${process.pid}-${randomBytes(6).toString("hex")}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    } catch {
      await rm(tmp, { force: true }).catch(() => {});
      return false;
    }
    await this.evict(path).catch(() => {});
    return true;
  }

  /** Deletes least recently used entries (never `keep`) until the directory fits maxBytes. */
  private async evict(keep: string) {
    const files = [];
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) continue;
      if (name.endsWith(".tmp")) {
        if (Date.now() - info.mtimeMs > STALE_TMP_MS) await rm(path, { force: true });
        continue;
      }
      if (name.endsWith(".features")) files.push({ path, size: info.size, used: info.mtimeMs });
    }
    let total = files.reduce((sum, f) => sum + f.size, 0);
    files.sort((a, b) => a.used - b.used);
    for (const file of files) {
      if (total <= this.maxBytes) break;
      if (file.path === keep) continue;
      await rm(file.path, { force: true });
      total -= file.size;
    }
  }
}

export const openFeatureCache = (options: FeatureCacheOptions) => new FeatureCache(options);

function encode({ dims, indices, features }: StoredFeatures): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header);
  header.writeUInt32LE(dims, MAGIC.length);
  header.writeUInt32LE(indices.length, MAGIC.length + 4);
  const body = Buffer.concat([
    header,
    Buffer.from(indices.buffer, indices.byteOffset, indices.byteLength),
    Buffer.from(features.buffer, features.byteOffset, features.byteLength),
  ]);
  return Buffer.concat([body, createHash("sha256").update(body).digest()]);
}

function decode(bytes: Buffer): StoredFeatures | null {
  if (bytes.length < HEADER_BYTES + CHECKSUM_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return null;
  const dims = bytes.readUInt32LE(MAGIC.length);
  const count = bytes.readUInt32LE(MAGIC.length + 4);
  if (dims === 0 || bytes.length !== HEADER_BYTES + count * 4 * (1 + dims) + CHECKSUM_BYTES) return null;
  const bodyEnd = bytes.length - CHECKSUM_BYTES;
  const checksum = createHash("sha256").update(bytes.subarray(0, bodyEnd)).digest();
  if (!checksum.equals(bytes.subarray(bodyEnd))) return null;
  // Copies: typed arrays need aligned offsets, and the file buffer is not kept.
  const indicesStart = HEADER_BYTES;
  const featuresStart = indicesStart + count * 4;
  const indices = new Int32Array(bytes.buffer.slice(bytes.byteOffset + indicesStart, bytes.byteOffset + featuresStart));
  let previous = -1;
  for (const index of indices) {
    if (index <= previous) return null;
    previous = index;
  }
  const features = new Float32Array(bytes.buffer.slice(bytes.byteOffset + featuresStart, bytes.byteOffset + bodyEnd));
  return { dims, indices, features };
}

const datasetHashes = new WeakMap<LabeledImages, string>();

/** SHA-256 of a dataset's pixels and shape (labels do not change features); once per dataset object. */
function datasetHash(data: LabeledImages): string {
  let hash = datasetHashes.get(data);
  if (!hash) {
    const { images } = data;
    hash = createHash("sha256")
      .update(JSON.stringify(data.shape))
      .update(Buffer.from(images.buffer, images.byteOffset, images.byteLength))
      .digest("hex");
    datasetHashes.set(data, hash);
  }
  return hash;
}

/**
 * The cache key of a backbone's features of a dataset: computed here from what extraction
 * actually uses (the backbone's topology and every weight as it is now, the pixels, the
 * preprocessing, the backend that runs it), never from names a job message claims. A fork,
 * a scratch re-initialization or a different cut therefore gets its own key.
 */
export function featureCacheKey(parts: {
  backbone: tf.LayersModel;
  data: LabeledImages;
  preprocessing: ImagePreprocessing;
  backend: string;
}): string {
  // Layers' classes and configs, not the model's JSON: tfjs names models and variables
  // uniquely per process (model_2, conv1/kernel_1), which would change the key on every load.
  const hash = createHash("sha256").update("graft-feature-cache-v1\0");
  for (const layer of parts.backbone.layers) {
    const inputs = layer.inboundNodes.map((node) => node.inboundLayers.map((l) => l.name));
    hash.update(`${layer.getClassName()}:${JSON.stringify(layer.getConfig())}:${JSON.stringify(inputs)}\0`);
  }
  hash.update(`${datasetHash(parts.data)}\0${JSON.stringify(parts.preprocessing)}\0${parts.backend}\0`);
  for (const weight of parts.backbone.weights) {
    const values = weight.read().dataSync();
    hash.update(`${weight.dtype}:${weight.shape.join("x")}\0`);
    hash.update(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
  }
  return hash.digest("hex");
}

import { decodeImage, InvalidDatasetError, isZipArchive, readImageFolderZip, readTextDataset } from "@graft/artifacts";
import { builtinDataset, loadBuiltinDatasetPixels, loadBuiltinDatasetTexts } from "@graft/catalog";
import type { DatasetSource } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { IncompatibleDatasetError } from "../job-errors.ts";
import type { TrainingData } from "./input-pipeline.ts";
import type { LabeledImages } from "./preprocess.ts";
import type { LabeledTexts } from "./text-input.ts";

export interface LoadDatasetOptions {
  /** Reads an artifact's bytes; needed for UPLOAD sources (or pass `store`). */
  readArtifact?: (key: string) => Promise<Uint8Array | null>;
  /** The artifact store (anything with its `get`); used when readArtifact is absent. */
  store?: { get(key: string): Promise<Uint8Array | null> };
  /** Height and width every uploaded image is resized to; defaults to the first image's, capped at 224. */
  imageSize?: [number, number];
  /** Called as uploaded images are decoded: `done` of `total` samples. */
  onDecoded?: (done: number, total: number) => void;
}

/**
 * Samples and labels of a dataset source: images as uint8 NHWC (MNIST: 1 channel; uploads:
 * RGB), or texts (built-in corpora; uploads stored as JSONL).
 */
export async function loadDataset(source: DatasetSource, options: LoadDatasetOptions = {}): Promise<TrainingData> {
  if (source.kind === "BUILTIN") {
    if (builtinDataset(source.name).task === "text-classification") {
      const { texts, labels, labelNames } = await loadBuiltinDatasetTexts(source.name);
      return { texts, labels, labelNames };
    }
    const pixels = await loadBuiltinDatasetPixels(source.name);
    return { images: pixels.images, shape: pixels.shape, labels: pixels.labels, labelNames: pixels.labelNames };
  }
  const store = options.store;
  const read = options.readArtifact ?? (store ? (key: string) => store.get(key) : undefined);
  if (!read) throw new IncompatibleDatasetError("no artifact store to read the upload from");
  const bytes = await read(source.artifactKey);
  if (!bytes) throw new IncompatibleDatasetError(`dataset artifact ${source.artifactKey} is missing`);
  // Zips hold image folders; anything else is a text dataset (stored as JSONL).
  return isZipArchive(bytes)
    ? imageFolderZipToImages(bytes, options.imageSize, options.onDecoded)
    : textDatasetToTexts(bytes);
}

/** Re-reads a stored text dataset with the parser that accepted its upload. */
export function textDatasetToTexts(bytes: Uint8Array): LabeledTexts {
  try {
    const { texts, targets, labels } = readTextDataset(bytes);
    return { texts, labels: targets, labelNames: labels };
  } catch (cause) {
    throw new IncompatibleDatasetError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

/**
 * Decodes a zip of class folders and resizes every image to one size. Any undecodable image
 * fails the whole dataset with IncompatibleDatasetError naming the file.
 */
export function imageFolderZipToImages(
  zip: Uint8Array,
  imageSize?: [number, number],
  onDecoded?: (done: number, total: number) => void,
): LabeledImages {
  let folder: ReturnType<typeof readImageFolderZip>;
  try {
    folder = readImageFolderZip(zip);
  } catch (cause) {
    throw new IncompatibleDatasetError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
  const n = folder.samples.length;
  let size = imageSize;
  const labels = new Int32Array(n);
  let images: Uint8Array | undefined;
  for (const [k, sample] of folder.samples.entries()) {
    let decoded: ReturnType<typeof decodeImage>;
    try {
      decoded = decodeImage(sample.bytes, sample.path);
    } catch (cause) {
      const reason = cause instanceof InvalidDatasetError ? cause.message : `image ${sample.path} cannot be decoded`;
      throw new IncompatibleDatasetError(reason, { cause });
    }
    size ??= [Math.min(decoded.height, 224), Math.min(decoded.width, 224)];
    const [h, w] = size;
    images ??= new Uint8Array(n * h * w * 3);
    const rgb = tf.tidy(() => {
      const rgba = tf.tensor3d(decoded.data, [decoded.height, decoded.width, 4], "int32");
      let image: tf.Tensor3D = rgba.slice([0, 0, 0], [-1, -1, 3]);
      if (decoded.height !== h || decoded.width !== w)
        image = tf.image.resizeBilinear(image.toFloat(), [h, w], true).round().clipByValue(0, 255) as tf.Tensor3D;
      return image.toInt();
    });
    images.set(rgb.dataSync(), k * h * w * 3);
    rgb.dispose();
    labels[k] = sample.label;
    onDecoded?.(k + 1, n);
  }
  const [h, w] = size ?? [1, 1];
  return { images: images ?? new Uint8Array(0), shape: [n, h, w, 3], labels, labelNames: folder.labels };
}

import { createRequire } from "node:module";
import type { BuiltinDatasetKey } from "@graft/contracts";
import { builtinDataset, UnknownBuiltinError } from "./datasets.ts";

export interface DatasetPixels {
  /** n*28*28 greyscale values 0..255, sample after sample. */
  images: Uint8Array;
  /** Index into labelNames per sample. */
  labels: Int32Array;
  labelNames: string[];
  shape: [number, 28, 28, 1];
}

const require = createRequire(import.meta.url);
const PIXELS = 28 * 28;
const digitCache = new Map<number, Uint8Array>();

/** One digit's samples from the `mnist` package, whose JSON holds floats in [0, 1]. */
function digitPixels(digit: number): Uint8Array {
  const cached = digitCache.get(digit);
  if (cached) return cached;
  const raw = (require(`mnist/src/digits/${digit}.json`) as { data: number[] }).data;
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = Math.round((raw[i] as number) * 255);
  digitCache.set(digit, bytes);
  return bytes;
}

/**
 * Pixels of a built-in dataset, grouped by class in label order. Consumers shuffle; the
 * order here is fixed so that seeded splits are reproducible.
 */
export async function loadBuiltinDatasetPixels(key: BuiltinDatasetKey | string): Promise<DatasetPixels> {
  const dataset = builtinDataset(key);
  if (dataset.task !== "image-classification") throw new UnknownBuiltinError("dataset", key);
  const images = new Uint8Array(dataset.sampleCount * PIXELS);
  const labels = new Int32Array(dataset.sampleCount);
  let offset = 0;
  for (const [label, digit] of dataset.digits.entries()) {
    const pixels = digitPixels(digit);
    const count = pixels.length / PIXELS;
    images.set(pixels, offset * PIXELS);
    labels.fill(label, offset, offset + count);
    offset += count;
  }
  return { images, labels, labelNames: [...dataset.labels], shape: [dataset.sampleCount, 28, 28, 1] };
}

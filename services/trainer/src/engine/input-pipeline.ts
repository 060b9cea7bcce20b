import { isTextPreprocessing, type Preprocessing } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { CorruptModelError, IncompatibleDatasetError } from "../job-errors.ts";
import { type LabeledImages, preprocessBatch } from "./preprocess.ts";
import { type LabeledTexts, textEncoder } from "./text-input.ts";

/** What a fine-tune trains on: images (pixels) or texts, each with class labels. */
export type TrainingData = LabeledImages | LabeledTexts;

export const isTextData = (data: TrainingData): data is LabeledTexts => "texts" in data;

export const sampleCount = (data: TrainingData) => (isTextData(data) ? data.texts.length : data.shape[0]);

/** Turns samples into the model's input, batch by batch. */
export interface InputPipeline {
  /** Model input for the samples at `indices` (positions in the dataset). */
  batch(indices: ArrayLike<number>): tf.Tensor;
}

/**
 * The pipeline the base's preprocessing calls for: images resized and scaled per batch,
 * or texts tokenized (once each) and stacked per batch as int32 ids.
 */
export function createInputPipeline(
  data: TrainingData,
  inputShape: number[],
  preprocessing: Preprocessing,
  tokenizer: Uint8Array | undefined,
): InputPipeline {
  if (isTextPreprocessing(preprocessing)) {
    if (!isTextData(data)) throw new IncompatibleDatasetError("the base model reads text; this dataset holds images");
    const length = preprocessing.sequenceLength;
    if (inputShape.length !== 1 || inputShape[0] !== length)
      throw new CorruptModelError(`the model takes [${inputShape}] but its preprocessing makes ${length} token ids`);
    const ids = textEncoder(data.texts, tokenizer, preprocessing);
    return {
      batch(indices) {
        const out = new Int32Array(indices.length * length);
        for (let k = 0; k < indices.length; k++) out.set(ids(indices[k] as number), k * length);
        return tf.tensor2d(out, [indices.length, length], "int32");
      },
    };
  }
  if (isTextData(data)) throw new IncompatibleDatasetError("the base model reads images; this dataset holds texts");
  return { batch: (indices) => preprocessBatch(data, indices, inputShape, preprocessing) };
}

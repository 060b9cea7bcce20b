import type { Preprocessing } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { createInputPipeline, sampleCount, type TrainingData } from "./input-pipeline.ts";

export interface Evaluation {
  accuracy: number;
  /** Mean categorical cross-entropy. */
  loss: number;
  samples: number;
}

/**
 * Accuracy and loss of a classifier on every sample of `data` (labels in the model's output
 * order), prepared as its preprocessing says: the yardstick for comparing models, e.g. a
 * fine-tuned base against the same architecture trained from scratch, on one held-out set.
 */
export async function evaluate(
  model: tf.LayersModel,
  data: TrainingData,
  preprocessing: Preprocessing,
  options: { tokenizer?: Uint8Array; batchSize?: number } = {},
): Promise<Evaluation> {
  const inputShape = (model.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  const input = createInputPipeline(data, inputShape, preprocessing, options.tokenizer);
  const n = sampleCount(data);
  const batchSize = options.batchSize ?? 64;
  let correct = 0;
  let lossSum = 0;
  for (let start = 0; start < n; start += batchSize) {
    const indices = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const x = input.batch(indices);
    const [hits, loss] = tf.tidy(() => {
      const y = tf.oneHot(
        tf.tensor1d(
          Int32Array.from(indices, (i) => data.labels[i] as number),
          "int32",
        ),
        data.labelNames.length,
      );
      const p = model.predict(x) as tf.Tensor2D;
      return [tf.metrics.categoricalAccuracy(y, p).sum(), tf.metrics.categoricalCrossentropy(y, p).sum()];
    });
    correct += (await (hits as tf.Tensor).data())[0] as number;
    lossSum += (await (loss as tf.Tensor).data())[0] as number;
    tf.dispose([x, hits, loss]);
  }
  return { accuracy: correct / n, loss: lossSum / n, samples: n };
}

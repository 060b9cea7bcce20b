import type { ImagePreprocessing } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";

/** Images as the engine receives them: uint8 NHWC pixels, labels indexing labelNames. */
export interface LabeledImages {
  images: Uint8Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  labelNames: string[];
}

/**
 * The model input for the samples at `indices`: resized to the base's input, grey -> RGB
 * (or RGB -> grey), and scaled from [0, 255] into preprocessing.inputRange. Called per
 * batch so a large resized dataset never sits in memory at once.
 */
export function preprocessBatch(
  data: LabeledImages,
  indices: ArrayLike<number>,
  inputShape: number[],
  preprocessing: ImagePreprocessing,
): tf.Tensor4D {
  const [, h, w, c] = data.shape;
  const size = h * w * c;
  const pixels = new Uint8Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k] as number;
    pixels.set(data.images.subarray(i * size, (i + 1) * size), k * size);
  }
  const [targetH, targetW, targetC] = inputShape as [number, number, number];
  const [min, max] = preprocessing.inputRange;
  return tf.tidy(() => {
    let x: tf.Tensor4D = tf.tensor4d(pixels, [indices.length, h, w, c], "int32").toFloat();
    if (h !== targetH || w !== targetW) x = tf.image.resizeBilinear(x, [targetH, targetW], true);
    if (c !== targetC) {
      if (c === 1) x = tf.tile(x, [1, 1, 1, targetC]);
      else x = tf.mean(x.slice([0, 0, 0, 0], [-1, -1, -1, Math.min(c, 3)]), -1, true) as tf.Tensor4D;
      if (x.shape[3] !== targetC) x = tf.tile(x, [1, 1, 1, targetC]);
    }
    return x.mul((max - min) / 255).add(min) as tf.Tensor4D;
  });
}

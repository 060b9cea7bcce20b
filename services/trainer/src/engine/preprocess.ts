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
    const x: tf.Tensor4D = tf.tensor4d(pixels, [indices.length, h, w, c], "int32").toFloat();
    const resize = (t: tf.Tensor4D) =>
      h === targetH && w === targetW ? t : tf.image.resizeBilinear(t, [targetH, targetW], true);
    // Channels and scaling are per pixel: done where there are fewer pixels. For 28x28 digits
    // going to 224x224 that is 64x less work, and tf.tile of the upscaled batch alone took 14 %
    // of MobileNetV2's extraction on WASM (bench/feature-extraction.bench.ts). Bilinear
    // resizing is linear, so the order changes values only by float rounding.
    const perPixel = (t: tf.Tensor4D) => {
      let y = t;
      if (c > targetC) y = tf.mean(y, -1, true) as tf.Tensor4D;
      y = y.mul((max - min) / 255).add(min);
      return y.shape[3] === targetC ? y : tf.tile(y, [1, 1, 1, targetC]);
    };
    return targetH * targetW > h * w ? resize(perPixel(x)) : perPixel(resize(x));
  });
}

import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";
import { type LabeledImages, preprocessBatch } from "./preprocess.ts";

await initBackend();

/** Random pixels of `n` images of h x w x c. */
function images(n: number, h: number, w: number, c: number): LabeledImages {
  let seed = 1;
  const pixels = Uint8Array.from({ length: n * h * w * c }, () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % 256;
  });
  return { images: pixels, shape: [n, h, w, c], labels: new Int32Array(n), labelNames: ["a", "b"] };
}

/** The textbook order: resize first, then channels, then scaling, all at the model's size. */
function reference(
  data: LabeledImages,
  indices: number[],
  inputShape: [number, number, number],
  range: [number, number],
) {
  const c = data.shape[3];
  const [th, tw, tc] = inputShape;
  return tf.tidy(() => {
    const picked = tf.gather(tf.tensor4d(data.images, data.shape, "int32").toFloat(), indices);
    let x = tf.image.resizeBilinear(picked as tf.Tensor4D, [th, tw], true) as tf.Tensor;
    if (c > tc) x = tf.mean(x, -1, true);
    if (x.shape[3] !== tc) x = tf.tile(x, [1, 1, 1, tc]);
    return x.mul((range[1] - range[0]) / 255).add(range[0]);
  });
}

test("preprocessing equals resize, then channels, then scaling, up to rounding, whichever order it runs in", () => {
  const cases: [LabeledImages, [number, number, number], [number, number]][] = [
    [images(5, 28, 28, 1), [224, 224, 3], [0, 1]], // grey digits up to MobileNetV2
    [images(5, 28, 28, 1), [28, 28, 1], [-1, 1]], // same size, no resize
    [images(5, 64, 48, 3), [32, 32, 1], [0, 1]], // RGB down to grey
    [images(5, 20, 20, 3), [40, 40, 3], [-1, 1]], // RGB up
  ];
  for (const [data, shape, inputRange] of cases) {
    const got = preprocessBatch(data, [4, 0, 2], shape, { inputRange, channels: shape[2] as 1 | 3 });
    const want = reference(data, [4, 0, 2], shape, inputRange);
    assert.deepEqual(got.shape, [3, ...shape]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(got, want))).dataSync()[0] as number);
    assert.ok(diff < 1e-5, `${data.shape} -> ${shape}: max difference ${diff}`);
    tf.dispose([got, want]);
  }
});

import * as tf from "@tensorflow/tfjs";

/**
 * Replaces tfjs-core's Tile gradient, which adds one slice of the upstream gradient per
 * repetition: LayerNormalization tiles its [1, 1, dim] scale and offset to [batch, length,
 * dim], so each training step of a transformer ran thousands of tiny Slice and Add kernels
 * (two thirds of the step on WASM). The gradient is the same sum done in one reduction:
 * view dy as [rep0, x0, rep1, x1, ...] and sum over the repetition axes.
 */
export function registerFastTileGradient(): void {
  tf.registerGradient({
    kernelName: "Tile",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [tf.Tensor];
      const reps = (attrs as { reps: number[] }).reps;
      return {
        x: () => {
          const interleaved = x.shape.flatMap((size, i) => [reps[i] as number, size]);
          const repetitionAxes = x.shape.map((_, i) => 2 * i);
          return tf.sum(tf.reshape(dy as tf.Tensor, interleaved), repetitionAxes);
        },
      };
    },
  });
}

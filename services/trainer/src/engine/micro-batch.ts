import * as tf from "@tensorflow/tfjs";

/** Activation memory one training step may hold (WASM's heap tops out at 4 GiB). */
const STEP_BUDGET_BYTES = 2 ** 30;

/**
 * Samples per forward/backward pass so the tape's activations (about twice the layer
 * outputs) stay within budget: 1 GiB / (2 x 84 MB) = 6 for MobileNetV2 at 224x224, where a
 * batch of 32 in one pass would exhaust the WASM heap and abort it.
 */
export function microBatchSize(model: tf.LayersModel, batchSize: number): number {
  let elements = 0;
  for (const layer of model.layers) {
    const shapes = (Array.isArray(layer.outputShape[0]) ? layer.outputShape : [layer.outputShape]) as number[][];
    for (const shape of shapes) elements += shape.slice(1).reduce((a, b) => a * (b ?? 1), 1);
  }
  const perSample = elements * 4 * 2;
  return Math.max(1, Math.min(batchSize, Math.floor(STEP_BUDGET_BYTES / perSample)));
}

/**
 * One optimizer step over a batch, computed in slices of `micro` samples whose gradients
 * are summed, weighted by slice size (the same step as one pass over the whole batch).
 */
export function accumulatedStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  x: tf.Tensor,
  y: tf.Tensor,
  micro: number,
): [number, number] {
  const n = x.shape[0] as number;
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  let sums: Record<string, tf.Tensor> = {};
  let lossSum = 0;
  let hitSum = 0;
  for (let start = 0; start < n; start += micro) {
    const size = Math.min(micro, n - start);
    const xs = x.slice(start, size);
    const ys = y.slice(start, size);
    let hits: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const p = inTrainingMode(model, () => model.apply(xs) as tf.Tensor);
      hits = tf.keep(tf.metrics.categoricalAccuracy(ys, p).sum());
      return tf.metrics
        .categoricalCrossentropy(ys, p)
        .sum()
        .mul(1 / n) as tf.Scalar;
    }, variables);
    lossSum += value.dataSync()[0] as number;
    hitSum += (hits as tf.Tensor).dataSync()[0] as number;
    const next: Record<string, tf.Tensor> = {};
    for (const [name, grad] of Object.entries(grads)) {
      const previous = sums[name];
      next[name] = previous ? tf.add(previous, grad) : grad;
      if (previous) tf.dispose([previous, grad]);
    }
    sums = next;
    tf.dispose([xs, ys, value, hits as tf.Tensor]);
  }
  optimizer.applyGradients(sums);
  tf.dispose(Object.values(sums));
  return [lossSum, hitSum / n];
}

/**
 * An eager `model.apply` does not pass `training` down to its layers (tfjs runs them with
 * the arguments recorded when the graph was built), so dropout and trainable
 * BatchNormalization would run as in inference. This sets it for the duration of `fn`;
 * frozen BatchNormalization keeps inference mode through its own wrapper.
 */
function inTrainingMode<T>(model: tf.LayersModel, fn: () => T): T {
  const originals = model.layers.map((layer) => layer.call);
  for (const layer of model.layers) {
    const original = layer.call;
    layer.call = (inputs, kwargs) => original.call(layer, inputs, { ...kwargs, training: true });
  }
  try {
    return fn();
  } finally {
    for (const [i, layer] of model.layers.entries()) layer.call = originals[i] as typeof layer.call;
  }
}

/**
 * Whether a base can train at another input resolution (hyperparameters.inputSize), decided
 * from its layers' classes up to the cut point: the one rule the gateway refuses a run by and
 * the trainer rebuilds the backbone by.
 *
 * Convolutions, normalization, activations and merges work at any resolution with the same
 * weights. A feature vector must not depend on it: below the cut, Flatten may only follow a
 * pooling that covers the whole map (a global pooling, or an AveragePooling2D the trainer
 * rebuilds to span the whole map at the new size); a Dense layer below the cut, or a Flatten
 * of a spatial map (digits-cnn's conv features), has as many inputs as the map has pixels.
 */

const SPATIAL_AGNOSTIC = new Set([
  "Conv2D",
  "DepthwiseConv2D",
  "SeparableConv2D",
  "BatchNormalization",
  "ReLU",
  "LeakyReLU",
  "Activation",
  "Add",
  "Multiply",
  "Concatenate",
  "ZeroPadding2D",
  "Dropout",
  "SpatialDropout2D",
  "MaxPooling2D",
  "AveragePooling2D",
]);

const GLOBAL_POOLINGS = new Set(["GlobalAveragePooling2D", "GlobalMaxPooling2D"]);

/** The pooling before the cut's Flatten that the trainer makes span the whole map. */
export const RESIZED_POOLING_CLASS = "AveragePooling2D";

/**
 * Why `layers` (the base's, in order, input first) cannot change resolution when cut at
 * `featureLayer`, or null when they can. `inputShape` is the base's [height, width, channels].
 */
export function inputResizeProblem(
  layers: readonly { name: string; className: string }[],
  featureLayer: string,
  inputShape: readonly number[],
): string | null {
  if (inputShape.length !== 3) return "the base does not take images";
  const cut = layers.findIndex((l) => l.name === featureLayer);
  if (cut < 0) return `the base has no layer named ${JSON.stringify(featureLayer)}`;
  let pooled = false;
  for (const [i, layer] of layers.slice(0, cut + 1).entries()) {
    const previous = layers[i - 1];
    // After the pooling the vector's size is fixed, whatever follows it.
    if (layer.className === "InputLayer" || pooled) continue;
    if (GLOBAL_POOLINGS.has(layer.className)) pooled = true;
    else if (layer.className === "Flatten") {
      if (previous?.className !== RESIZED_POOLING_CLASS)
        return `${layer.name} flattens a spatial map (after ${previous?.name ?? "the input"}): its feature count depends on the input size`;
      pooled = true;
    } else if (!SPATIAL_AGNOSTIC.has(layer.className))
      return `${layer.name} (${layer.className}) below the cut depends on the input size`;
  }
  return pooled ? null : `the features at ${featureLayer} are not pooled over the image`;
}

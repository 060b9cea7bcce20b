import { HEAD_LAYER_NAMES, type Hyperparameters } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { InvalidFineTuneError } from "../job-errors.ts";

const HEAD_CLASSES = new Set(["Dense", "Dropout", "Activation", "Softmax", "ReLU"]);

/**
 * The default cut point: walk back from the output past the classifier head (Dense,
 * Dropout, activations) to the last layer that yields a feature vector (rank 2), e.g. the
 * pooling/flatten layer of MobileNetV2 or the flatten of a small CNN.
 */
export function defaultFeatureLayer(base: tf.LayersModel): string {
  const layers = base.layers;
  let i = layers.length - 1;
  while (i > 0 && HEAD_CLASSES.has((layers[i] as tf.layers.Layer).getClassName())) i--;
  const layer = layers[i] as tf.layers.Layer;
  if (i <= 0 || rank(layer) !== 2)
    throw new InvalidFineTuneError(
      `cannot find a feature layer in ${base.name}: name one (hyperparameters.featureLayer)`,
    );
  return layer.name;
}

function rank(layer: tf.layers.Layer): number {
  const shape = layer.outputShape;
  return Array.isArray(shape[0]) ? -1 : shape.length;
}

export interface CutModel {
  /** Base input -> feature layer output (rank 2). Layers are shared with `child`. */
  backbone: tf.LayersModel;
  /** Feature vector -> class probabilities. Layers are shared with `child`. */
  head: tf.LayersModel;
  /** Base input -> new head: the model that is trained and exported. */
  child: tf.LayersModel;
  /** Backbone layers in order, without the input layer. */
  baseLayers: tf.layers.Layer[];
  featureLayer: string;
}

/** Cuts the base at `featureLayer` and attaches a fresh, seeded classifier head. */
export function cutAndAttachHead(
  base: tf.LayersModel,
  featureLayerName: string | null,
  numClasses: number,
  head: Hyperparameters["head"],
  seed: number,
): CutModel {
  const featureLayer = featureLayerName ?? defaultFeatureLayer(base);
  let layer: tf.layers.Layer;
  try {
    layer = base.getLayer(featureLayer);
  } catch (cause) {
    throw new InvalidFineTuneError(`the base has no layer named ${JSON.stringify(featureLayer)}`, { cause });
  }
  const features = layer.output as tf.SymbolicTensor;
  if (Array.isArray(features) || features.shape.length !== 2)
    throw new InvalidFineTuneError(
      `feature layer ${featureLayer} outputs shape [${(features as tf.SymbolicTensor).shape}], not a feature vector`,
    );
  const backbone = tf.model({ inputs: base.inputs, outputs: features, name: `${base.name}_backbone` });

  const headLayers: tf.layers.Layer[] = [];
  if (head.hiddenUnits > 0)
    headLayers.push(
      tf.layers.dense({
        name: HEAD_LAYER_NAMES.hidden,
        units: head.hiddenUnits,
        activation: "relu",
        kernelInitializer: tf.initializers.glorotUniform({ seed }),
      }),
    );
  if (head.dropout > 0)
    headLayers.push(tf.layers.dropout({ name: HEAD_LAYER_NAMES.dropout, rate: head.dropout, seed: seed + 1 }));
  headLayers.push(
    tf.layers.dense({
      name: HEAD_LAYER_NAMES.output,
      units: numClasses,
      activation: "softmax",
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }),
    }),
  );
  const apply = (x: tf.SymbolicTensor) => headLayers.reduce((t, l) => l.apply(t) as tf.SymbolicTensor, x);
  const headInput = tf.input({ shape: [features.shape[1] as number], name: "graft_features" });
  const headModel = tf.model({ inputs: headInput, outputs: apply(headInput), name: "graft_head" });
  const child = tf.model({ inputs: base.inputs, outputs: apply(features), name: `${base.name}_finetuned` });
  const baseLayers = backbone.layers.filter((l) => l.getClassName() !== "InputLayer");
  return { backbone, head: headModel, child, baseLayers, featureLayer };
}

/**
 * BatchNormalization updates its moving statistics whenever it runs in training mode, even
 * when frozen; Keras runs frozen BN in inference mode instead, and so do we, so a frozen
 * layer's weights (and hash) stay exactly the parent's.
 */
export function freezeBatchNormStatistics(layers: tf.layers.Layer[]): void {
  for (const layer of layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const original = layer.call.bind(layer);
    layer.call = (inputs, kwargs) => original(inputs, layer.trainable ? kwargs : { ...kwargs, training: false });
  }
}

/** Applies the freeze strategy; returns the names of the frozen base layers. */
export function applyFreeze(baseLayers: tf.layers.Layer[], freeze: Hyperparameters["freeze"]): Set<string> {
  const count =
    freeze.strategy === "ALL_BASE" ? baseLayers.length : freeze.strategy === "NONE" ? 0 : (freeze.layers ?? 0);
  if (count > baseLayers.length)
    throw new InvalidFineTuneError(
      `FIRST_N freezes ${count} layers but the base has ${baseLayers.length} below the cut`,
    );
  const frozen = new Set<string>();
  for (const [i, layer] of baseLayers.entries()) {
    layer.trainable = i >= count;
    if (i < count) frozen.add(layer.name);
  }
  return frozen;
}

/** Makes the top `k` base layers trainable (gradual unfreezing); returns the frozen set left. */
export function unfreezeTop(baseLayers: tf.layers.Layer[], frozen: Set<string>, k: number): Set<string> {
  for (const layer of baseLayers.slice(Math.max(0, baseLayers.length - k))) {
    layer.trainable = true;
    frozen.delete(layer.name);
  }
  return frozen;
}

export function countTrainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((sum, w) => sum + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}

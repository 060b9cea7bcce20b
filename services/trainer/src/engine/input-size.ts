import { inputResizeProblem } from "@graft/contracts";
import * as tf from "@tensorflow/tfjs";
import { InvalidFineTuneError } from "../job-errors.ts";
// Custom layers must be registered before a topology naming them is rebuilt.
import "./layers/index.ts";

type LayerConfig = { class_name: string; config: Record<string, unknown> };

/**
 * `base` rebuilt to take `size` x `size` images (hyperparameters.inputSize) with every weight
 * kept: the input layer takes the new size and the AveragePooling2D before the cut's Flatten,
 * which spans the whole map at the base's size (7x7 for MobileNetV2 at 224), spans the whole
 * map at the new one. A pooling over the whole map is a global average, so at the base's own
 * size the features are the same, and the layer keeps its name, so the cut point and its
 * feature count do too. Consumes `base` (disposed once its weights are copied).
 */
export async function atInputSize(base: tf.LayersModel, size: number, featureLayer: string): Promise<tf.LayersModel> {
  const inputShape = (base.inputs[0] as tf.SymbolicTensor).shape.slice(1) as number[];
  const problem = inputResizeProblem(
    base.layers.map((l) => ({ name: l.name, className: l.getClassName() })),
    featureLayer,
    inputShape,
  );
  if (problem) throw new InvalidFineTuneError(`inputSize ${size}: ${problem}`);
  const [height, width, channels] = inputShape as [number, number, number];
  const pooling = poolingBeforeFlatten(base, featureLayer);
  const topology = base.toJSON(undefined, false) as unknown as { config: { layers: LayerConfig[] } };
  for (const layer of topology.config.layers) {
    if (layer.class_name === "InputLayer") layer.config.batch_input_shape = [null, size, size, channels];
    if (pooling && layer.config.name === pooling.name) {
      const [, mapH, mapW] = pooling.inboundNodes[0]?.inputTensors[0]?.shape ?? [];
      const [poolH, poolW] = (layer.config.pool_size as number[]) ?? [];
      if (poolH !== mapH || poolW !== mapW)
        throw new InvalidFineTuneError(
          `inputSize ${size}: ${pooling.name} pools ${poolH}x${poolW} of a ${mapH}x${mapW} map, not the whole map`,
        );
      const pool = [((mapH as number) * size) / height, ((mapW as number) * size) / width];
      if (!pool.every((p) => Number.isInteger(p) && p >= 1))
        throw new InvalidFineTuneError(
          `inputSize ${size}: the ${mapH}x${mapW} map at ${height}x${width} would not be whole at ${size}x${size}`,
        );
      layer.config.pool_size = pool;
      layer.config.strides = pool;
    }
  }
  const resized = (await tf.models.modelFromJSON({
    modelTopology: topology as unknown as tf.io.ModelJSON["modelTopology"],
  })) as tf.LayersModel;
  try {
    resized.setWeights(base.getWeights());
  } catch (cause) {
    resized.dispose();
    throw new InvalidFineTuneError(`inputSize ${size}: the weights do not fit the resized base`, { cause });
  }
  base.dispose();
  return resized;
}

/** The AveragePooling2D the cut's Flatten reads, if that is what it reads. */
function poolingBeforeFlatten(base: tf.LayersModel, featureLayer: string): tf.layers.Layer | undefined {
  const flatten = base.getLayer(featureLayer);
  if (flatten.getClassName() !== "Flatten") return undefined;
  const inbound = flatten.inboundNodes[0]?.inboundLayers[0];
  return inbound?.getClassName() === "AveragePooling2D" ? inbound : undefined;
}

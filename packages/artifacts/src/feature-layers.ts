import { type ModelArtifact, modelTopology, type RawLayer, topologyLayers } from "./model-format.ts";

/**
 * Where a model can be cut for a new head: every layer that outputs a feature vector
 * (shape [units] per sample) below the classifier. Output shapes are inferred from the
 * topology as data (nothing runs), for the layer classes image and text classifiers use;
 * a layer of another class has an unknown shape, and so has everything it feeds.
 */

export interface FeatureLayerCandidate {
  name: string;
  className: string;
  /** Output shape without the batch dimension, e.g. [400]. */
  outputShape: number[];
  /** Position in the model's layer list. */
  index: number;
}

type Shape = number[] | null;

const SAME_SHAPE = new Set([
  "Dropout",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "Softmax",
  "BatchNormalization",
  "LayerNormalization",
  "GraftPositionEmbedding",
  "GraftSelfAttention",
  "Add",
  "Multiply",
  "Average",
  "Maximum",
]);

const num = (v: unknown, fallback: number): number => (typeof v === "number" ? v : fallback);
const pair = (v: unknown, fallback: number): [number, number] =>
  Array.isArray(v) ? [num(v[0], fallback), num(v[1], fallback)] : [num(v, fallback), num(v, fallback)];

function spatial(n: number, kernel: number, stride: number, padding: unknown, dilation = 1): number {
  const effective = (kernel - 1) * dilation + 1;
  return padding === "same" ? Math.ceil(n / stride) : Math.floor((n - effective) / stride) + 1;
}

/** One layer's output shape from its inputs' shapes; null when unknown. */
function outputShape(layer: RawLayer, inputs: Shape[]): Shape {
  const c = layer.config;
  const first = inputs[0] ?? null;
  if (layer.class_name === "InputLayer") {
    const shape = c.batch_input_shape ?? c.batchInputShape ?? c.batch_shape;
    return Array.isArray(shape) && shape.slice(1).every((d) => Number.isInteger(d))
      ? (shape.slice(1) as number[])
      : null;
  }
  if (!first) return null;
  switch (layer.class_name) {
    case "Dense":
      return typeof c.units === "number" ? [...first.slice(0, -1), c.units] : null;
    case "Flatten":
      return [first.reduce((a, b) => a * b, 1)];
    case "GlobalAveragePooling2D":
    case "GlobalMaxPooling2D":
    case "GlobalAveragePooling1D":
    case "GlobalMaxPooling1D":
      return first.slice(-1);
    case "GraftMaskedMeanPooling":
      return first.slice(-1);
    case "Conv2D":
    case "SeparableConv2D":
    case "DepthwiseConv2D":
    case "MaxPooling2D":
    case "AveragePooling2D": {
      if (first.length !== 3) return null;
      const [h, w, ch] = first as [number, number, number];
      const isPool = layer.class_name.endsWith("Pooling2D");
      const [kh, kw] = pair(isPool ? c.pool_size : c.kernel_size, 2);
      const [sh, sw] = pair(c.strides, isPool ? kh : 1);
      const [dh, dw] = pair(c.dilation_rate, 1);
      const padding = c.padding ?? "valid";
      const channels = isPool
        ? ch
        : layer.class_name === "DepthwiseConv2D"
          ? ch * num(c.depth_multiplier, 1)
          : num(c.filters, Number.NaN);
      const out = [spatial(h, kh, sh, padding, dh), spatial(w, kw, sw, padding, dw), channels];
      return out.every((d) => Number.isInteger(d) && d > 0) ? out : null;
    }
    case "ZeroPadding2D": {
      if (first.length !== 3) return null;
      const p = c.padding;
      const [[t, b], [l, r]] = Array.isArray(p)
        ? (p.map((x) => pair(x, 0)) as [[number, number], [number, number]])
        : [pair(p, 1), pair(p, 1)];
      return [(first[0] as number) + t + b, (first[1] as number) + l + r, first[2] as number];
    }
    case "Reshape":
      return Array.isArray(c.target_shape) && c.target_shape.every((d) => Number.isInteger(d) && d > 0)
        ? (c.target_shape as number[])
        : null;
    case "Embedding":
      return typeof c.output_dim === "number" ? [...first, c.output_dim] : null;
    case "GRU":
    case "LSTM":
    case "SimpleRNN":
      return typeof c.units === "number" ? (c.return_sequences ? [...first.slice(0, -1), c.units] : [c.units]) : null;
    case "Concatenate": {
      if (inputs.some((s) => s === null)) return null;
      const shapes = inputs as number[][];
      return [...first.slice(0, -1), shapes.reduce((sum, s) => sum + (s.at(-1) ?? 0), 0)];
    }
    default:
      return SAME_SHAPE.has(layer.class_name) ? first : null;
  }
}

/** Names of the layers feeding `layer` in a functional model (Keras 2 inbound_nodes). */
function inboundNames(layer: RawLayer): string[] | null {
  const nodes = (layer as RawLayer & { inbound_nodes?: unknown }).inbound_nodes;
  if (!Array.isArray(nodes)) return null;
  const [node] = nodes;
  if (!Array.isArray(node)) return [];
  return node.map((entry) => (Array.isArray(entry) && typeof entry[0] === "string" ? entry[0] : "")).filter(Boolean);
}

/** Inferred output shape of every layer, by name (null when unknown). */
export function layerOutputShapes(modelJson: Record<string, unknown>): Map<string, Shape> {
  const topology = modelTopology(modelJson);
  const layers = topologyLayers(topology);
  const shapes = new Map<string, Shape>();
  let previous: Shape = null;
  for (const [i, layer] of layers.entries()) {
    const name = String(layer.config.name);
    const inbound = inboundNames(layer);
    let inputs: Shape[];
    if (inbound === null) {
      // Sequential: each layer takes the one before; the first names its input shape.
      const declared = layer.config.batch_input_shape ?? layer.config.batchInputShape;
      inputs = i === 0 && Array.isArray(declared) ? [declared.slice(1) as number[]] : [previous];
    } else inputs = inbound.map((n) => shapes.get(n) ?? null);
    const shape = outputShape(layer, inputs);
    shapes.set(name, shape);
    previous = shape;
  }
  return shapes;
}

/**
 * Layers a new head can follow: a feature vector per sample, below the last layer, in
 * model order. The last layer (the classifier) is never a candidate.
 */
export function featureLayerCandidates(artifact: Pick<ModelArtifact, "modelJson">): FeatureLayerCandidate[] {
  const layers = topologyLayers(modelTopology(artifact.modelJson));
  const shapes = layerOutputShapes(artifact.modelJson);
  const candidates: FeatureLayerCandidate[] = [];
  for (const [index, layer] of layers.slice(0, -1).entries()) {
    const name = String(layer.config.name);
    const shape = shapes.get(name);
    if (shape?.length === 1 && !["Dropout", "Activation", "Softmax", "InputLayer"].includes(layer.class_name))
      candidates.push({ name, className: layer.class_name, outputShape: shape, index });
  }
  return candidates;
}

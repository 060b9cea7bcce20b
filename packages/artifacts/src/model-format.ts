import { createHash } from "node:crypto";
import { deceptiveTextProblem, jsonDepth, type LayerRecord, MAX_JSON_DEPTH } from "@graft/contracts";
import { customLayerProblem } from "./custom-layers.ts";
import { InvalidModelError, ModelLimitError } from "./errors.ts";
import { type ParsedTokenizer, parseTokenizer, TOKENIZER_FILE } from "./tokenizer.ts";

/**
 * The tfjs LayersModel format (model.json + binary weight shards), read strictly as data:
 * nothing in an uploaded model is ever executed. Graft stores every model as one
 * model.json whose manifest names a single `weights.bin`, plus that buffer, plus for text
 * models the `tokenizer.json` that turns text into its input ids.
 */

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: "float32" | "int32" | "bool";
  quantization?: { dtype: "uint8" | "uint16" | "float16"; scale?: number; min?: number };
}

export interface ModelArtifact {
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
  /** tokenizer.json bytes of a text model; kept byte for byte so its hash follows the model. */
  tokenizer?: Uint8Array;
}

export interface ParsedModel {
  artifact: ModelArtifact;
  architecture: string;
  /** Input shape without the batch dimension, e.g. [224, 224, 3]. */
  inputShape: number[];
  /** Units of the last Dense layer (the classifier), null when the model ends otherwise. */
  outputUnits: number | null;
  layers: LayerRecord[];
  paramCount: number;
  /** Best guess of the cut point: the layer feeding the final Dense, skipping Dropout/Activation. */
  featureLayer: string | null;
  sizeBytes: number;
  /** Text models only. */
  tokenizer: ParsedTokenizer | null;
}

export const WEIGHTS_FILE = "weights.bin";

/**
 * Bounds on what a model file may ask of Graft. Every one is checked from the manifest and
 * topology before weights are concatenated, hashed or handed to a trainer, so a small
 * hostile file costs little: a trainer given a [16000, 16000, 3] input would run out of
 * memory, and so would the next one the job was retried on.
 */
export interface ModelLimits {
  /** @default 32 MiB */
  maxModelJsonBytes?: number;
  /** @default 1 GiB */
  maxWeightBytes?: number;
  /** @default 5000 */
  maxLayers?: number;
  /** Weight entries in the manifest, all groups together. @default 20_000 */
  maxWeightEntries?: number;
  /** Weight shard files the manifest names. @default 256 */
  maxShards?: number;
  /** Characters in a layer or weight name. @default 256 layer, 512 weight */
  maxLayerNameLength?: number;
  maxWeightNameLength?: number;
  /** Parameters (weight elements) in all. @default 100_000_000 */
  maxParameters?: number;
  /** Elements of one input sample (product of the input shape), and its rank. @default 4_194_304, 4 */
  maxInputElements?: number;
  maxInputRank?: number;
}

const DEFAULT_LIMITS: Required<ModelLimits> = {
  maxModelJsonBytes: 32 * 2 ** 20,
  maxWeightBytes: 2 ** 30,
  maxLayers: 5000,
  maxWeightEntries: 20_000,
  maxShards: 256,
  maxLayerNameLength: 256,
  maxWeightNameLength: 512,
  maxParameters: 100_000_000,
  maxInputElements: 2 ** 22,
  maxInputRank: 4,
};

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

export interface RawLayer {
  class_name: string;
  config: Record<string, unknown> & { name?: string };
}

/** Parses model.json and its shard files (as found in a zip or fetched beside a URL). */
export function parseModelFiles(files: Map<string, Uint8Array>, given: ModelLimits = {}): ParsedModel {
  const limits = { ...DEFAULT_LIMITS, ...given };
  const jsonBytes = files.get("model.json");
  if (!jsonBytes) throw new InvalidModelError("model.json is missing");
  if (jsonBytes.byteLength > limits.maxModelJsonBytes)
    throw new ModelLimitError("MODEL_JSON_BYTES", limits.maxModelJsonBytes, "model.json is too large");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(jsonBytes);
  } catch (cause) {
    throw new InvalidModelError("model.json is not valid UTF-8", { cause });
  }
  // Deep nesting would overflow the stack in JSON.stringify or a trainer's recursive reader.
  if (jsonDepth(text) > MAX_JSON_DEPTH)
    throw new ModelLimitError("JSON_DEPTH", MAX_JSON_DEPTH, "model.json is nested too deeply");
  let modelJson: Record<string, unknown>;
  try {
    modelJson = JSON.parse(text);
  } catch (cause) {
    throw new InvalidModelError("model.json is not valid JSON", { cause });
  }
  if (!isObject(modelJson)) throw new InvalidModelError("model.json is not a JSON object");
  const groups = manifestGroups(modelJson, limits);
  const shardCount = groups.reduce((n, g) => n + g.paths.length, 0);
  if (shardCount > limits.maxShards)
    throw new ModelLimitError("MODEL_SHARDS", limits.maxShards, `the manifest names ${shardCount} weight files`);
  let shardBytes = 0;
  const chunks: Uint8Array[] = [];
  for (const group of groups) {
    for (const path of group.paths) {
      if (typeof path !== "string" || !/^[A-Za-z0-9._-]{1,200}$/.test(path) || path.startsWith("."))
        throw new InvalidModelError(`weight path ${JSON.stringify(path)} is not a plain file name`);
      const shard = files.get(path);
      if (!shard) throw new InvalidModelError(`weight file ${path} is missing`);
      shardBytes += shard.byteLength;
      // A shard named twice would otherwise be counted, and copied, once per mention.
      if (shardBytes > limits.maxWeightBytes)
        throw new ModelLimitError("MODEL_WEIGHT_BYTES", limits.maxWeightBytes, "weights are too large");
      chunks.push(shard);
    }
  }
  const weights = concat(chunks);
  const consolidated = {
    ...modelJson,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: groups.flatMap((g) => g.weights) }],
  };
  const tokenizer = files.get(TOKENIZER_FILE);
  return parseModelArtifact({ modelJson: consolidated, weights, ...(tokenizer ? { tokenizer } : {}) }, given);
}

/** Validates an artifact (consolidated or not) and describes it: layers, per-layer hashes, shapes. */
export function parseModelArtifact(artifact: ModelArtifact, given: ModelLimits = {}): ParsedModel {
  const limits = { ...DEFAULT_LIMITS, ...given };
  const { modelJson, weights } = artifact;
  if (weights.byteLength > limits.maxWeightBytes)
    throw new ModelLimitError("MODEL_WEIGHT_BYTES", limits.maxWeightBytes, "weights are too large");
  const tokenizer = artifact.tokenizer ? parseTokenizer(artifact.tokenizer) : null;
  const topology = modelTopology(modelJson);
  const rawLayers = topologyLayers(topology, limits.maxLayers);
  if (rawLayers.length === 0) throw new InvalidModelError("the model has no layers");
  const layerNames = rawLayers.map((layer, i) => {
    const name = layer.config?.name;
    if (typeof name !== "string" || name.length === 0) throw new InvalidModelError(`layer ${i} has no name`);
    if (name.length > limits.maxLayerNameLength)
      throw new ModelLimitError("MODEL_NAME_LENGTH", limits.maxLayerNameLength, `layer ${i} has a name too long`);
    // Layer names are shown in the dashboard and CLI, and chosen as cut points by name.
    const deceptive = deceptiveTextProblem(name);
    if (deceptive) throw new InvalidModelError(`layer ${i}'s name ${deceptive}`);
    const problem = customLayerProblem(layer.class_name, layer.config);
    if (problem) throw new InvalidModelError(`layer ${name}: ${problem}`);
    return name;
  });
  if (tokenizer) checkTokenizerFits(rawLayers, tokenizer);
  const inputShape = inputShapeOf(rawLayers, topology, limits);

  const specs = manifestGroups(modelJson, limits).flatMap((g) => g.weights);
  const parameters = specs.reduce((sum, spec) => sum + elementCount(spec.shape), 0);
  if (parameters > limits.maxParameters)
    throw new ModelLimitError("MODEL_PARAMETERS", limits.maxParameters, `the model has ${parameters} parameters`);
  const offsets = weightOffsets(specs);
  if (offsets.total !== weights.byteLength)
    throw new InvalidModelError(`weights hold ${weights.byteLength} bytes but the manifest needs ${offsets.total}`);

  const byLayer = new Map<string, { spec: WeightSpec; bytes: Uint8Array }[]>();
  const known = new Set(layerNames);
  const longestLayerName = layerNames.reduce((n, name) => Math.max(n, name.length), 0);
  for (const [i, spec] of specs.entries()) {
    const layer = layerOfWeight(spec.name, known, longestLayerName);
    const start = offsets.starts[i] as number;
    const bytes = weights.subarray(start, start + byteLength(spec));
    const list = byLayer.get(layer);
    if (list) list.push({ spec, bytes });
    else byLayer.set(layer, [{ spec, bytes }]);
  }

  const layers: LayerRecord[] = rawLayers.map((raw, index) => {
    const name = layerNames[index] as string;
    const layerWeights = byLayer.get(name) ?? [];
    return {
      name,
      className: String(raw.class_name),
      params: layerWeights.reduce((sum, w) => sum + elementCount(w.spec.shape), 0),
      weightHash: layerWeights.length === 0 ? null : hashLayerWeights(name, layerWeights),
      trainable: raw.config.trainable !== false,
    };
  });
  const unassigned = [...byLayer.keys()].filter((name) => !known.has(name));
  if (unassigned.length > 0)
    throw new InvalidModelError(`weights for unknown layers: ${unassigned.slice(0, 5).join(", ")}`);

  return {
    artifact,
    architecture: architectureName(topology),
    inputShape,
    outputUnits: outputUnitsOf(rawLayers),
    layers,
    paramCount: layers.reduce((sum, l) => sum + l.params, 0),
    featureLayer: guessFeatureLayer(rawLayers),
    sizeBytes:
      weights.byteLength +
      new TextEncoder().encode(JSON.stringify(modelJson)).byteLength +
      (artifact.tokenizer?.byteLength ?? 0),
    tokenizer,
  };
}

/** Every id the tokenizer can produce must index the model's token embedding. */
function checkTokenizerFits(layers: RawLayer[], tokenizer: ParsedTokenizer) {
  const embedding = layers.find((l) => l.class_name === "Embedding");
  if (!embedding) throw new InvalidModelError("a model with a tokenizer needs an Embedding layer for its token ids");
  const inputDim = embedding.config.input_dim ?? embedding.config.inputDim;
  if (!Number.isInteger(inputDim) || (inputDim as number) < tokenizer.vocabSize)
    throw new InvalidModelError(
      `the tokenizer has ${tokenizer.vocabSize} ids but the embedding ${String(embedding.config.name)} takes ${String(inputDim)}`,
    );
}

/**
 * sha256 over a layer's weights, sorted by weight name and dequantized to float32, so a
 * frozen layer saved by TensorFlow.js after training hashes like the (maybe quantized,
 * differently ordered) original it came from.
 */
function hashLayerWeights(layer: string, weights: { spec: WeightSpec; bytes: Uint8Array }[]): string {
  const hash = createHash("sha256");
  const sorted = [...weights].sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  for (const { spec, bytes } of sorted) {
    const suffix = spec.name.slice(layer.length + 1);
    hash.update(`${suffix}:${spec.dtype}:${spec.shape.join("x")}\n`);
    hash.update(dequantized(spec, bytes));
  }
  return hash.digest("hex");
}

/** The same arithmetic as tfjs's io decodeWeights, so hashes match what tfjs holds in memory. */
function dequantized(spec: WeightSpec, bytes: Uint8Array): Uint8Array {
  const q = spec.quantization;
  if (!q) return bytes;
  const aligned = bytes.slice();
  if (q.dtype === "float16") {
    const halves = new Uint16Array(aligned.buffer, 0, aligned.byteLength / 2);
    const values = new Float32Array(halves.length);
    for (let i = 0; i < halves.length; i++) values[i] = halfToFloat(halves[i] as number);
    return new Uint8Array(values.buffer);
  }
  const scale = q.scale as number;
  const min = q.min as number;
  const quantized = q.dtype === "uint8" ? aligned : new Uint16Array(aligned.buffer, 0, aligned.byteLength / 2);
  if (spec.dtype === "int32") {
    const values = new Int32Array(quantized.length);
    for (let i = 0; i < quantized.length; i++) values[i] = Math.round((quantized[i] as number) * scale + min);
    return new Uint8Array(values.buffer);
  }
  const values = new Float32Array(quantized.length);
  for (let i = 0; i < quantized.length; i++) values[i] = (quantized[i] as number) * scale + min;
  return new Uint8Array(values.buffer);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function modelTopology(modelJson: Record<string, unknown>): Record<string, unknown> {
  const topology = modelJson.modelTopology;
  if (!isObject(topology))
    throw new InvalidModelError("modelTopology is missing: not a tfjs LayersModel (graph models are not supported)");
  // Keras-converted files wrap the model in { model_config, training_config }.
  const inner = isObject(topology.model_config) ? topology.model_config : topology;
  if (typeof inner.class_name !== "string") throw new InvalidModelError("modelTopology has no class_name");
  return inner;
}

export function topologyLayers(topology: Record<string, unknown>, maxLayers = DEFAULT_LIMITS.maxLayers): RawLayer[] {
  const config = topology.config;
  const layers = Array.isArray(config) ? config : isObject(config) ? config.layers : undefined;
  if (!Array.isArray(layers)) throw new InvalidModelError("modelTopology has no layer list");
  if (layers.length > maxLayers)
    throw new ModelLimitError("MODEL_LAYERS", maxLayers, `the model has ${layers.length} layers`);
  for (const [i, layer] of layers.entries()) {
    if (!isObject(layer) || typeof layer.class_name !== "string" || !isObject(layer.config))
      throw new InvalidModelError(`layer ${i} is malformed`);
  }
  return layers as RawLayer[];
}

function manifestGroups(
  modelJson: Record<string, unknown>,
  limits: Pick<Required<ModelLimits>, "maxWeightEntries" | "maxWeightNameLength"> = DEFAULT_LIMITS,
): { paths: string[]; weights: WeightSpec[] }[] {
  const manifest = modelJson.weightsManifest;
  if (!Array.isArray(manifest)) throw new InvalidModelError("weightsManifest is missing");
  let entries = 0;
  for (const [g, group] of manifest.entries()) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights))
      throw new InvalidModelError(`weightsManifest group ${g} is malformed`);
    entries += group.weights.length;
  }
  if (entries > limits.maxWeightEntries)
    throw new ModelLimitError("MODEL_WEIGHT_ENTRIES", limits.maxWeightEntries, `the manifest lists ${entries} weights`);
  for (const group of manifest as { paths: string[]; weights: unknown[] }[]) {
    for (const spec of group.weights) checkSpec(spec, limits.maxWeightNameLength);
  }
  return manifest as { paths: string[]; weights: WeightSpec[] }[];
}

function checkSpec(spec: unknown, maxNameLength: number): asserts spec is WeightSpec {
  if (!isObject(spec) || typeof spec.name !== "string" || !Array.isArray(spec.shape))
    throw new InvalidModelError("a weight spec lacks name or shape");
  if (spec.name.length > maxNameLength)
    throw new ModelLimitError("MODEL_NAME_LENGTH", maxNameLength, "a weight has a name too long");
  if (spec.shape.length > 8 || !spec.shape.every((d) => Number.isInteger(d) && d >= 0 && d < 2 ** 31))
    throw new InvalidModelError(`weight ${spec.name} has an invalid shape`);
  if (!["float32", "int32", "bool"].includes(spec.dtype as string))
    throw new InvalidModelError(`weight ${spec.name} has unsupported dtype ${String(spec.dtype)}`);
  const q = spec.quantization;
  if (q !== undefined) {
    if (!isObject(q) || !["uint8", "uint16", "float16"].includes(q.dtype as string))
      throw new InvalidModelError(`weight ${spec.name} has unsupported quantization`);
    if (q.dtype !== "float16" && (typeof q.scale !== "number" || typeof q.min !== "number"))
      throw new InvalidModelError(`weight ${spec.name} is quantized without scale and min`);
  }
}

const elementCount = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
const byteLength = (spec: WeightSpec) =>
  elementCount(spec.shape) * (BYTES_PER_DTYPE[spec.quantization?.dtype ?? spec.dtype] as number);

function weightOffsets(specs: WeightSpec[]) {
  const starts: number[] = [];
  let total = 0;
  for (const spec of specs) {
    starts.push(total);
    total += byteLength(spec);
  }
  return { starts, total };
}

/**
 * `block_1/conv/kernel` belongs to the longest known layer name that prefixes it. Only
 * prefixes no longer than the longest layer name are looked up, so the work per weight is
 * bounded by that length however many `/` the weight name holds (the nested slicing this
 * replaces was quadratic: seconds for a 1 KB file naming a weight with 20,000 slashes).
 */
function layerOfWeight(weightName: string, layers: Set<string>, longestLayerName: number): string {
  let cut = weightName.lastIndexOf("/");
  const owner = cut > 0 ? weightName.slice(0, cut) : weightName;
  while (cut > 0) {
    if (cut <= longestLayerName) {
      const candidate = weightName.slice(0, cut);
      if (layers.has(candidate)) return candidate;
    }
    cut = weightName.lastIndexOf("/", cut - 1);
  }
  return owner;
}

function architectureName(topology: Record<string, unknown>): string {
  const config = topology.config;
  const name = isObject(config) && typeof config.name === "string" ? config.name : undefined;
  return name ?? String(topology.class_name);
}

function inputShapeOf(
  layers: RawLayer[],
  topology: Record<string, unknown>,
  limits: Pick<Required<ModelLimits>, "maxInputElements" | "maxInputRank">,
): number[] {
  const first = layers[0] as RawLayer;
  const shape = first.config.batch_input_shape ?? first.config.batchInputShape ?? first.config.batch_shape;
  if (!Array.isArray(shape) || shape.length < 2)
    throw new InvalidModelError(
      `cannot tell the input shape of ${String(topology.class_name)}: first layer has no batch_input_shape`,
    );
  const dims = shape.slice(1);
  if (!dims.every((d) => Number.isInteger(d) && d > 0))
    throw new InvalidModelError("the input shape has unknown dimensions");
  if (dims.length > limits.maxInputRank)
    throw new ModelLimitError("MODEL_INPUT_SHAPE", limits.maxInputRank, `the input has ${dims.length} dimensions`);
  const elements = (dims as number[]).reduce((a, b) => a * b, 1);
  if (elements > limits.maxInputElements)
    throw new ModelLimitError(
      "MODEL_INPUT_SHAPE",
      limits.maxInputElements,
      `an input of shape [${dims.join(", ")}] has ${elements} elements per sample`,
    );
  return dims as number[];
}

function outputUnitsOf(layers: RawLayer[]): number | null {
  const last = layers.at(-1) as RawLayer;
  return last.class_name === "Dense" && typeof last.config.units === "number" ? last.config.units : null;
}

const PASS_THROUGH = new Set(["Dropout", "Activation", "Softmax"]);

function guessFeatureLayer(layers: RawLayer[]): string | null {
  let i = layers.length - 1;
  while (i >= 0 && PASS_THROUGH.has((layers[i] as RawLayer).class_name)) i--;
  if (i < 1 || (layers[i] as RawLayer).class_name !== "Dense") return null;
  i--;
  while (i >= 0 && PASS_THROUGH.has((layers[i] as RawLayer).class_name)) i--;
  return i >= 0 ? ((layers[i] as RawLayer).config.name as string) : null;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** The artifact with its manifest rewritten to name one `weights.bin` (the layout Graft stores). */
export function consolidate(artifact: ModelArtifact): ModelArtifact {
  const weights = manifestGroups(artifact.modelJson).flatMap((g) => g.weights);
  return { ...artifact, modelJson: { ...artifact.modelJson, weightsManifest: [{ paths: [WEIGHTS_FILE], weights }] } };
}

import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { consolidate, type ModelArtifact, sha256Hex } from "@graft/artifacts";
import type { Preprocessing, Task } from "@graft/contracts";
import { UnknownBuiltinError } from "./datasets.ts";
import { BROWN_GENRES } from "./text-datasets.ts";

/**
 * Built-in base models. Their bytes come from this repository (digits-cnn, text-gru and
 * text-transformer, produced by the seeded scripts services/trainer/scripts/pretrain-*.ts)
 * or from an installed npm dependency (mobilenet-v2 from nsfwjs); none needs the network.
 */

export interface FineTuneDefaults {
  head: { hiddenUnits: number; dropout: number };
  learningRate: number;
}

export type BuiltinModelKey = "digits-cnn" | "mobilenet-v2" | "text-gru" | "text-transformer";

export interface BuiltinModel {
  key: BuiltinModelKey;
  name: string;
  description: string;
  architecture: string;
  task: Task;
  labels: string[];
  /** Without the batch dimension. */
  inputShape: number[];
  preprocessing: Preprocessing;
  /** The cut point a fine-tune uses when it names none. */
  featureLayer: string;
  /**
   * Head and learning rate a fine-tune uses when the user does not choose them, measured
   * per base with featureLayer by bench/transfer-defaults.bench.ts (docs/transfer-defaults.md).
   * Absent: the hyperparameter schema's defaults.
   */
  defaults?: FineTuneDefaults;
  provenance: Record<string, unknown>;
  /** The model as Graft stores it: model.json naming one weights.bin, its bytes (and a text model's tokenizer.json). */
  load(): Promise<ModelArtifact>;
}

const require = createRequire(import.meta.url);
const DIGITS_DIR = new URL("../models/digits-cnn/", import.meta.url);

async function loadDigitsCnn(): Promise<ModelArtifact> {
  const modelJson = JSON.parse(await readFile(new URL("model.json", DIGITS_DIR), "utf8"));
  const weights = new Uint8Array(await readFile(new URL("weights.bin", DIGITS_DIR)));
  return consolidate({ modelJson, weights });
}

interface NsfwModelModule {
  MobileNetV2Model: {
    modelJson(): Promise<{ default: Record<string, unknown> }>;
    weightBundles: (() => Promise<{ default: string }>)[];
  };
}

/** nsfwjs bundles model.json as a JS object and the single weight shard as base64. */
async function loadMobileNetV2(): Promise<ModelArtifact> {
  const { MobileNetV2Model } = require("nsfwjs/models/mobilenet_v2") as NsfwModelModule;
  const modelJson = (await MobileNetV2Model.modelJson()).default;
  const bundle = MobileNetV2Model.weightBundles[0];
  if (!bundle) throw new Error("nsfwjs MobileNetV2 has no weight bundle");
  const base64 = (await bundle()).default;
  const weights = new Uint8Array(Buffer.from(base64, "base64"));
  return consolidate({ modelJson: structuredClone(modelJson), weights });
}

function packageVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // nsfwjs's exports map hides package.json; read it beside the resolved entry instead.
    const entry = require.resolve(name);
    const root = entry.slice(0, entry.lastIndexOf(`/node_modules/${name}/`) + `/node_modules/${name}/`.length);
    return (require(`${root}package.json`) as { version: string }).version;
  }
}

async function digitsProvenance(): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(new URL("provenance.json", DIGITS_DIR), "utf8"));
  } catch {
    return {};
  }
}

const modelDir = (key: string) => new URL(`../models/${key}/`, import.meta.url);

async function readJson(url: URL): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(url, "utf8"));
  } catch {
    return {};
  }
}

/** A text base from this repository; its preprocessing names the tokenizer.json beside it by sha256. */
async function textBase(
  fields: Omit<BuiltinModel, "preprocessing" | "provenance" | "load" | "task" | "labels" | "inputShape"> & {
    sequence: { sequenceLength: number; padding: "START" | "END"; truncation: "START" | "END" };
  },
): Promise<BuiltinModel> {
  const dir = modelDir(fields.key);
  const tokenizer = await readFile(new URL("tokenizer.json", dir)).catch(() => null);
  const { sequence, ...rest } = fields;
  return {
    ...rest,
    task: "text-classification",
    labels: BROWN_GENRES.map(([, label]) => label),
    inputShape: [sequence.sequenceLength],
    preprocessing: {
      kind: "text",
      ...sequence,
      padTokenId: 0,
      tokenizerSha256: sha256Hex(tokenizer ?? new Uint8Array()),
    },
    provenance: {
      files: `packages/catalog/models/${fields.key}/{model.json,weights.bin,tokenizer.json,provenance.json}`,
      data: "brown-genres",
      ...(await readJson(new URL("provenance.json", dir))),
    },
    async load() {
      const modelJson = JSON.parse(await readFile(new URL("model.json", dir), "utf8"));
      const weights = new Uint8Array(await readFile(new URL("weights.bin", dir)));
      return consolidate({
        modelJson,
        weights,
        tokenizer: new Uint8Array(await readFile(new URL("tokenizer.json", dir))),
      });
    },
  };
}

export const BUILTIN_MODELS: BuiltinModel[] = [
  {
    key: "digits-cnn",
    name: "digits-cnn",
    description: "Small CNN pre-trained on MNIST digits 0-4 by a seeded script in this repository",
    architecture: "digits-cnn (conv8-pool-conv16-pool-dense32-dense5)",
    task: "image-classification",
    labels: ["0", "1", "2", "3", "4"],
    inputShape: [28, 28, 1],
    preprocessing: { inputRange: [0, 1], channels: 1 },
    featureLayer: "flatten",
    // docs/transfer-defaults.md: at 1,000 samples the 400 conv features with a hidden layer
    // reach ~95% held-out where the 32-unit `features` layer with a linear head reaches ~24%.
    defaults: { head: { hiddenUnits: 128, dropout: 0.5 }, learningRate: 0.003 },
    provenance: {
      script: "services/trainer/scripts/pretrain-digits-cnn.ts",
      files: "packages/catalog/models/digits-cnn/{model.json,weights.bin,provenance.json}",
      data: "mnist-0-4",
      ...(await digitsProvenance()),
    },
    load: loadDigitsCnn,
  },
  {
    key: "mobilenet-v2",
    name: "mobilenet-v2",
    description: "MobileNetV2 (224x224 RGB) trained by the nsfw_model project; 5 classes",
    architecture: "MobileNetV2",
    task: "image-classification",
    labels: ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"],
    inputShape: [224, 224, 3],
    preprocessing: { inputRange: [0, 1], channels: 3 },
    featureLayer: "flatten_1",
    // docs/transfer-defaults.md: at 300 samples 0.01 beats 0.001 (91% against 50-77%); the
    // hidden layer ties the linear head there and keeps a LINEAR_PROBE control a distinct arm.
    defaults: { head: { hiddenUnits: 128, dropout: 0.5 }, learningRate: 0.01 },
    provenance: {
      package: "nsfwjs",
      packageVersion: packageVersion("nsfwjs"),
      packagePath: "nsfwjs/models/mobilenet_v2 (dist/models/mobilenet_v2, weights uint8-quantized)",
      packageRepository: "https://github.com/infinitered/nsfwjs",
      packageLicense: "MIT",
      upstream: "https://github.com/GantMan/nsfw_model (Keras MobileNetV2 fine-tuned for NSFW classes)",
      upstreamLicense: "MIT",
      preprocessing: "pixels / 255 (nsfwjs core.js), bilinear resize to 224x224",
    },
    load: loadMobileNetV2,
  },
  await textBase({
    key: "text-gru",
    name: "text-gru",
    description:
      "Recurrent text encoder (embedding, GRU) pre-trained on Brown Corpus genres by a seeded script in this repository",
    architecture: "text-gru (embedding64-gru64-dense64-dense15)",
    featureLayer: "features",
    sequence: { sequenceLength: 64, padding: "START", truncation: "END" },
  }),
  await textBase({
    key: "text-transformer",
    name: "text-transformer",
    description:
      "Small transformer encoder (token and position embeddings, 4-head self-attention, feed-forward, layer norm) pre-trained on Brown Corpus genres by a seeded script in this repository",
    architecture:
      "text-transformer (embedding64+position, 1 block: 4-head attention, ffn128, layer norms; masked mean pool)",
    featureLayer: "features",
    sequence: { sequenceLength: 64, padding: "END", truncation: "END" },
  }),
];

export function builtinModel(key: string): BuiltinModel {
  const found = BUILTIN_MODELS.find((m) => m.key === key);
  if (!found) throw new UnknownBuiltinError("model", key);
  return found;
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { loadTokenizer, parseModelArtifact } from "@graft/artifacts";
import type { EpochMetrics, TextPreprocessing } from "@graft/contracts";
import { hyperparameters as hp } from "@graft/testkit";
import * as tf from "@tensorflow/tfjs";
import { CorruptModelError, IncompatibleDatasetError } from "../job-errors.ts";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { exportModel } from "./export.ts";
import { fineTune } from "./fine-tune.ts";
import { isTextData } from "./input-pipeline.ts";
import { loadModel } from "./model-io.ts";
import { reinitializedCopy } from "./reinitialize.ts";
import { changedFrozenLayers, loadBuiltin } from "./test-helpers.ts";
import type { LabeledTexts } from "./text-input.ts";

await initBackend();
const loaded = await loadDataset({ kind: "BUILTIN", name: "spam-assassin" });
assert.ok(isTextData(loaded));
const spam: LabeledTexts = loaded;
/** fineTune options for a loaded built-in text base: its model, preprocessing, cut point and tokenizer. */
const fromBuiltin = ({ base, meta, artifact }: Awaited<ReturnType<typeof loadBuiltin>>) => ({
  base,
  preprocessing: meta.preprocessing,
  featureLayer: meta.featureLayer,
  ...(artifact.tokenizer ? { tokenizer: artifact.tokenizer } : {}),
});

/** Share of the larger class (ham) in the spam corpus: the accuracy of always saying "ham". */
const MAJORITY = 4150 / 6046;

test("the text bases' tokenizers turn spam into ids their embeddings take", async () => {
  for (const key of ["text-gru", "text-transformer"] as const) {
    const { meta, artifact, parsed } = await loadBuiltin(key);
    const tokenizer = loadTokenizer(artifact.tokenizer as Uint8Array);
    const preprocessing = meta.preprocessing as TextPreprocessing;
    assert.equal(tokenizer.parsed.sha256, preprocessing.tokenizerSha256, key);
    assert.equal(parsed.tokenizer?.sha256, preprocessing.tokenizerSha256, key);
    const ids = tokenizer.encode("Get FREE money now, come here!");
    assert.ok(ids.length >= 7, `${key}: one id per word and punctuation mark`);
    assert.ok(
      ids.every((id) => id > 1 && id < tokenizer.parsed.vocabSize),
      `${key}: common words are known`,
    );
    assert.deepEqual(tokenizer.encode("zxqv"), [1], `${key}: an unknown word is [UNK]`);
  }
});

test("text-gru learns spam from frozen features (feature cache), and the child keeps the parent's layers and tokenizer", async () => {
  const loaded = await loadBuiltin("text-gru");
  const { artifact, parsed: parent } = loaded;
  const losses: number[] = [];
  let last: EpochMetrics | undefined;
  const result = await fineTune({
    ...fromBuiltin(loaded),
    dataset: spam,
    hyperparameters: hp({ maxSamples: 400, epochs: 4, learningRate: 0.01 }),
    onEpoch: async (_, m) => {
      losses.push(m.loss);
      last = m;
    },
  });
  assert.equal(result.trainingPath, "FEATURE_CACHE");
  assert.deepEqual(result.frozenLayerNames, ["embedding", "gru", "features"]);
  assert.ok((losses.at(-1) as number) < (losses[0] as number), `loss falls: ${losses}`);
  assert.ok((last?.valAccuracy as number) > MAJORITY, `valAccuracy ${last?.valAccuracy} beats always-ham`);
  assert.equal(last?.trainableParams, 64 * 2 + 2);

  const { artifact: child, parsed } = await exportModel(result.model, {
    frozenLayerNames: result.frozenLayerNames,
    tokenizer: artifact.tokenizer,
  });
  assert.deepEqual(changedFrozenLayers(parent, parsed, result.frozenLayerNames), []);
  assert.equal(parsed.tokenizer?.sha256, parent.tokenizer?.sha256);
  assert.equal(parsed.outputUnits, 2);
  // The saved child loads again and predicts what the trained model predicted.
  const reloaded = await loadModel({ kind: "artifact", artifact: child });
  const x = tf.tensor2d([Array.from({ length: 64 }, (_, i) => (i < 40 ? 0 : 5 + i))], [1, 64], "int32");
  const [a, b] = [result.model.predict(x) as tf.Tensor, reloaded.predict(x) as tf.Tensor];
  assert.deepEqual(Array.from(await a.data()), Array.from(await b.data()));
  tf.dispose([x, a, b]);
  reloaded.dispose();
  result.model.dispose();
});

test("text-transformer fine-tunes with FIRST_N: frozen embeddings stay bit-identical while its custom attention trains", async () => {
  const loaded = await loadBuiltin("text-transformer");
  const { artifact, parsed: parent } = loaded;
  const frozen: number[] = [];
  const result = await fineTune({
    ...fromBuiltin(loaded),
    dataset: spam,
    hyperparameters: hp({ maxSamples: 120, epochs: 2, freeze: { strategy: "FIRST_N", layers: 2 } }),
    onEpoch: async (_, m) => {
      frozen.push(m.frozenLayers);
      assert.ok(Number.isFinite(m.loss) && Number.isFinite(m.valLoss as number));
    },
  });
  assert.equal(result.trainingPath, "FULL");
  assert.deepEqual(result.frozenLayerNames, ["token_embedding", "position_embedding"]);
  assert.deepEqual(frozen, [2, 2]);
  const { parsed } = await exportModel(result.model, {
    frozenLayerNames: result.frozenLayerNames,
    tokenizer: artifact.tokenizer,
  });
  assert.deepEqual(changedFrozenLayers(parent, parsed, result.frozenLayerNames), []);
  const hash = (p: typeof parent, name: string) => p.layers.find((l) => l.name === name)?.weightHash;
  assert.notEqual(hash(parsed, "attention"), hash(parent, "attention"), "the attention layer trained");
  assert.equal(parsed.layers.find((l) => l.name === "attention")?.className, "GraftSelfAttention");
  result.model.dispose();
});

test("a text fine-tune resumes from its checkpoint, and its unfreeze schedule applies", async () => {
  const settings = hp({ maxSamples: 80, epochs: 2, unfreezeSchedule: [{ epoch: 2, layers: 1 }] });
  const first = await loadBuiltin("text-gru");
  let checkpoint: Uint8Array | undefined;
  const a = await fineTune({
    ...fromBuiltin(first),
    dataset: spam,
    hyperparameters: { ...settings, epochs: 1, unfreezeSchedule: [] },
    onEpoch: async (_, __, save) => {
      checkpoint = await save();
    },
  });
  a.model.dispose();
  assert.ok(checkpoint);
  const second = await loadBuiltin("text-gru");
  const seen: [number, number][] = [];
  const resumed = await fineTune({
    ...fromBuiltin(second),
    dataset: spam,
    hyperparameters: settings,
    resume: { completedEpochs: 1, checkpoint },
    onEpoch: async (epoch, m) => {
      seen.push([epoch, m.frozenLayers]);
    },
  });
  assert.deepEqual(seen, [[2, 2]], "only epoch 2 runs, with the top base layer (features) unfrozen");
  assert.equal(resumed.trainingPath, "FULL");
  assert.deepEqual(resumed.frozenLayerNames, ["embedding", "gru"]);
  resumed.model.dispose();
});

test("text and image bases refuse each other's data, and a swapped tokenizer is refused", async () => {
  const text = await loadBuiltin("text-gru");
  const mnist = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });
  await assert.rejects(
    fineTune({ ...fromBuiltin(text), dataset: mnist, hyperparameters: hp({ maxSamples: 50 }) }),
    IncompatibleDatasetError,
  );
  const image = await loadBuiltin("digits-cnn");
  await assert.rejects(
    fineTune({ ...fromBuiltin(image), dataset: spam, hyperparameters: hp({ maxSamples: 50 }) }),
    IncompatibleDatasetError,
  );
  const other = await loadBuiltin("text-gru");
  const swapped = new TextEncoder().encode(
    new TextDecoder().decode(other.artifact.tokenizer).replace('"lowercase":true', '"lowercase":false'),
  );
  await assert.rejects(
    fineTune({ ...fromBuiltin(other), dataset: spam, tokenizer: swapped, hyperparameters: hp({ maxSamples: 50 }) }),
    (error: unknown) =>
      error instanceof CorruptModelError && /not the one the model was registered with/.test(error.message),
  );
});

test("a re-initialized copy has the base's architecture, fresh seeded weights, and trains from scratch", async () => {
  const loaded = await loadBuiltin("text-transformer");
  const { base } = loaded;
  const scratch = await reinitializedCopy(base, 11);
  const again = await reinitializedCopy(base, 11);
  const other = await reinitializedCopy(base, 12);
  const layerHashes = async (model: tf.LayersModel) =>
    (await exportModel(model)).parsed.layers.map((l) => [l.name, l.className, l.params, l.weightHash]);
  const b = await layerHashes(base);
  const s = await layerHashes(scratch);
  const s2 = await layerHashes(again);
  const o = await layerHashes(other);
  assert.deepEqual(
    s.map(([name, cls, params]) => [name, cls, params]),
    b.map(([name, cls, params]) => [name, cls, params]),
  );
  for (const [i, layer] of s.entries())
    if (layer[3] !== null) assert.notEqual(layer[3], b[i]?.[3], `${layer[0]} is re-initialized`);
  assert.deepEqual(s, s2, "the same seed gives the same weights");
  assert.notDeepEqual(s, o, "another seed gives other weights");
  const result = await fineTune({
    ...fromBuiltin({ ...loaded, base: scratch }),
    dataset: spam,
    hyperparameters: hp({ maxSamples: 60, epochs: 1, freeze: { strategy: "NONE" } }),
  });
  assert.equal(result.frozenLayerNames.length, 0);
  assert.equal(parseModelArtifact((await exportModel(result.model)).artifact).layers.length, b.length - 2 + 1);
  for (const model of [base, again, other, result.model]) model.dispose();
});

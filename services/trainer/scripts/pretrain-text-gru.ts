/**
 * Pre-trains the built-in `text-gru` base (token embedding -> GRU -> dense "features" ->
 * classifier) on the Brown Corpus genre task and writes packages/catalog/models/text-gru/.
 * Seeded: initialisers, shuffles, split; the vocabulary is deterministic.
 *
 *   npx tsx services/trainer/scripts/pretrain-text-gru.ts [--epochs 4] [--seed 1234]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { pretrainTextBase } from "./text-pretraining.ts";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "4" }, seed: { type: "string", default: "1234" } },
});
const SEED = Number(values.seed);
const SEQUENCE = 64;

await pretrainTextBase({
  key: "text-gru",
  script: "services/trainer/scripts/pretrain-text-gru.ts",
  architecture: "text-gru (embedding64-gru64-dense64-dense15)",
  seed: SEED,
  epochs: Number(values.epochs),
  batchSize: 32,
  learningRate: 0.002,
  vocabSize: 10_000,
  // A recurrent encoder reads to the end of the sequence: pad at the start, keep a text's beginning.
  preprocessing: { sequenceLength: SEQUENCE, padding: "START", truncation: "END", padTokenId: 0 },
  build(vocabSize, classes) {
    const init = (offset: number) => tf.initializers.glorotUniform({ seed: SEED + offset });
    const ids = tf.input({ shape: [SEQUENCE], dtype: "int32", name: "token_ids" });
    let x = tf.layers
      .embedding({
        name: "embedding",
        inputDim: vocabSize,
        outputDim: 64,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: SEED }),
      })
      .apply(ids) as tf.SymbolicTensor;
    x = tf.layers
      .gru({
        name: "gru",
        units: 64,
        kernelInitializer: init(1),
        recurrentInitializer: tf.initializers.orthogonal({ seed: SEED + 2, gain: 1 }),
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers
      .dense({ name: "features", units: 64, activation: "tanh", kernelInitializer: init(3) })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ name: "dropout", rate: 0.2, seed: SEED + 4 }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({ name: "classifier", units: classes, activation: "softmax", kernelInitializer: init(5) })
      .apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: ids, outputs: out, name: "text_gru" });
  },
});

/**
 * Pre-trains the built-in `text-transformer` base, a small transformer encoder (token and
 * position embeddings, one block of 4-head self-attention and a feed-forward layer, each
 * with a residual and layer norm, masked mean pooling as "features"), on the Brown Corpus
 * genre task and writes packages/catalog/models/text-transformer/. Attention, position
 * embedding and pooling are Graft's custom layers (src/engine/layers).
 *
 *   npx tsx services/trainer/scripts/pretrain-text-transformer.ts [--epochs 4] [--seed 1234]
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { GraftMaskedMeanPooling, GraftPositionEmbedding, GraftSelfAttention } from "../src/engine/layers/index.ts";
import { pretrainTextBase } from "./text-pretraining.ts";

const { values } = parseArgs({
  options: { epochs: { type: "string", default: "4" }, seed: { type: "string", default: "1234" } },
});
const SEED = Number(values.seed);
const SEQUENCE = 64;
const DIM = 64;
const PAD_ID = 0;

await pretrainTextBase({
  key: "text-transformer",
  script: "services/trainer/scripts/pretrain-text-transformer.ts",
  architecture:
    "text-transformer (embedding64+position, 1 block: 4-head attention, ffn128, layer norms; masked mean pool)",
  seed: SEED,
  epochs: Number(values.epochs),
  batchSize: 32,
  learningRate: 0.001,
  vocabSize: 10_000,
  // Attention masks padding, so pad at the end like BERT; keep a text's beginning.
  preprocessing: { sequenceLength: SEQUENCE, padding: "END", truncation: "END", padTokenId: PAD_ID },
  build(vocabSize, classes) {
    const init = (offset: number) => tf.initializers.glorotUniform({ seed: SEED + offset });
    const ids = tf.input({ shape: [SEQUENCE], dtype: "int32", name: "token_ids" });
    const apply = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
      layer.apply(input) as tf.SymbolicTensor;
    let x = apply(
      tf.layers.embedding({
        name: "token_embedding",
        inputDim: vocabSize,
        outputDim: DIM,
        embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: SEED }),
      }),
      ids,
    );
    x = apply(
      new GraftPositionEmbedding({ name: "position_embedding", maxLength: SEQUENCE, outputDim: DIM, seed: SEED + 1 }),
      x,
    );
    const attended = apply(
      new GraftSelfAttention({ name: "attention", numHeads: 4, keyDim: DIM / 4, padTokenId: PAD_ID, seed: SEED + 10 }),
      [x, ids],
    );
    x = apply(tf.layers.add({ name: "attention_residual" }), [x, attended]);
    x = apply(tf.layers.layerNormalization({ name: "attention_norm" }), x);
    let ffn = apply(
      tf.layers.dense({ name: "ffn_inner", units: 2 * DIM, activation: "relu", kernelInitializer: init(20) }),
      x,
    );
    ffn = apply(tf.layers.dense({ name: "ffn_outer", units: DIM, kernelInitializer: init(21) }), ffn);
    x = apply(tf.layers.add({ name: "ffn_residual" }), [x, ffn]);
    x = apply(tf.layers.layerNormalization({ name: "ffn_norm" }), x);
    x = apply(new GraftMaskedMeanPooling({ name: "features", padTokenId: PAD_ID }), [x, ids]);
    x = apply(tf.layers.dropout({ name: "dropout", rate: 0.2, seed: SEED + 30 }), x);
    const out = apply(
      tf.layers.dense({ name: "classifier", units: classes, activation: "softmax", kernelInitializer: init(31) }),
      x,
    );
    return tf.model({ inputs: ids, outputs: out, name: "text_transformer" });
  },
});

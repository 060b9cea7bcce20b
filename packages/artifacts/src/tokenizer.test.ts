import assert from "node:assert/strict";
import { test } from "node:test";
import {
  InvalidModelError,
  loadTokenizer,
  type ModelArtifact,
  parseModelArtifact,
  parseModelFiles,
  parseTokenizer,
  sha256Hex,
  toTokenSequence,
  wordTokenizerJson,
} from "./index.ts";

const VOCAB = { "[PAD]": 0, "[UNK]": 1, free: 2, money: 3, now: 4, "!": 5, meet: 6, "##ing": 7 };

function wordPiece(overrides: Record<string, unknown> = {}, model: Record<string, unknown> = {}) {
  const json = wordTokenizerJson(VOCAB);
  return { ...json, decoder: null, ...overrides, model: { ...json.model, ...model } };
}

const bytes = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

test("a WordPiece tokenizer.json encodes text with its normalizer, pre-tokenizer and subwords", () => {
  const file = bytes(wordPiece());
  const tokenizer = loadTokenizer(file);
  assert.deepEqual(tokenizer.parsed, { sha256: sha256Hex(file), type: "WordPiece", vocabSize: 8, padTokenId: 0 });
  assert.deepEqual(tokenizer.encode("FREE money, now!"), [2, 3, 1, 4, 5]);
  assert.deepEqual(tokenizer.encode("Meeting zebras"), [6, 7, 1]);
});

test("token ids are padded and truncated at the end the preprocessing names", () => {
  const ids = [5, 6, 7, 8];
  const p = { sequenceLength: 6, padTokenId: 0 };
  assert.deepEqual([...toTokenSequence(ids, { ...p, padding: "END", truncation: "END" })], [5, 6, 7, 8, 0, 0]);
  assert.deepEqual([...toTokenSequence(ids, { ...p, padding: "START", truncation: "END" })], [0, 0, 5, 6, 7, 8]);
  const short = { sequenceLength: 3, padTokenId: 0 };
  assert.deepEqual([...toTokenSequence(ids, { ...short, padding: "END", truncation: "END" })], [5, 6, 7]);
  assert.deepEqual([...toTokenSequence(ids, { ...short, padding: "END", truncation: "START" })], [6, 7, 8]);
  assert.deepEqual([...toTokenSequence([], { ...short, padding: "START", truncation: "START" })], [0, 0, 0]);
});

test("hostile or unsupported tokenizer files are refused as invalid models", () => {
  const hostile: [string, Uint8Array][] = [
    ["not JSON", new TextEncoder().encode("{oops")],
    ["invalid UTF-8", new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])],
    [
      "a regex pre-tokenizer",
      bytes(wordPiece({ pre_tokenizer: { type: "Split", pattern: { Regex: "(a+)+$" }, behavior: "Isolated" } })),
    ],
    [
      "a regex hidden in a sequence",
      bytes(
        wordPiece({
          normalizer: {
            type: "Sequence",
            normalizers: [{ type: "Replace", pattern: { Regex: "(x+x+)+y" }, content: "" }],
          },
        }),
      ),
    ],
    ["an unknown component", bytes(wordPiece({ normalizer: { type: "ExecuteScript" } }))],
    ["an unknown model", bytes(wordPiece({}, { type: "Pickle" }))],
    ["a huge word limit", bytes(wordPiece({}, { max_input_chars_per_word: 10_000_000 }))],
    ["ids past the limit", bytes(wordPiece({}, { vocab: { "[UNK]": 1, a: 400_000 } }))],
    ["a missing unk token", bytes(wordPiece({}, { unk_token: "<unk>" }))],
    [
      "an added token past the limit",
      bytes(
        wordPiece({ added_tokens: [{ ...wordTokenizerJson(VOCAB).added_tokens[0], id: 900_000, content: "[X]" }] }),
      ),
    ],
    ["an array", bytes([1, 2])],
  ];
  for (const [what, file] of hostile) assert.throws(() => parseTokenizer(file), InvalidModelError, what);
  assert.throws(() => parseTokenizer(bytes(wordPiece()), { maxBytes: 10 }), /too large/);
});

/** A tiny text model topology: Embedding(inputDim) -> GlobalAveragePooling1D -> Dense(2). */
function textModel(inputDim: number, extraLayer?: Record<string, unknown>): ModelArtifact {
  const layers = [
    { class_name: "InputLayer", config: { name: "ids", batch_input_shape: [null, 4], dtype: "int32" } },
    { class_name: "Embedding", config: { name: "embedding", input_dim: inputDim, output_dim: 2 } },
    ...(extraLayer ? [extraLayer] : []),
    { class_name: "GlobalAveragePooling1D", config: { name: "features" } },
    { class_name: "Dense", config: { name: "out", units: 2 } },
  ];
  const weights = [
    { name: "embedding/embeddings", shape: [inputDim, 2], dtype: "float32" },
    { name: "out/kernel", shape: [2, 2], dtype: "float32" },
    { name: "out/bias", shape: [2], dtype: "float32" },
  ];
  return {
    modelJson: {
      modelTopology: { class_name: "Model", config: { name: "tiny_text", layers } },
      weightsManifest: [{ paths: ["weights.bin"], weights }],
    },
    weights: new Uint8Array((inputDim * 2 + 4 + 2) * 4),
  };
}

test("a text model's tokenizer is parsed, hashed and sized with it, from files or an artifact", () => {
  const tokenizer = bytes(wordPiece());
  const artifact = textModel(8);
  const parsed = parseModelArtifact({ ...artifact, tokenizer });
  assert.equal(parsed.tokenizer?.sha256, sha256Hex(tokenizer));
  assert.equal(parsed.inputShape[0], 4);
  const files = new Map([
    ["model.json", new TextEncoder().encode(JSON.stringify(artifact.modelJson))],
    ["weights.bin", artifact.weights],
    ["tokenizer.json", tokenizer],
  ]);
  const fromFiles = parseModelFiles(files);
  assert.equal(fromFiles.tokenizer?.vocabSize, 8);
  assert.equal(fromFiles.sizeBytes, parsed.sizeBytes);
  assert.equal(parseModelArtifact(artifact).tokenizer, null);
});

test("a tokenizer with more ids than the model's embedding is refused", () => {
  assert.throws(
    () => parseModelArtifact({ ...textModel(5), tokenizer: bytes(wordPiece()) }),
    /the embedding embedding takes 5/,
  );
});

test("Graft's custom layers are checked by config; unknown Graft classes are refused", () => {
  const attention = (config: Record<string, unknown>) =>
    textModel(8, { class_name: "GraftSelfAttention", config: { name: "attention", ...config } });
  assert.doesNotThrow(() => parseModelArtifact(attention({ num_heads: 4, key_dim: 16, pad_token_id: 0 })));
  assert.throws(
    () => parseModelArtifact(attention({ num_heads: 10_000, key_dim: 16, pad_token_id: 0 })),
    /GraftSelfAttention config/,
  );
  assert.throws(
    () => parseModelArtifact(textModel(8, { class_name: "GraftEvalLayer", config: { name: "x" } })),
    /unknown Graft layer class/,
  );
});

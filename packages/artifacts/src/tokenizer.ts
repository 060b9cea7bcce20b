import type { TextPreprocessing } from "@graft/contracts";
import { Tokenizer } from "@huggingface/tokenizers";
import { InvalidModelError } from "./errors.ts";
import { sha256Hex } from "./store.ts";

/**
 * A text model's tokenizer is a Hugging Face `tokenizer.json` (WordPiece, BPE or Unigram
 * vocabulary plus normalizer and pre-tokenizer rules), stored beside model.json and
 * hashed with it. It is read as data: only components from an allow-list are accepted and
 * no regular expression from the file is ever compiled (a hostile pattern could hang the
 * trainer), then @huggingface/tokenizers, a maintained pure-JS implementation, encodes.
 */

export const TOKENIZER_FILE = "tokenizer.json";

export interface ParsedTokenizer {
  sha256: string;
  /** WordPiece, BPE or Unigram. */
  type: string;
  /** Number of ids, added tokens included: every id is below it. */
  vocabSize: number;
  /** The id of the padding token (`[PAD]`, `<pad>`, or the file's padding.pad_id); null when it has none. */
  padTokenId: number | null;
}

export interface TokenizerLimits {
  /** @default 32 MiB */
  maxBytes?: number;
  /** @default 300_000 */
  maxVocabulary?: number;
}

const ALLOWED = {
  normalizer: new Set([
    "BertNormalizer",
    "Lowercase",
    "NFC",
    "NFD",
    "NFKC",
    "NFKD",
    "Strip",
    "StripAccents",
    "Replace",
    "Prepend",
    "Precompiled",
    "Sequence",
  ]),
  pre_tokenizer: new Set([
    "BertPreTokenizer",
    "Whitespace",
    "WhitespaceSplit",
    "Metaspace",
    "ByteLevel",
    "Split",
    "Punctuation",
    "Digits",
    "CharDelimiterSplit",
    "Sequence",
  ]),
  post_processor: new Set(["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"]),
  decoder: new Set([
    "ByteLevel",
    "WordPiece",
    "Metaspace",
    "BPEDecoder",
    "CTC",
    "Sequence",
    "Replace",
    "Fuse",
    "Strip",
    "ByteFallback",
  ]),
} as const;

const PAD_TOKENS = ["[PAD]", "<pad>", "<|pad|>", "[pad]"];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const invalid = (reason: string, cause?: unknown) =>
  new InvalidModelError(`tokenizer.json: ${reason}`, cause === undefined ? undefined : { cause });

/** Validates tokenizer.json bytes and builds the tokenizer once to prove it works. */
export function parseTokenizer(bytes: Uint8Array, limits: TokenizerLimits = {}): ParsedTokenizer {
  return loadTokenizer(bytes, limits).parsed;
}

export interface LoadedTokenizer {
  parsed: ParsedTokenizer;
  /** Token ids of a text, special tokens (e.g. [CLS]/[SEP]) included as the file's post-processor says. */
  encode(text: string): number[];
}

export function loadTokenizer(bytes: Uint8Array, limits: TokenizerLimits = {}): LoadedTokenizer {
  if (bytes.byteLength > (limits.maxBytes ?? 32 * 2 ** 20)) throw invalid("the file is too large");
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (cause) {
    throw invalid("not valid UTF-8 JSON", cause);
  }
  if (!isObject(json)) throw invalid("not a JSON object");
  for (const part of ["normalizer", "pre_tokenizer", "post_processor", "decoder"] as const)
    checkComponent(json[part], part, ALLOWED[part], 0);
  const { type, size } = checkModel(json.model, limits.maxVocabulary ?? 300_000);
  const added = checkAddedTokens(json.added_tokens, limits.maxVocabulary ?? 300_000);
  const vocabSize = Math.max(size, ...added.map((t) => t.id + 1));

  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, {});
  } catch (cause) {
    throw invalid(`cannot be built: ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  const padding =
    isObject(json.padding) && Number.isInteger(json.padding.pad_id) ? (json.padding.pad_id as number) : null;
  const padTokenId =
    padding ??
    PAD_TOKENS.map((token) => tokenizer.token_to_id(token)).find((id): id is number => id !== undefined) ??
    null;
  const parsed: ParsedTokenizer = { sha256: sha256Hex(bytes), type, vocabSize, padTokenId };
  return {
    parsed,
    encode: (text) => {
      const ids = tokenizer.encode(text).ids;
      for (const id of ids)
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
          throw invalid(`produced token id ${String(id)} outside its vocabulary`);
      return ids;
    },
  };
}

/** Pads or truncates token ids to the model's input length, as its preprocessing says. */
export function toTokenSequence(
  ids: readonly number[],
  p: Pick<TextPreprocessing, "sequenceLength" | "padding" | "truncation" | "padTokenId">,
): Int32Array {
  const out = new Int32Array(p.sequenceLength).fill(p.padTokenId);
  const kept =
    ids.length <= p.sequenceLength
      ? ids
      : p.truncation === "END"
        ? ids.slice(0, p.sequenceLength)
        : ids.slice(ids.length - p.sequenceLength);
  out.set(kept, p.padding === "END" ? 0 : p.sequenceLength - kept.length);
  return out;
}

function checkComponent(value: unknown, part: keyof typeof ALLOWED, allowed: ReadonlySet<string>, depth: number) {
  if (value === null || value === undefined) return;
  if (depth > 8) throw invalid(`${part} is nested too deeply`);
  if (!isObject(value) || typeof value.type !== "string") throw invalid(`${part} has no type`);
  if (!allowed.has(value.type)) throw invalid(`${part} type ${JSON.stringify(value.type)} is not supported`);
  // A pattern given as a regular expression would be compiled and run on every text.
  if (isObject(value.pattern) && "Regex" in value.pattern)
    throw invalid(`${part} ${value.type} uses a regular expression; only string patterns are accepted`);
  const children = value.normalizers ?? value.pretokenizers ?? value.processors ?? value.decoders;
  if (value.type === "Sequence") {
    if (!Array.isArray(children) || children.length > 32) throw invalid(`${part} Sequence is malformed`);
    for (const child of children) checkComponent(child, part, allowed, depth + 1);
  }
}

function checkModel(model: unknown, maxVocabulary: number): { type: string; size: number } {
  if (!isObject(model)) throw invalid("model is missing");
  const type = model.type;
  if (type === "WordPiece" || type === "BPE") {
    if (!isObject(model.vocab)) throw invalid(`${type} model has no vocab object`);
    const ids = Object.values(model.vocab);
    if (ids.length < 2 || ids.length > maxVocabulary)
      throw invalid(`the vocabulary has ${ids.length} entries; 2..${maxVocabulary} are accepted`);
    let size = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= maxVocabulary)
        throw invalid("vocabulary ids must be integers below the vocabulary limit");
      size = Math.max(size, (id as number) + 1);
    }
    if (typeof model.unk_token === "string" && !(model.unk_token in model.vocab) && type === "WordPiece")
      throw invalid(`unk_token ${JSON.stringify(model.unk_token)} is not in the vocabulary`);
    const maxChars = model.max_input_chars_per_word;
    if (
      maxChars !== undefined &&
      (!Number.isInteger(maxChars) || (maxChars as number) < 1 || (maxChars as number) > 200)
    )
      throw invalid("max_input_chars_per_word must be 1..200");
    if (type === "BPE" && (!Array.isArray(model.merges) || model.merges.length > maxVocabulary * 2))
      throw invalid("BPE model needs a bounded merges list");
    return { type, size };
  }
  if (type === "Unigram") {
    if (!Array.isArray(model.vocab) || model.vocab.length < 2 || model.vocab.length > maxVocabulary)
      throw invalid(`the Unigram vocabulary must hold 2..${maxVocabulary} [piece, score] pairs`);
    for (const entry of model.vocab)
      if (!Array.isArray(entry) || typeof entry[0] !== "string" || typeof entry[1] !== "number")
        throw invalid("the Unigram vocabulary must hold [piece, score] pairs");
    return { type, size: model.vocab.length };
  }
  throw invalid(`model type ${JSON.stringify(type)} is not supported (WordPiece, BPE or Unigram)`);
}

function checkAddedTokens(value: unknown, maxVocabulary: number): { id: number }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 10_000) throw invalid("added_tokens must be a short list");
  for (const token of value)
    if (
      !isObject(token) ||
      !Number.isInteger(token.id) ||
      (token.id as number) < 0 ||
      (token.id as number) >= maxVocabulary ||
      typeof token.content !== "string" ||
      token.content.length === 0 ||
      token.content.length > 100
    )
      throw invalid("an added token lacks an id below the vocabulary limit or its content");
  return value as { id: number }[];
}

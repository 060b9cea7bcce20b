import { type LoadedTokenizer, loadTokenizer, toTokenSequence } from "@graft/artifacts";
import type { TextPreprocessing } from "@graft/contracts";
import { CorruptModelError } from "./errors.ts";

/** Texts as the engine receives them: one string per sample, labels indexing labelNames. */
export interface LabeledTexts {
  texts: string[];
  labels: Int32Array;
  labelNames: string[];
}

/**
 * Every text of a dataset as token ids of the model's input length, encoded once with the
 * model's own tokenizer (which must be the one its preprocessing names). Returns n x length ids.
 */
export function encodeTexts(
  texts: readonly string[],
  tokenizerBytes: Uint8Array | undefined,
  preprocessing: TextPreprocessing,
): Int32Array {
  const tokenizer = textTokenizer(tokenizerBytes, preprocessing);
  const length = preprocessing.sequenceLength;
  const ids = new Int32Array(texts.length * length);
  for (const [i, text] of texts.entries()) ids.set(toTokenSequence(tokenizer.encode(text), preprocessing), i * length);
  return ids;
}

function textTokenizer(bytes: Uint8Array | undefined, preprocessing: TextPreprocessing): LoadedTokenizer {
  if (!bytes) throw new CorruptModelError("a text model needs its tokenizer.json, and this one has none");
  let tokenizer: LoadedTokenizer;
  try {
    tokenizer = loadTokenizer(bytes);
  } catch (cause) {
    throw new CorruptModelError(cause instanceof Error ? cause.message : String(cause), { cause });
  }
  if (tokenizer.parsed.sha256 !== preprocessing.tokenizerSha256)
    throw new CorruptModelError(
      `the stored tokenizer (sha256 ${tokenizer.parsed.sha256.slice(0, 12)}…) is not the one the model was registered with`,
    );
  if (preprocessing.padTokenId >= tokenizer.parsed.vocabSize)
    throw new CorruptModelError(`pad token id ${preprocessing.padTokenId} is outside the tokenizer's vocabulary`);
  return tokenizer;
}

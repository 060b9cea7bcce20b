import { type LoadedTokenizer, loadTokenizer, toTokenSequence } from "@graft/artifacts";
import type { TextPreprocessing } from "@graft/contracts";
import { CorruptModelError } from "../job-errors.ts";

/** Texts as the engine receives them: one string per sample, labels indexing labelNames. */
export interface LabeledTexts {
  texts: string[];
  labels: Int32Array;
  labelNames: string[];
}

/**
 * Token ids of a dataset's texts at the model's input length, with the model's own
 * tokenizer (which must be the one its preprocessing names). Each text is encoded the
 * first time it is asked for and kept, so a subsample costs only its own texts.
 */
export function textEncoder(
  texts: readonly string[],
  tokenizerBytes: Uint8Array | undefined,
  preprocessing: TextPreprocessing,
): (index: number) => Int32Array {
  const tokenizer = textTokenizer(tokenizerBytes, preprocessing);
  const encoded: (Int32Array | undefined)[] = new Array(texts.length);
  return (index) => {
    let ids = encoded[index];
    if (!ids) {
      ids = toTokenSequence(tokenizer.encode(texts[index] as string), preprocessing);
      encoded[index] = ids;
    }
    return ids;
  };
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

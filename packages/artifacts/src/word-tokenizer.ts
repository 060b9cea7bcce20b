/**
 * A tokenizer.json for a word vocabulary: BERT's normalizer (lowercase, accents stripped)
 * and pre-tokenizer (whitespace and punctuation), and a WordPiece model whose vocabulary
 * holds whole words, so a word outside it is `[UNK]` (add `##` pieces to split it instead).
 * `[PAD]` is id 0 and `[UNK]` id 1. Graft's built-in text bases use it.
 */

export const PAD_TOKEN = "[PAD]";
export const UNK_TOKEN = "[UNK]";

const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

export function wordTokenizerJson(vocab: Record<string, number>) {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special(0, PAD_TOKEN), special(1, UNK_TOKEN)],
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: true,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: null,
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: UNK_TOKEN,
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

import { z } from "zod";

/**
 * How raw samples become model input. Images: pixels scaled into a range, channels
 * repeated or averaged. Text: the model's own tokenizer (stored beside its weights and
 * named here by its sha256), then ids padded or truncated to a fixed sequence length.
 */

export const TASKS = ["image-classification", "text-classification"] as const;
export type Task = (typeof TASKS)[number];

export const imagePreprocessingSchema = z.object({
  /** Pixel values are scaled from [0, 255] into this range before the model sees them. */
  inputRange: z.tuple([z.number(), z.number()]),
  /** Channels the model expects; greyscale images are repeated into 3 channels when 3. */
  channels: z.union([z.literal(1), z.literal(3)]),
});
export type ImagePreprocessing = z.infer<typeof imagePreprocessingSchema>;

/** Which end of a sequence padding fills or truncation cuts. */
export const SEQUENCE_ENDS = ["START", "END"] as const;

export const textPreprocessingSchema = z.object({
  kind: z.literal("text"),
  /** Token ids per sample: the model's input length. */
  sequenceLength: z.number().int().min(1).max(4096),
  /** Where pad ids go when a text is shorter (START suits recurrent encoders that read to the end). */
  padding: z.enum(SEQUENCE_ENDS),
  /** Which end is cut when a text is longer (END keeps the beginning). */
  truncation: z.enum(SEQUENCE_ENDS),
  padTokenId: z.number().int().min(0),
  /** sha256 (hex) of the tokenizer.json stored with the model; a child inherits it unchanged. */
  tokenizerSha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type TextPreprocessing = z.infer<typeof textPreprocessingSchema>;

export const preprocessingSchema = z.union([textPreprocessingSchema, imagePreprocessingSchema]);
export type Preprocessing = z.infer<typeof preprocessingSchema>;

export const isTextPreprocessing = (p: Preprocessing): p is TextPreprocessing => "kind" in p && p.kind === "text";

export const BUILTIN_DATASET_KEYS = ["mnist", "mnist-0-4", "mnist-5-9", "spam-assassin", "brown-genres"] as const;
export type BuiltinDatasetKey = (typeof BUILTIN_DATASET_KEYS)[number];

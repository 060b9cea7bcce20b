import { z } from "zod";

/**
 * The custom layers Graft's text transformer uses, for lack of attention layers in
 * tfjs-layers 4.22. The trainer implements and registers them with TensorFlow.js
 * (services/trainer/src/engine/layers); the model parser here knows them by class name and
 * checks their configs as data, so a model naming an unknown `Graft*` class, or a known one
 * with absurd sizes, is refused before any trainer sees it.
 *
 * - GraftPositionEmbedding: adds a learned vector per position to a [batch, length, dim] input.
 * - GraftSelfAttention: multi-head scaled dot-product self-attention over [x, tokenIds]; keys
 *   whose token id is `padTokenId` are masked out.
 * - GraftMaskedMeanPooling: the mean over positions of [x, tokenIds] whose id is not `padTokenId`.
 */

const size = (max: number) => z.number().int().min(1).max(max);
const base = { name: z.string().min(1).max(200), trainable: z.boolean().optional() };

/** Keys as model.json holds them: tfjs writes layer configs in snake_case. */
export const CUSTOM_LAYER_CONFIGS = {
  GraftPositionEmbedding: z.looseObject({ ...base, max_length: size(4096), output_dim: size(4096) }),
  GraftSelfAttention: z.looseObject({
    ...base,
    num_heads: size(64),
    key_dim: size(1024),
    pad_token_id: z.number().int().min(0),
  }),
  GraftMaskedMeanPooling: z.looseObject({ ...base, pad_token_id: z.number().int().min(0) }),
} as const;

export type CustomLayerClass = keyof typeof CUSTOM_LAYER_CONFIGS;
export const CUSTOM_LAYER_CLASSES = Object.keys(CUSTOM_LAYER_CONFIGS) as CustomLayerClass[];

/** null when fine; otherwise why the layer is refused. */
export function customLayerProblem(className: string, config: unknown): string | null {
  if (!className.startsWith("Graft")) return null;
  const schema = CUSTOM_LAYER_CONFIGS[className as CustomLayerClass];
  if (!schema) return `unknown Graft layer class ${JSON.stringify(className)}`;
  const result = schema.safeParse(config);
  return result.success ? null : `${className} config is invalid: ${result.error.issues[0]?.message ?? "?"}`;
}

import * as tf from "@tensorflow/tfjs";
import { GraftMaskedMeanPooling } from "./masked-mean-pooling.ts";
import { GraftPositionEmbedding } from "./position-embedding.ts";
import { GraftSelfAttention } from "./self-attention.ts";

/**
 * Graft's custom layers (documented in @graft/artifacts' custom-layers.ts, whose parser
 * checks their configs), registered with TensorFlow.js when this module loads so any
 * model that names them deserializes.
 */
export const GRAFT_LAYERS = [GraftPositionEmbedding, GraftSelfAttention, GraftMaskedMeanPooling] as const;
for (const layer of GRAFT_LAYERS) tf.serialization.registerClass(layer);

export { GraftMaskedMeanPooling, GraftPositionEmbedding, GraftSelfAttention };

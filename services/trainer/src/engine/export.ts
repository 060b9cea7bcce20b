import { type ModelArtifact, type ParsedModel, parseModelArtifact, WEIGHTS_FILE } from "@graft/artifacts";
import * as tf from "@tensorflow/tfjs";

/**
 * Serialises a model into Graft's stored layout (model.json naming one weights.bin, plus the
 * tokenizer.json of a text model) and
 * describes it with per-layer hashes. Frozen layers were never written to, so their float32
 * bytes (and hashes) equal the parent's dequantized weights.
 */
export async function exportModel(
  model: tf.LayersModel,
  options: { frozenLayerNames?: string[]; tokenizer?: Uint8Array } = {},
): Promise<{ artifact: ModelArtifact; parsed: ParsedModel }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  if (!saved?.weightSpecs || saved.weightData === undefined) throw new Error("tfjs saved no weights");
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const artifact: ModelArtifact = {
    modelJson: {
      format: "layers-model",
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: "graft",
      modelTopology: saved.modelTopology as Record<string, unknown>,
      weightsManifest: [{ paths: [WEIGHTS_FILE], weights: saved.weightSpecs }],
    },
    weights,
    // A child reads text exactly as its parent: the same tokenizer bytes, so the same hash.
    ...(options.tokenizer ? { tokenizer: options.tokenizer } : {}),
  };
  const parsed = parseModelArtifact(artifact);
  if (options.frozenLayerNames) {
    const frozen = new Set(options.frozenLayerNames);
    parsed.layers = parsed.layers.map((layer) => ({ ...layer, trainable: !frozen.has(layer.name) }));
  }
  return { artifact, parsed };
}

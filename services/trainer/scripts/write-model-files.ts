import { mkdir, writeFile } from "node:fs/promises";
import * as tf from "@tensorflow/tfjs";

/**
 * Writes a pre-trained base as the catalog ships it: `model.json` naming one `weights.bin`,
 * and that file, in `dir` (created when missing). Shared by the pretrain-*.ts scripts.
 */
export async function writeModelFiles(model: tf.LayersModel, dir: URL): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
      };
      await writeFile(new URL("model.json", dir), `${JSON.stringify(modelJson)}\n`);
      await writeFile(new URL("weights.bin", dir), new Uint8Array(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
}

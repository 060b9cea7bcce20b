import { inputResizeProblem, TASKS } from "@graft/contracts";
import type { LayerRow } from "@graft/db";
import { BadUserInputError } from "./errors.ts";
import type { DatasetRow, ModelRow } from "./rows.ts";

const CLASSIFIERS = new Set<string>(TASKS);

/**
 * Checks that a base can be fine-tuned on a dataset of its task: a classifier cut at a layer
 * it has; for images, images it can take (any size is resized; grey is repeated into RGB,
 * not the reverse); for text, a tokenizer to read the texts with. Returns the cut point and
 * how many base layers sit at or below it.
 */
export function checkFineTunable(
  base: ModelRow,
  dataset: DatasetRow,
  requestedFeatureLayer: string | null,
): { featureLayer: string; baseLayerCount: number } {
  if (!CLASSIFIERS.has(base.task) || base.labels.length < 2) {
    throw new BadUserInputError("input.baseModelId", "the base model is not an image or text classifier");
  }
  const layers: LayerRow[] = base.layers;
  const field = requestedFeatureLayer === null ? "input.baseModelId" : "input.featureLayer";
  const featureLayer = requestedFeatureLayer ?? base.featureLayer;
  if (featureLayer === null) {
    throw new BadUserInputError(field, "the base model has no known feature layer; pass input.featureLayer");
  }
  const index = layers.findIndex((l) => l.name === featureLayer);
  if (index < 0) {
    throw new BadUserInputError(field, `the base model has no layer named ${JSON.stringify(featureLayer)}`);
  }
  if (index === layers.length - 1) {
    throw new BadUserInputError(field, `${JSON.stringify(featureLayer)} is the output layer; nothing would be cut`);
  }
  if (dataset.task !== base.task) {
    throw new BadUserInputError(
      "input.datasetId",
      `dataset task ${dataset.task} does not match the base's ${base.task}`,
    );
  }
  if (dataset.labels.length < 2) throw new BadUserInputError("input.datasetId", "the dataset has fewer than 2 labels");
  if (base.task === "text-classification") {
    if (!("kind" in base.preprocessing) || base.inputShape.length !== 1) {
      throw new BadUserInputError("input.baseModelId", "the base model has no tokenizer preprocessing for text");
    }
    return { featureLayer, baseLayerCount: index + 1 };
  }
  const [h, w, c] = base.inputShape;
  const [dh, dw, dc] = dataset.sampleShape;
  if (base.inputShape.length !== 3 || !h || !w || (c !== 1 && c !== 3)) {
    throw new BadUserInputError("input.baseModelId", "the base model does not take [height, width, 1|3] images");
  }
  if (dataset.sampleShape.length !== 3 || !dh || !dw || (dc !== 1 && dc !== 3)) {
    throw new BadUserInputError("input.datasetId", "the dataset's samples are not [height, width, 1|3] images");
  }
  if (dc === 3 && c === 1) {
    throw new BadUserInputError("input.datasetId", "the dataset has colour images but the base model takes greyscale");
  }
  return { featureLayer, baseLayerCount: index + 1 };
}

/** hyperparameters.inputSize needs a base whose features do not depend on the resolution (inputResizeProblem). */
export function checkResizable(base: ModelRow, featureLayer: string, inputSize: number): void {
  const problem = inputResizeProblem(base.layers, featureLayer, base.inputShape);
  if (problem)
    throw new BadUserInputError(
      "input.inputSize",
      `input.inputSize ${inputSize}: ${base.name} cannot change its input size when cut at ${featureLayer}: ${problem}`,
    );
}

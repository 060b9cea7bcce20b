/**
 * Public API of @graft/catalog: the built-in datasets and base models Graft seeds on first
 * start. No TensorFlow here; the trainer turns pixels, texts and artifacts into tensors.
 */
export {
  BUILTIN_DATASETS,
  type BuiltinDataset,
  builtinDataset,
  type ImageBuiltinDataset,
  MNIST_DIGIT_COUNTS,
  UnknownBuiltinError,
} from "./datasets.ts";
export {
  BUILTIN_MODELS,
  type BuiltinModel,
  type BuiltinModelKey,
  builtinModel,
  type FineTuneDefaults,
} from "./models.ts";
export { type DatasetPixels, loadBuiltinDatasetPixels } from "./pixels.ts";
export { TEXT_DATASETS, type TextBuiltinDataset } from "./text-datasets.ts";
export { builtinSampleTexts, type DatasetTexts, loadBuiltinDatasetTexts } from "./texts.ts";

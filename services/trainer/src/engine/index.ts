/**
 * Public API of the fine-tuning engine: backend choice, model loading (Graft's custom text
 * layers included), fine-tuning of image and text models with freezing and a feature
 * cache, datasets, a re-initialized copy of a base (training from scratch), and export
 * with per-layer hashes.
 */

export { CorruptModelError, IncompatibleDatasetError, InvalidFineTuneError } from "../job-errors.ts";
export { type BackendInfo, type BackendName, BackendUnavailableError, currentBackend, initBackend } from "./backend.ts";
export { encodeCheckpoint, restoreCheckpoint } from "./checkpoint.ts";
export { defaultFeatureLayer } from "./cut.ts";
export { imageFolderZipToImages, type LoadDatasetOptions, loadDataset, textDatasetToTexts } from "./dataset.ts";
export { FineTuneCancelledError } from "./errors.ts";
export { type Evaluation, evaluate } from "./evaluate.ts";
export { exportModel } from "./export.ts";
export { FeatureCache, type FeatureCacheOptions, openFeatureCache } from "./feature-cache.ts";
export { type FineTuneOptions, type FineTuneResult, fineTune } from "./fine-tune.ts";
export { isTextData, type TrainingData } from "./input-pipeline.ts";
export { GRAFT_LAYERS } from "./layers/index.ts";
export { loadModel, type ModelSource } from "./model-io.ts";
export { type LabeledImages, preprocessBatch } from "./preprocess.ts";
export { type ProgressListener, ProgressMeter, type ProgressReport } from "./progress.ts";
export { reinitializedCopy } from "./reinitialize.ts";
export { type Split, stratifiedSplit } from "./split.ts";
export type { LabeledTexts } from "./text-input.ts";

/**
 * Public API of the fine-tuning engine: backend choice, model loading, fine-tuning with
 * freezing and a feature cache, datasets, and export with per-layer hashes.
 */

export { CorruptModelError, IncompatibleDatasetError, InvalidFineTuneError } from "../job-errors.ts";
export { type BackendInfo, type BackendName, BackendUnavailableError, currentBackend, initBackend } from "./backend.ts";
export { encodeCheckpoint, restoreCheckpoint } from "./checkpoint.ts";
export { defaultFeatureLayer } from "./cut.ts";
export { imageFolderZipToImages, type LoadDatasetOptions, loadDataset } from "./dataset.ts";
export { FineTuneCancelledError } from "./errors.ts";
export { exportModel } from "./export.ts";
export { type FineTuneOptions, type FineTuneResult, fineTune } from "./fine-tune.ts";
export { loadModel, type ModelSource } from "./model-io.ts";
export type { LabeledImages } from "./preprocess.ts";

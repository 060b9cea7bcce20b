/**
 * Public API of @graft/artifacts: the artifact store (NATS Object Store), keys derived from
 * ids, and the file formats Graft accepts (tfjs LayersModel with an optional tokenizer, zips of image class folders, CSV/JSONL text datasets),
 * all parsed as data with limits. Add exports here with intention.
 */
export { CUSTOM_LAYER_CLASSES, CUSTOM_LAYER_CONFIGS, type CustomLayerClass } from "./custom-layers.ts";
export { InvalidDatasetError, InvalidModelError, ModelLimitError, UnsafeArchiveError } from "./errors.ts";
export { type FeatureLayerCandidate, featureLayerCandidates } from "./feature-layers.ts";
export {
  type DecodedImage,
  decodeImage,
  type ImageFolder,
  type ImageFolderLimits,
  type LazyImageFolder,
  readImageFolderZip,
  readImageFolderZipFile,
  validateImageFolder,
} from "./images.ts";
export {
  checkpointKey,
  datasetArtifactKey,
  epochCheckpointKey,
  forkSeedKey,
  modelArtifactKey,
  textDatasetArtifactKey,
  uploadArtifactKey,
} from "./keys.ts";
export {
  consolidate,
  type ModelArtifact,
  type ModelLimits,
  type ParsedModel,
  parseModelArtifact,
  parseModelFiles,
  WEIGHTS_FILE,
  type WeightSpec,
} from "./model-format.ts";
export { getModel, getModelBytes, MODEL_FILES, putModel, storedModelDigest } from "./model-store.ts";
export {
  ARTIFACTS_BUCKET,
  type ArtifactStore,
  type ArtifactStoreOptions,
  openArtifactStore,
  sha256Hex,
} from "./store.ts";
export {
  encodeTextDatasetJsonl,
  readTextDataset,
  sampleTexts,
  type TextDataset,
  type TextDatasetLimits,
} from "./text-dataset.ts";
export {
  type LoadedTokenizer,
  loadTokenizer,
  type ParsedTokenizer,
  parseTokenizer,
  TOKENIZER_FILE,
  type TokenizerLimits,
  toTokenSequence,
} from "./tokenizer.ts";
export { PAD_TOKEN, UNK_TOKEN, wordTokenizerJson } from "./word-tokenizer.ts";
export { isZipArchive, unzipSafely, type ZipEntryLayout, ZipFile, type ZipLimits } from "./zip.ts";

import type { ModelArtifact, ParsedModel } from "@graft/artifacts";
import type {
  DatasetSource,
  EpochMetrics,
  Hyperparameters,
  Preprocessing,
  RunProgress,
  TrainingPath,
} from "@graft/contracts";

/**
 * The part of the engine (../engine) the node drives. Declared here structurally so the
 * node depends on behaviour, not on TensorFlow types, and tests can hand in the real engine
 * loaded however they like.
 */
export interface EngineModel {
  readonly layers: readonly { readonly name: string; readonly trainable: boolean }[];
  dispose(): unknown;
}

export interface FineTuneResult {
  model: EngineModel;
  trainingPath: TrainingPath;
  featureLayer: string;
  stoppedEarly: boolean;
  epochsCompleted: number;
  /** Base layers still frozen at the end (their hashes must equal the parent's). */
  frozenLayerNames?: string[];
}

export interface Engine {
  initBackend(
    forced?: string,
  ): { backend: string; devices: string[] } | Promise<{ backend: string; devices: string[] }>;
  loadModel(source: { kind: "artifact"; artifact: ModelArtifact }): Promise<EngineModel>;
  loadDataset(
    source: DatasetSource,
    options: {
      readArtifact: (key: string) => Promise<Uint8Array | null>;
      imageSize?: [number, number];
      /** Decoding progress (PREPROCESSING); an in-process engine may not report it. */
      onProgress?: (report: RunProgress) => void;
    },
  ): Promise<unknown>;
  fineTune(options: {
    /** Consumed by the engine: only the returned model is disposed afterwards. */
    base: EngineModel;
    preprocessing: Preprocessing;
    featureLayer: string | null;
    // biome-ignore lint/suspicious/noExplicitAny: the dataset is opaque to the node and passed through.
    dataset: any;
    /** The base artifact's tokenizer.json (text models). */
    tokenizer?: Uint8Array;
    hyperparameters: Hyperparameters;
    resume?: { completedEpochs: number; checkpoint: Uint8Array };
    /** A fork's starting weights (another run's engine checkpoint). */
    initialWeights?: Uint8Array;
    signal?: AbortSignal;
    onEpoch?: (epoch: number, metrics: EpochMetrics, checkpoint: () => Promise<Uint8Array>) => Promise<void>;
    onBatch?: () => void;
    /** Phase and progress inside the epochs, at most every 250 ms. */
    onProgress?: (report: RunProgress) => void;
  }): Promise<FineTuneResult>;
  exportModel(
    // biome-ignore lint/suspicious/noExplicitAny: the engine's own model type.
    model: any,
    options: { frozenLayerNames: string[]; tokenizer?: Uint8Array },
  ): Promise<{ artifact: ModelArtifact; parsed: ParsedModel }>;
}

/** A job's own engine; `close()` frees it (for a worker thread: ends the thread, even mid-batch). */
export interface JobEngine extends Engine {
  close(): Promise<void>;
}

/** What a trainer node trains with: the backend it reports, and a fresh engine per job. */
export interface EngineHost {
  initBackend(forced?: string): Promise<{ backend: string; devices: string[] }>;
  openJob(): Promise<JobEngine>;
}

/**
 * Runs jobs on `engine` in this thread (tests hand in engines that fail on purpose). The
 * production node uses threadedEngine() (training-thread.ts) instead.
 */
export function inProcessEngine(engine: Engine): EngineHost {
  return {
    initBackend: async (forced) => engine.initBackend(forced),
    // Delegates every call to `engine`; closing frees nothing, the engine is shared.
    openJob: async () => Object.assign(Object.create(engine) as Engine, { close: async () => {} }),
  };
}

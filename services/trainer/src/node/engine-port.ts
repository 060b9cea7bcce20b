import type { ModelArtifact, ParsedModel } from "@graft/artifacts";
import type { DatasetSource, EpochMetrics, Hyperparameters, Preprocessing, TrainingPath } from "@graft/contracts";

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
    options: { readArtifact: (key: string) => Promise<Uint8Array | null>; imageSize?: [number, number] },
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
    signal?: AbortSignal;
    onEpoch?: (epoch: number, metrics: EpochMetrics, checkpoint: () => Promise<Uint8Array>) => Promise<void>;
    onBatch?: () => void;
  }): Promise<FineTuneResult>;
  exportModel(
    // biome-ignore lint/suspicious/noExplicitAny: the engine's own model type.
    model: any,
    options: { frozenLayerNames: string[]; tokenizer?: Uint8Array },
  ): Promise<{ artifact: ModelArtifact; parsed: ParsedModel }>;
}

/** Loads the real engine; kept lazy so TensorFlow only loads in processes that train. */
export async function loadEngine(): Promise<Engine> {
  // Assigned without a cast so the typecheck proves the real engine fits this port.
  const engine: Engine = await import("../engine/index.ts");
  return engine;
}

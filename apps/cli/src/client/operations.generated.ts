/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
/**
 * A dataset from an upload (see /uploads): a zip of class folders of PNG/JPEG images, or a
 * UTF-8 CSV (header with `text` and `label` columns) or JSONL (`{"text", "label"}` per line).
 */
export type CreateDatasetInput = {
  name: string;
  uploadId: string;
};

export type CreateExperimentInput = {
  description?: string | null | undefined;
  name: string;
  objectiveDirection?: SortDirection | null | undefined;
  objectiveMetric?: MetricName | null | undefined;
};

export type EarlyStoppingInput = {
  minDelta?: number | null | undefined;
  monitor?: MetricName | null | undefined;
  patience?: number | null | undefined;
};

export type FreezeInput = {
  layers?: number | null | undefined;
  strategy: FreezeStrategy;
};

export type FreezeStrategy =
  /** Freeze every base layer; the trainer caches base features and trains only the head. */
  | 'ALL_BASE'
  /** Freeze the first `layers` base layers. */
  | 'FIRST_N'
  /** Train every layer. */
  | 'NONE';

export type HeadInput = {
  dropout?: number | null | undefined;
  hiddenUnits?: number | null | undefined;
};

export type MetricName =
  | 'accuracy'
  | 'loss'
  | 'valAccuracy'
  | 'valLoss';

export type ModelFilter = {
  kind?: ModelKind | null | undefined;
  nameContains?: string | null | undefined;
  parentId?: string | null | undefined;
};

export type ModelKind =
  | 'BASE'
  | 'FINE_TUNED';

export type Optimizer =
  | 'ADAGRAD'
  | 'ADAM'
  | 'RMSPROP'
  | 'SGD';

/**
 * A base model from a tfjs LayersModel: either `uploadId` (a zip of model.json + weight
 * files posted to /uploads) or `url` (model.json over http(s); private addresses refused).
 * A text model (task `text-classification`) brings its Hugging Face `tokenizer.json` in the
 * zip or beside model.json at the URL, and takes [sequenceLength] token ids.
 */
export type RegisterModelInput = {
  featureLayer?: string | null | undefined;
  /** Images: pixel range the model expects; default [0, 1]. */
  inputRange?: Array<number> | null | undefined;
  labels?: Array<string> | null | undefined;
  name: string;
  /** Text: the padding id; default the tokenizer's [PAD] or <pad>. */
  padTokenId?: number | null | undefined;
  provenance?: unknown;
  /** Text: where padding goes; default END. */
  sequencePadding?: SequenceEnd | null | undefined;
  /** Text: which end truncation cuts; default END (keeps the beginning). */
  sequenceTruncation?: SequenceEnd | null | undefined;
  /** `image-classification` or `text-classification`. */
  task?: string | null | undefined;
  uploadId?: string | null | undefined;
  url?: string | null | undefined;
};

export type RunEventKind =
  | 'EPOCH'
  | 'LOG'
  | 'STATUS';

export type RunFilter = {
  baseModelId?: string | null | undefined;
  datasetId?: string | null | undefined;
  experimentId?: string | null | undefined;
  status?: Array<RunStatus> | null | undefined;
  trainerId?: string | null | undefined;
};

export type RunOrder = {
  direction: SortDirection;
  field: RunOrderField;
};

export type RunOrderField =
  | 'BEST_VAL_ACCURACY'
  | 'BEST_VAL_LOSS'
  | 'FINISHED_AT'
  | 'QUEUED_AT';

export type RunStatus =
  | 'ASSIGNED'
  | 'CANCELLED'
  | 'FAILED'
  | 'QUEUED'
  | 'RUNNING'
  | 'SUCCEEDED';

/** Which end of a token sequence padding fills or truncation cuts. */
export type SequenceEnd =
  | 'END'
  | 'START';

export type SortDirection =
  | 'ASC'
  | 'DESC';

export type StartFineTuneInput = {
  baseModelId: string;
  batchSize?: number | null | undefined;
  datasetId: string;
  earlyStopping?: EarlyStoppingInput | null | undefined;
  epochs: number;
  experimentId?: string | null | undefined;
  featureLayer?: string | null | undefined;
  freeze?: FreezeInput | null | undefined;
  head?: HeadInput | null | undefined;
  learningRate?: number | null | undefined;
  maxSamples?: number | null | undefined;
  name?: string | null | undefined;
  optimizer?: Optimizer | null | undefined;
  pool?: string | null | undefined;
  seed?: number | null | undefined;
  unfreezeSchedule?: Array<UnfreezeStepInput> | null | undefined;
  validationSplit?: number | null | undefined;
};

export type TrainerStatus =
  | 'BUSY'
  | 'DRAINING'
  | 'IDLE'
  | 'OFFLINE';

export type TrainingPath =
  | 'FEATURE_CACHE'
  | 'FULL';

export type UnfreezeStepInput = {
  epoch: number;
  layers: number;
};

export type ModelSummaryFragment = { id: string, name: string, kind: ModelKind, architecture: string, task: string, inputShape: Array<number>, labels: Array<string>, paramCount: number, sizeBytes: number, verifiedLineage: boolean | null, createdAt: string, parent: { id: string, name: string } | null };

export type EpochFieldsFragment = { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number };

export type RunSummaryFragment = { id: string, name: string | null, status: RunStatus, pool: string, attemptCount: number, trainingPath: TrainingPath | null, queuedAt: string, startedAt: string | null, finishedAt: string | null, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null, accuracy: number | null, loss: number } | null, outputModel: { id: string, name: string } | null, error: { code: string, message: string } | null };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { projectId: string, projectName: string } };

export type ModelsQueryVariables = Exact<{
  filter?: ModelFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
}>;


export type ModelsQuery = { models: { totalCount: number, edges: Array<{ node: { id: string, name: string, kind: ModelKind, architecture: string, task: string, inputShape: Array<number>, labels: Array<string>, paramCount: number, sizeBytes: number, verifiedLineage: boolean | null, createdAt: string, parent: { id: string, name: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type ModelQueryVariables = Exact<{
  id: string;
}>;


export type ModelQuery = { model: { featureLayer: string | null, provenance: unknown, bestMetric: number | null, id: string, name: string, kind: ModelKind, architecture: string, task: string, inputShape: Array<number>, labels: Array<string>, paramCount: number, sizeBytes: number, verifiedLineage: boolean | null, createdAt: string, preprocessing: { kind: string, inputRange: Array<number> | null, channels: number | null, sequenceLength: number | null, padding: SequenceEnd | null, truncation: SequenceEnd | null, padTokenId: number | null, tokenizerSha256: string | null }, layers: Array<{ index: number, name: string, className: string, params: number, weightHash: string | null, trainable: boolean }>, producedBy: { id: string, status: RunStatus } | null, children: Array<{ id: string, name: string }>, parent: { id: string, name: string } | null } | null };

export type ModelTreeQueryVariables = Exact<{
  id: string;
  maxDepth?: number | null | undefined;
}>;


export type ModelTreeQuery = { model: { id: string, name: string, kind: ModelKind, verifiedLineage: boolean | null, bestMetric: number | null, parent: { id: string } | null, ancestors: Array<{ id: string, name: string }>, descendants: Array<{ id: string, name: string, kind: ModelKind, verifiedLineage: boolean | null, bestMetric: number | null, parent: { id: string } | null }> } | null };

export type DatasetRefsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetRefsQuery = { datasets: Array<{ id: string, name: string, task: string }> };

export type ExperimentRefsQueryVariables = Exact<{ [key: string]: never; }>;


export type ExperimentRefsQuery = { experiments: Array<{ id: string, name: string }> };

export type DatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetsQuery = { datasets: Array<{ id: string, name: string, version: number, task: string, labels: Array<string>, sampleCount: number, classCounts: Array<number>, sampleShape: Array<number>, builtin: boolean, sha256: string | null, createdAt: string, classes: Array<{ label: string, count: number, sampleTexts: Array<string> }> }> };

export type ExperimentsQueryVariables = Exact<{ [key: string]: never; }>;


export type ExperimentsQuery = { experiments: Array<{ id: string, name: string, description: string | null, objectiveMetric: MetricName, objectiveDirection: SortDirection, createdAt: string, runs: { totalCount: number }, bestRun: { id: string, bestEpoch: { valAccuracy: number | null } | null } | null }> };

export type RunsQueryVariables = Exact<{
  filter?: RunFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  orderBy?: RunOrder | null | undefined;
}>;


export type RunsQuery = { runs: { totalCount: number, edges: Array<{ node: { id: string, name: string | null, status: RunStatus, pool: string, attemptCount: number, trainingPath: TrainingPath | null, queuedAt: string, startedAt: string | null, finishedAt: string | null, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null, accuracy: number | null, loss: number } | null, outputModel: { id: string, name: string } | null, error: { code: string, message: string } | null } }>, pageInfo: { hasNextPage: boolean, endCursor: string | null } } };

export type RunQueryVariables = Exact<{
  id: string;
}>;


export type RunQuery = { run: { id: string, name: string | null, status: RunStatus, pool: string, attemptCount: number, trainingPath: TrainingPath | null, queuedAt: string, startedAt: string | null, finishedAt: string | null, hyperparameters: { raw: unknown, epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null }, epochs: Array<{ epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number }>, attempts: Array<{ attempt: number, status: string, startedAt: string, endedAt: string | null, error: string | null, resumedFromEpoch: number, trainer: { id: string, name: string } | null }>, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null, accuracy: number | null, loss: number } | null, outputModel: { id: string, name: string } | null, error: { code: string, message: string } | null } | null };

export type TrainersQueryVariables = Exact<{
  status?: TrainerStatus | null | undefined;
}>;


export type TrainersQuery = { trainers: Array<{ id: string, name: string, host: string, pool: string, backend: string, devices: Array<string>, labels: Array<string>, maxConcurrentRuns: number, status: TrainerStatus, lastHeartbeatAt: string | null, currentRuns: Array<{ id: string }> }> };

export type RegisterModelMutationVariables = Exact<{
  input: RegisterModelInput;
}>;


export type RegisterModelMutation = { registerModel: { id: string, name: string, kind: ModelKind, architecture: string, task: string, inputShape: Array<number>, labels: Array<string>, paramCount: number, sizeBytes: number, verifiedLineage: boolean | null, createdAt: string, parent: { id: string, name: string } | null } };

export type CreateDatasetMutationVariables = Exact<{
  input: CreateDatasetInput;
}>;


export type CreateDatasetMutation = { createDataset: { id: string, name: string, version: number, labels: Array<string>, sampleCount: number, classCounts: Array<number> } };

export type CreateExperimentMutationVariables = Exact<{
  input: CreateExperimentInput;
}>;


export type CreateExperimentMutation = { createExperiment: { id: string, name: string, description: string | null, objectiveMetric: MetricName, objectiveDirection: SortDirection, createdAt: string } };

export type StartFineTuneMutationVariables = Exact<{
  input: StartFineTuneInput;
}>;


export type StartFineTuneMutation = { startFineTune: { id: string, name: string | null, status: RunStatus, pool: string, attemptCount: number, trainingPath: TrainingPath | null, queuedAt: string, startedAt: string | null, finishedAt: string | null, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null, accuracy: number | null, loss: number } | null, outputModel: { id: string, name: string } | null, error: { code: string, message: string } | null } };

export type CancelRunMutationVariables = Exact<{
  id: string;
}>;


export type CancelRunMutation = { cancelRun: { id: string, status: RunStatus } };

export type DrainTrainerMutationVariables = Exact<{
  id: string;
}>;


export type DrainTrainerMutation = { drainTrainer: { id: string, name: string, status: TrainerStatus } };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string;
}>;


export type RunEventsSubscription = { runEvents: { kind: RunEventKind, runId: string, status: RunStatus, attempt: number | null, message: string | null, at: string, epoch: { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number } | null } };

/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
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

export type ModelKind =
  | 'BASE'
  | 'FINE_TUNED';

export type Optimizer =
  | 'ADAGRAD'
  | 'ADAM'
  | 'RMSPROP'
  | 'SGD';

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

export type TrainerEventKind =
  | 'HEARTBEAT'
  | 'REGISTERED'
  | 'STALE'
  | 'STATUS_CHANGED';

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

export type EpochFieldsFragment = { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number, recordedAt: string };

export type TrainerFieldsFragment = { id: string, name: string, host: string, pool: string, backend: string, devices: Array<string>, labels: Array<string>, cpuCount: number, memoryBytes: number, maxConcurrentRuns: number, status: TrainerStatus, lastHeartbeatAt: string | null, registeredAt: string, currentRuns: Array<{ id: string, name: string | null, status: RunStatus }> };

export type RunRowFragment = { id: string, name: string | null, status: RunStatus, pool: string, queuedAt: string, finishedAt: string | null, attemptCount: number, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null } | null };

export type HyperparameterFieldsFragment = { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null, headHiddenUnits: number, headDropout: number, validationSplit: number, seed: number, maxSamples: number | null, featureLayer: string | null, unfreezeSchedule: Array<{ epoch: number, layers: number }>, earlyStopping: { monitor: MetricName, patience: number, minDelta: number } | null };

export type ViewerQueryVariables = Exact<{ [key: string]: never; }>;


export type ViewerQuery = { viewer: { projectId: string, projectName: string } };

export type OverviewQueryVariables = Exact<{
  activeFirst?: number | null | undefined;
  failedFirst?: number | null | undefined;
  modelsFirst?: number | null | undefined;
}>;


export type OverviewQuery = { active: { totalCount: number, edges: Array<{ node: { id: string, name: string | null, status: RunStatus, pool: string, queuedAt: string, finishedAt: string | null, attemptCount: number, epochs: Array<{ epoch: number }>, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null } | null } }> }, failed: { totalCount: number, edges: Array<{ node: { id: string, name: string | null, status: RunStatus, pool: string, queuedAt: string, finishedAt: string | null, attemptCount: number, error: { code: string, message: string } | null, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null } | null } }> }, trainers: Array<{ id: string, name: string, status: TrainerStatus, backend: string, lastHeartbeatAt: string | null }>, recentModels: { totalCount: number, edges: Array<{ node: { id: string, name: string, kind: ModelKind, architecture: string, createdAt: string, verifiedLineage: boolean | null, bestMetric: number | null } }> } };

export type RunsQueryVariables = Exact<{
  filter?: RunFilter | null | undefined;
  first?: number | null | undefined;
  after?: string | null | undefined;
  orderBy?: RunOrder | null | undefined;
}>;


export type RunsQuery = { runs: { totalCount: number, pageInfo: { hasNextPage: boolean, endCursor: string | null }, edges: Array<{ cursor: string, node: { id: string, name: string | null, status: RunStatus, pool: string, queuedAt: string, finishedAt: string | null, attemptCount: number, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number }, bestEpoch: { epoch: number, valAccuracy: number | null, valLoss: number | null } | null } }> } };

export type FilterOptionsQueryVariables = Exact<{
  modelsFirst?: number | null | undefined;
}>;


export type FilterOptionsQuery = { models: { edges: Array<{ node: { id: string, name: string, kind: ModelKind } }> }, datasets: Array<{ id: string, name: string, version: number, labels: Array<string>, sampleCount: number }>, experiments: Array<{ id: string, name: string }>, trainers: Array<{ id: string, name: string, pool: string, status: TrainerStatus }> };

export type RunQueryVariables = Exact<{
  id: string;
  full: boolean;
  maxPoints?: number | null | undefined;
}>;


export type RunQuery = { run: { id: string, name: string | null, status: RunStatus, pool: string, queuedAt: string, assignedAt: string | null, startedAt: string | null, finishedAt: string | null, attemptCount: number, trainingPath: TrainingPath | null, baseModel: { id: string, name: string, architecture: string }, dataset: { id: string, name: string }, experiment: { id: string, name: string, objectiveMetric: MetricName } | null, trainer: { id: string, name: string } | null, hyperparameters: { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null, headHiddenUnits: number, headDropout: number, validationSplit: number, seed: number, maxSamples: number | null, featureLayer: string | null, unfreezeSchedule: Array<{ epoch: number, layers: number }>, earlyStopping: { monitor: MetricName, patience: number, minDelta: number } | null }, attempts: Array<{ attempt: number, status: string, startedAt: string, endedAt: string | null, error: string | null, resumedFromEpoch: number, trainer: { id: string, name: string } | null }>, outputModel: { id: string, name: string, verifiedLineage: boolean | null } | null, error: { code: string, message: string } | null, bestEpoch: { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number, recordedAt: string } | null, epochs?: Array<{ epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number, recordedAt: string }>, lossSeries?: Array<{ epoch: number, last: number }>, valLossSeries?: Array<{ epoch: number, last: number }>, accuracySeries?: Array<{ epoch: number, last: number }>, valAccuracySeries?: Array<{ epoch: number, last: number }> } | null };

export type CompareRunQueryVariables = Exact<{
  id: string;
}>;


export type CompareRunQuery = { run: { id: string, name: string | null, status: RunStatus, baseModel: { id: string, name: string }, dataset: { id: string, name: string }, hyperparameters: { epochs: number, batchSize: number, optimizer: Optimizer, learningRate: number, freezeStrategy: FreezeStrategy, freezeLayers: number | null, headHiddenUnits: number, headDropout: number, validationSplit: number, seed: number, maxSamples: number | null, featureLayer: string | null, unfreezeSchedule: Array<{ epoch: number, layers: number }>, earlyStopping: { monitor: MetricName, patience: number, minDelta: number } | null }, epochs: Array<{ epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null }>, bestEpoch: { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number, recordedAt: string } | null } | null };

export type CancelRunMutationVariables = Exact<{
  id: string;
}>;


export type CancelRunMutation = { cancelRun: { id: string, status: RunStatus } };

export type NewFineTuneOptionsQueryVariables = Exact<{
  modelsFirst?: number | null | undefined;
}>;


export type NewFineTuneOptionsQuery = { models: { edges: Array<{ node: { id: string, name: string, kind: ModelKind, task: string, architecture: string, featureLayer: string | null, layers: Array<{ index: number }> } }> }, datasets: Array<{ id: string, name: string, version: number, task: string, sampleCount: number, labels: Array<string> }>, experiments: Array<{ id: string, name: string }> };

export type StartFineTuneMutationVariables = Exact<{
  input: StartFineTuneInput;
}>;


export type StartFineTuneMutation = { startFineTune: { id: string } };

export type CreateExperimentMutationVariables = Exact<{
  input: CreateExperimentInput;
}>;


export type CreateExperimentMutation = { createExperiment: { id: string, name: string } };

export type LineageQueryVariables = Exact<{
  basesFirst?: number | null | undefined;
}>;


export type LineageQuery = { models: { edges: Array<{ node: { id: string, name: string, kind: ModelKind, architecture: string, bestMetric: number | null, verifiedLineage: boolean | null, descendants: Array<{ id: string, name: string, kind: ModelKind, architecture: string, bestMetric: number | null, verifiedLineage: boolean | null, parent: { id: string } | null }> } }> } };

export type ModelQueryVariables = Exact<{
  id: string;
}>;


export type ModelQuery = { model: { id: string, name: string, kind: ModelKind, architecture: string, task: string, inputShape: Array<number>, labels: Array<string>, featureLayer: string | null, paramCount: number, sizeBytes: number, provenance: unknown, verifiedLineage: boolean | null, bestMetric: number | null, createdAt: string, preprocessing: { kind: string, inputRange: Array<number> | null, channels: number | null, sequenceLength: number | null, padding: SequenceEnd | null, truncation: SequenceEnd | null, padTokenId: number | null, tokenizerSha256: string | null }, layers: Array<{ index: number, name: string, className: string, params: number, weightHash: string | null, trainable: boolean }>, parent: { id: string, name: string, kind: ModelKind } | null, children: Array<{ id: string, name: string, bestMetric: number | null, verifiedLineage: boolean | null }>, siblings: Array<{ id: string, name: string, bestMetric: number | null, verifiedLineage: boolean | null }>, producedBy: { id: string, name: string | null, status: RunStatus, experiment: { id: string, name: string, objectiveMetric: MetricName, objectiveDirection: SortDirection } | null, hyperparameters: { freezeStrategy: FreezeStrategy, freezeLayers: number | null, epochs: number } } | null } | null };

export type TrainersQueryVariables = Exact<{ [key: string]: never; }>;


export type TrainersQuery = { trainers: Array<{ id: string, name: string, host: string, pool: string, backend: string, devices: Array<string>, labels: Array<string>, cpuCount: number, memoryBytes: number, maxConcurrentRuns: number, status: TrainerStatus, lastHeartbeatAt: string | null, registeredAt: string, currentRuns: Array<{ id: string, name: string | null, status: RunStatus }> }> };

export type DrainTrainerMutationVariables = Exact<{
  id: string;
}>;


export type DrainTrainerMutation = { drainTrainer: { id: string, name: string, host: string, pool: string, backend: string, devices: Array<string>, labels: Array<string>, cpuCount: number, memoryBytes: number, maxConcurrentRuns: number, status: TrainerStatus, lastHeartbeatAt: string | null, registeredAt: string, currentRuns: Array<{ id: string, name: string | null, status: RunStatus }> } };

export type DatasetsQueryVariables = Exact<{ [key: string]: never; }>;


export type DatasetsQuery = { datasets: Array<{ id: string, name: string, version: number, task: string, labels: Array<string>, sampleCount: number, classCounts: Array<number>, sampleShape: Array<number>, builtin: boolean, sha256: string | null, createdAt: string, classes: Array<{ label: string, count: number, sampleTexts: Array<string> }> }> };

export type CreateDatasetMutationVariables = Exact<{
  input: CreateDatasetInput;
}>;


export type CreateDatasetMutation = { createDataset: { id: string, name: string } };

export type RunEventsSubscriptionVariables = Exact<{
  runId: string;
}>;


export type RunEventsSubscription = { runEvents: { kind: RunEventKind, runId: string, status: RunStatus, attempt: number | null, message: string | null, at: string, epoch: { epoch: number, loss: number, accuracy: number | null, valLoss: number | null, valAccuracy: number | null, learningRate: number, durationMs: number, samplesPerSecond: number, trainableParams: number, frozenLayers: number, attempt: number, recordedAt: string } | null } };

export type TrainerEventsSubscriptionVariables = Exact<{ [key: string]: never; }>;


export type TrainerEventsSubscription = { trainerEvents: { kind: TrainerEventKind, at: string, trainer: { id: string, name: string, host: string, pool: string, backend: string, devices: Array<string>, labels: Array<string>, cpuCount: number, memoryBytes: number, maxConcurrentRuns: number, status: TrainerStatus, lastHeartbeatAt: string | null, registeredAt: string, currentRuns: Array<{ id: string, name: string | null, status: RunStatus }> } } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const EpochFieldsFragmentDoc = new TypedDocumentString(`
    fragment EpochFields on EpochMetrics {
  epoch
  loss
  accuracy
  valLoss
  valAccuracy
  learningRate
  durationMs
  samplesPerSecond
  trainableParams
  frozenLayers
  attempt
  recordedAt
}
    `, {"fragmentName":"EpochFields"}) as unknown as TypedDocumentString<EpochFieldsFragment, unknown>;
export const TrainerFieldsFragmentDoc = new TypedDocumentString(`
    fragment TrainerFields on Trainer {
  id
  name
  host
  pool
  backend
  devices
  labels
  cpuCount
  memoryBytes
  maxConcurrentRuns
  status
  lastHeartbeatAt
  registeredAt
  currentRuns {
    id
    name
    status
  }
}
    `, {"fragmentName":"TrainerFields"}) as unknown as TypedDocumentString<TrainerFieldsFragment, unknown>;
export const RunRowFragmentDoc = new TypedDocumentString(`
    fragment RunRow on Run {
  id
  name
  status
  pool
  queuedAt
  finishedAt
  attemptCount
  baseModel {
    id
    name
  }
  dataset {
    id
    name
  }
  experiment {
    id
    name
  }
  trainer {
    id
    name
  }
  hyperparameters {
    epochs
  }
  bestEpoch(metric: valAccuracy) {
    epoch
    valAccuracy
    valLoss
  }
}
    `, {"fragmentName":"RunRow"}) as unknown as TypedDocumentString<RunRowFragment, unknown>;
export const HyperparameterFieldsFragmentDoc = new TypedDocumentString(`
    fragment HyperparameterFields on Hyperparameters {
  epochs
  batchSize
  optimizer
  learningRate
  freezeStrategy
  freezeLayers
  headHiddenUnits
  headDropout
  unfreezeSchedule {
    epoch
    layers
  }
  earlyStopping {
    monitor
    patience
    minDelta
  }
  validationSplit
  seed
  maxSamples
  featureLayer
}
    `, {"fragmentName":"HyperparameterFields"}) as unknown as TypedDocumentString<HyperparameterFieldsFragment, unknown>;
export const ViewerDocument = new TypedDocumentString(`
    query Viewer {
  viewer {
    projectId
    projectName
  }
}
    `) as unknown as TypedDocumentString<ViewerQuery, ViewerQueryVariables>;
export const OverviewDocument = new TypedDocumentString(`
    query Overview($activeFirst: Int = 20, $failedFirst: Int = 5, $modelsFirst: Int = 8) {
  active: runs(filter: {status: [QUEUED, ASSIGNED, RUNNING]}, first: $activeFirst) {
    totalCount
    edges {
      node {
        ...RunRow
        epochs {
          epoch
        }
      }
    }
  }
  failed: runs(filter: {status: [FAILED]}, first: $failedFirst) {
    totalCount
    edges {
      node {
        ...RunRow
        error {
          code
          message
        }
      }
    }
  }
  trainers {
    id
    name
    status
    backend
    lastHeartbeatAt
  }
  recentModels: models(first: $modelsFirst) {
    totalCount
    edges {
      node {
        id
        name
        kind
        architecture
        createdAt
        verifiedLineage
        bestMetric
      }
    }
  }
}
    fragment RunRow on Run {
  id
  name
  status
  pool
  queuedAt
  finishedAt
  attemptCount
  baseModel {
    id
    name
  }
  dataset {
    id
    name
  }
  experiment {
    id
    name
  }
  trainer {
    id
    name
  }
  hyperparameters {
    epochs
  }
  bestEpoch(metric: valAccuracy) {
    epoch
    valAccuracy
    valLoss
  }
}`) as unknown as TypedDocumentString<OverviewQuery, OverviewQueryVariables>;
export const RunsDocument = new TypedDocumentString(`
    query Runs($filter: RunFilter, $first: Int, $after: String, $orderBy: RunOrder) {
  runs(filter: $filter, first: $first, after: $after, orderBy: $orderBy) {
    totalCount
    pageInfo {
      hasNextPage
      endCursor
    }
    edges {
      cursor
      node {
        ...RunRow
      }
    }
  }
}
    fragment RunRow on Run {
  id
  name
  status
  pool
  queuedAt
  finishedAt
  attemptCount
  baseModel {
    id
    name
  }
  dataset {
    id
    name
  }
  experiment {
    id
    name
  }
  trainer {
    id
    name
  }
  hyperparameters {
    epochs
  }
  bestEpoch(metric: valAccuracy) {
    epoch
    valAccuracy
    valLoss
  }
}`) as unknown as TypedDocumentString<RunsQuery, RunsQueryVariables>;
export const FilterOptionsDocument = new TypedDocumentString(`
    query FilterOptions($modelsFirst: Int = 200) {
  models(first: $modelsFirst) {
    edges {
      node {
        id
        name
        kind
      }
    }
  }
  datasets {
    id
    name
    version
    labels
    sampleCount
  }
  experiments {
    id
    name
  }
  trainers {
    id
    name
    pool
    status
  }
}
    `) as unknown as TypedDocumentString<FilterOptionsQuery, FilterOptionsQueryVariables>;
export const RunDocument = new TypedDocumentString(`
    query Run($id: ID!, $full: Boolean!, $maxPoints: Int) {
  run(id: $id) {
    id
    name
    status
    pool
    queuedAt
    assignedAt
    startedAt
    finishedAt
    attemptCount
    trainingPath
    baseModel {
      id
      name
      architecture
    }
    dataset {
      id
      name
    }
    experiment {
      id
      name
      objectiveMetric
    }
    trainer {
      id
      name
    }
    hyperparameters {
      ...HyperparameterFields
    }
    attempts {
      attempt
      status
      startedAt
      endedAt
      error
      resumedFromEpoch
      trainer {
        id
        name
      }
    }
    outputModel {
      id
      name
      verifiedLineage
    }
    error {
      code
      message
    }
    bestEpoch {
      ...EpochFields
    }
    epochs @include(if: $full) {
      ...EpochFields
    }
    lossSeries: series(metric: loss, maxPoints: $maxPoints) @skip(if: $full) {
      epoch
      last
    }
    valLossSeries: series(metric: valLoss, maxPoints: $maxPoints) @skip(if: $full) {
      epoch
      last
    }
    accuracySeries: series(metric: accuracy, maxPoints: $maxPoints) @skip(if: $full) {
      epoch
      last
    }
    valAccuracySeries: series(metric: valAccuracy, maxPoints: $maxPoints) @skip(if: $full) {
      epoch
      last
    }
  }
}
    fragment EpochFields on EpochMetrics {
  epoch
  loss
  accuracy
  valLoss
  valAccuracy
  learningRate
  durationMs
  samplesPerSecond
  trainableParams
  frozenLayers
  attempt
  recordedAt
}
fragment HyperparameterFields on Hyperparameters {
  epochs
  batchSize
  optimizer
  learningRate
  freezeStrategy
  freezeLayers
  headHiddenUnits
  headDropout
  unfreezeSchedule {
    epoch
    layers
  }
  earlyStopping {
    monitor
    patience
    minDelta
  }
  validationSplit
  seed
  maxSamples
  featureLayer
}`) as unknown as TypedDocumentString<RunQuery, RunQueryVariables>;
export const CompareRunDocument = new TypedDocumentString(`
    query CompareRun($id: ID!) {
  run(id: $id) {
    id
    name
    status
    baseModel {
      id
      name
    }
    dataset {
      id
      name
    }
    hyperparameters {
      ...HyperparameterFields
    }
    epochs {
      epoch
      loss
      accuracy
      valLoss
      valAccuracy
    }
    bestEpoch {
      ...EpochFields
    }
  }
}
    fragment EpochFields on EpochMetrics {
  epoch
  loss
  accuracy
  valLoss
  valAccuracy
  learningRate
  durationMs
  samplesPerSecond
  trainableParams
  frozenLayers
  attempt
  recordedAt
}
fragment HyperparameterFields on Hyperparameters {
  epochs
  batchSize
  optimizer
  learningRate
  freezeStrategy
  freezeLayers
  headHiddenUnits
  headDropout
  unfreezeSchedule {
    epoch
    layers
  }
  earlyStopping {
    monitor
    patience
    minDelta
  }
  validationSplit
  seed
  maxSamples
  featureLayer
}`) as unknown as TypedDocumentString<CompareRunQuery, CompareRunQueryVariables>;
export const CancelRunDocument = new TypedDocumentString(`
    mutation CancelRun($id: ID!) {
  cancelRun(id: $id) {
    id
    status
  }
}
    `) as unknown as TypedDocumentString<CancelRunMutation, CancelRunMutationVariables>;
export const NewFineTuneOptionsDocument = new TypedDocumentString(`
    query NewFineTuneOptions($modelsFirst: Int = 200) {
  models(first: $modelsFirst) {
    edges {
      node {
        id
        name
        kind
        task
        architecture
        featureLayer
        layers {
          index
        }
      }
    }
  }
  datasets {
    id
    name
    version
    task
    sampleCount
    labels
  }
  experiments {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<NewFineTuneOptionsQuery, NewFineTuneOptionsQueryVariables>;
export const StartFineTuneDocument = new TypedDocumentString(`
    mutation StartFineTune($input: StartFineTuneInput!) {
  startFineTune(input: $input) {
    id
  }
}
    `) as unknown as TypedDocumentString<StartFineTuneMutation, StartFineTuneMutationVariables>;
export const CreateExperimentDocument = new TypedDocumentString(`
    mutation CreateExperiment($input: CreateExperimentInput!) {
  createExperiment(input: $input) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CreateExperimentMutation, CreateExperimentMutationVariables>;
export const LineageDocument = new TypedDocumentString(`
    query Lineage($basesFirst: Int = 100) {
  models(filter: {kind: BASE}, first: $basesFirst) {
    edges {
      node {
        id
        name
        kind
        architecture
        bestMetric
        verifiedLineage
        descendants {
          id
          name
          kind
          architecture
          bestMetric
          verifiedLineage
          parent {
            id
          }
        }
      }
    }
  }
}
    `) as unknown as TypedDocumentString<LineageQuery, LineageQueryVariables>;
export const ModelDocument = new TypedDocumentString(`
    query Model($id: ID!) {
  model(id: $id) {
    id
    name
    kind
    architecture
    task
    inputShape
    labels
    featureLayer
    paramCount
    sizeBytes
    provenance
    verifiedLineage
    bestMetric
    createdAt
    preprocessing {
      kind
      inputRange
      channels
      sequenceLength
      padding
      truncation
      padTokenId
      tokenizerSha256
    }
    layers {
      index
      name
      className
      params
      weightHash
      trainable
    }
    parent {
      id
      name
      kind
    }
    children {
      id
      name
      bestMetric
      verifiedLineage
    }
    siblings {
      id
      name
      bestMetric
      verifiedLineage
    }
    producedBy {
      id
      name
      status
      experiment {
        id
        name
        objectiveMetric
        objectiveDirection
      }
      hyperparameters {
        freezeStrategy
        freezeLayers
        epochs
      }
    }
  }
}
    `) as unknown as TypedDocumentString<ModelQuery, ModelQueryVariables>;
export const TrainersDocument = new TypedDocumentString(`
    query Trainers {
  trainers {
    ...TrainerFields
  }
}
    fragment TrainerFields on Trainer {
  id
  name
  host
  pool
  backend
  devices
  labels
  cpuCount
  memoryBytes
  maxConcurrentRuns
  status
  lastHeartbeatAt
  registeredAt
  currentRuns {
    id
    name
    status
  }
}`) as unknown as TypedDocumentString<TrainersQuery, TrainersQueryVariables>;
export const DrainTrainerDocument = new TypedDocumentString(`
    mutation DrainTrainer($id: ID!) {
  drainTrainer(id: $id) {
    ...TrainerFields
  }
}
    fragment TrainerFields on Trainer {
  id
  name
  host
  pool
  backend
  devices
  labels
  cpuCount
  memoryBytes
  maxConcurrentRuns
  status
  lastHeartbeatAt
  registeredAt
  currentRuns {
    id
    name
    status
  }
}`) as unknown as TypedDocumentString<DrainTrainerMutation, DrainTrainerMutationVariables>;
export const DatasetsDocument = new TypedDocumentString(`
    query Datasets {
  datasets {
    id
    name
    version
    task
    labels
    sampleCount
    classCounts
    classes {
      label
      count
      sampleTexts
    }
    sampleShape
    builtin
    sha256
    createdAt
  }
}
    `) as unknown as TypedDocumentString<DatasetsQuery, DatasetsQueryVariables>;
export const CreateDatasetDocument = new TypedDocumentString(`
    mutation CreateDataset($input: CreateDatasetInput!) {
  createDataset(input: $input) {
    id
    name
  }
}
    `) as unknown as TypedDocumentString<CreateDatasetMutation, CreateDatasetMutationVariables>;
export const RunEventsDocument = new TypedDocumentString(`
    subscription RunEvents($runId: ID!) {
  runEvents(runId: $runId) {
    kind
    runId
    status
    attempt
    message
    at
    epoch {
      ...EpochFields
    }
  }
}
    fragment EpochFields on EpochMetrics {
  epoch
  loss
  accuracy
  valLoss
  valAccuracy
  learningRate
  durationMs
  samplesPerSecond
  trainableParams
  frozenLayers
  attempt
  recordedAt
}`) as unknown as TypedDocumentString<RunEventsSubscription, RunEventsSubscriptionVariables>;
export const TrainerEventsDocument = new TypedDocumentString(`
    subscription TrainerEvents {
  trainerEvents {
    kind
    at
    trainer {
      ...TrainerFields
    }
  }
}
    fragment TrainerFields on Trainer {
  id
  name
  host
  pool
  backend
  devices
  labels
  cpuCount
  memoryBytes
  maxConcurrentRuns
  status
  lastHeartbeatAt
  registeredAt
  currentRuns {
    id
    name
    status
  }
}`) as unknown as TypedDocumentString<TrainerEventsSubscription, TrainerEventsSubscriptionVariables>;
import type * as G from "./operations.generated.ts";

/** Operation name -> [variables, result], from the generated types. */
export interface Operations {
  Viewer: [G.ViewerQueryVariables, G.ViewerQuery];
  Models: [G.ModelsQueryVariables, G.ModelsQuery];
  Model: [G.ModelQueryVariables, G.ModelQuery];
  ModelTree: [G.ModelTreeQueryVariables, G.ModelTreeQuery];
  Datasets: [G.DatasetsQueryVariables, G.DatasetsQuery];
  DatasetRefs: [G.DatasetRefsQueryVariables, G.DatasetRefsQuery];
  ExperimentRefs: [G.ExperimentRefsQueryVariables, G.ExperimentRefsQuery];
  Experiments: [G.ExperimentsQueryVariables, G.ExperimentsQuery];
  Runs: [G.RunsQueryVariables, G.RunsQuery];
  Run: [G.RunQueryVariables, G.RunQuery];
  Trainers: [G.TrainersQueryVariables, G.TrainersQuery];
  RegisterModel: [G.RegisterModelMutationVariables, G.RegisterModelMutation];
  CreateDataset: [G.CreateDatasetMutationVariables, G.CreateDatasetMutation];
  CreateExperiment: [G.CreateExperimentMutationVariables, G.CreateExperimentMutation];
  StartFineTune: [G.StartFineTuneMutationVariables, G.StartFineTuneMutation];
  CancelRun: [G.CancelRunMutationVariables, G.CancelRunMutation];
  DrainTrainer: [G.DrainTrainerMutationVariables, G.DrainTrainerMutation];
}

export type OperationName = keyof Operations;
export type VariablesOf<K extends OperationName> = Operations[K][0];
export type ResultOf<K extends OperationName> = Operations[K][1];

export type ModelSummary = G.ModelsQuery["models"]["edges"][number]["node"];
export type ModelDetail = NonNullable<G.ModelQuery["model"]>;
export type ModelTree = NonNullable<G.ModelTreeQuery["model"]>;
export type Dataset = G.DatasetsQuery["datasets"][number];
export type Ref = { id: string; name: string };
export type Experiment = G.ExperimentsQuery["experiments"][number];
export type RunSummary = G.RunsQuery["runs"]["edges"][number]["node"];
export type RunDetail = NonNullable<G.RunQuery["run"]>;
export type EpochMetrics = RunDetail["epochs"][number];
export type Trainer = G.TrainersQuery["trainers"][number];
export type RunEvent = G.RunEventsSubscription["runEvents"];
export type {
  CreateExperimentInput,
  FreezeStrategy,
  MetricName,
  ModelFilter,
  Optimizer,
  RegisterModelInput,
  RunFilter,
  RunOrder,
  RunStatus,
  StartFineTuneInput,
  TrainerStatus,
} from "./operations.generated.ts";

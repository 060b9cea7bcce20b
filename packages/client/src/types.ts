import type * as G from "./graphql.generated.ts";

// Short names for the shapes programs pass around; each is exactly what an operation selects.

export type ModelSummary = G.ModelSummaryFragment;
export type ModelDetail = NonNullable<G.ModelQuery["model"]>;
export type ModelTree = NonNullable<G.ModelTreeQuery["model"]>;
export type Dataset = G.DatasetsQuery["datasets"][number];
export type Ref = { id: string; name: string };
export type Experiment = G.ExperimentsQuery["experiments"][number];
export type RunSummary = G.RunSummaryFragment;
export type RunDetail = NonNullable<G.RunQuery["run"]>;
export type TransferGain = G.TransferGainFieldsFragment;
export type FeatureLayerCandidate = G.FeatureLayerCandidateFieldsFragment;
export type EpochMetrics = G.EpochFieldsFragment;
export type Trainer = G.TrainerFieldsFragment;
export type RunEvent = G.RunEventsSubscription["runEvents"];

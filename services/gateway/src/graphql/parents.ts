import type { Hyperparameters, MetricName, Preprocessing } from "@graft/contracts";
import type { LayerRow } from "@graft/db";
import type { Viewer } from "../auth/authenticate.ts";
import type { LeaderboardEntry } from "../domain/leaderboard.ts";
import type {
  ApiKeyRow,
  AttemptRow,
  DatasetRow,
  EpochRow,
  ExperimentRow,
  JoinTokenRow,
  ModelRow,
  RunRow,
  TrainerRow,
} from "../domain/rows.ts";
import type { StudyRow } from "../domain/studies.ts";
import type { StudyCell, StudyCurve } from "../domain/study-cells.ts";
import type { SweepRow, SweepTrialRow } from "../domain/sweep-ledger.ts";
import type { ProgressPayload, RunEventPayload, TrainerEventPayload } from "../events/index.ts";

/** What each GraphQL object type's resolvers receive as parent (codegen mappers). */
export type ModelParent = ModelRow;
export type DatasetParent = DatasetRow;
export type ExperimentParent = ExperimentRow;
export type RunParent = RunRow;
export type StudyParent = StudyRow;
export type StudyCellParent = StudyCell;
export type StudyCurveParent = StudyCurve;
export type SweepParent = SweepRow;
/** A trial with the metric its sweep is judged by (for `SweepTrial.metric`). */
export type SweepTrialParent = SweepTrialRow & { metricName: MetricName };
export type LeaderboardEntryParent = LeaderboardEntry;
export type TrainerParent = TrainerRow;
export type EpochParent = EpochRow;
export type AttemptParent = AttemptRow;
export type LayerParent = LayerRow;
export type PreprocessingParent = Preprocessing;
export type HyperparametersParent = Hyperparameters;
export type TrainerEventParent = TrainerEventPayload;
export type RunEventParent = RunEventPayload;
export type RunProgressParent = ProgressPayload;
export type RegisterTrainerParent = { trainer: TrainerRow; trainerToken: string; natsCredentials: string };
export type ApiKeyParent = ApiKeyRow;
export type JoinTokenParent = JoinTokenRow;
export type ViewerParent = Viewer;
export type CreatedSessionParent = { token: string; expiresAt: Date; viewer: Viewer };

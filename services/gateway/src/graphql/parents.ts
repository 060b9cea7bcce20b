import type { Hyperparameters } from "@graft/contracts";
import type { LayerRow, PreprocessingRow } from "@graft/db";
import type { AttemptRow, DatasetRow, EpochRow, ExperimentRow, ModelRow, RunRow, TrainerRow } from "../domain/rows.ts";

/** What each GraphQL object type's resolvers receive as parent (codegen mappers). */
export type ModelParent = ModelRow;
export type DatasetParent = DatasetRow;
export type ExperimentParent = ExperimentRow;
export type RunParent = RunRow;
export type TrainerParent = TrainerRow;
export type EpochParent = EpochRow;
export type AttemptParent = AttemptRow;
export type LayerParent = LayerRow;
export type PreprocessingParent = PreprocessingRow;
export type HyperparametersParent = Hyperparameters;
export type TrainerEventParent = { kind: string; trainerId: string; at: string | Date };
export type RunEventParent = {
  kind: string;
  runId: string;
  status: string;
  attempt: number | null;
  epoch: (Omit<EpochRow, "runId" | "recordedAt"> & { recordedAt: string | Date }) | null;
  message: string | null;
  at: string | Date;
};
export type RegisterTrainerParent = { trainer: TrainerRow; trainerToken: string };

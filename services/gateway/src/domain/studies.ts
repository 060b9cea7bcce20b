import { ACTIVE_RUN_STATUSES, type Hyperparameters, type StudyArm, trainSampleCount } from "@graft/contracts";
import { type Db, ownedRows, type ProjectScope, runs, studies } from "@graft/db";
import { and, asc, desc, eq } from "drizzle-orm";
import type { DatasetQueries } from "./datasets.ts";
import { BadUserInputError } from "./errors.ts";
import { rowById, rowsByIds } from "./lookup.ts";
import type { RunRow } from "./rows.ts";
import type { RunQueries } from "./runs.ts";
import { type StudyResults, studyResults } from "./study-cells.ts";

export type StudyRow = typeof studies.$inferSelect;

/** What a study was asked for, as stored in `studies.spec`. */
export interface StudySpec {
  baseModelIds: string[];
  fractions: number[];
  arms: StudyArm[];
  seeds: number[];
  epochs: number;
}

export type StudyStatus = "RUNNING" | "SUCCEEDED" | "FAILED";

/**
 * RUNNING while any run is queued or running; then SUCCEEDED if every run did, else FAILED
 * (the cells still hold what the succeeded runs measured).
 */
export function studyStatus(statuses: readonly string[]): StudyStatus {
  if (statuses.some((s) => (ACTIVE_RUN_STATUSES as readonly string[]).includes(s))) return "RUNNING";
  return statuses.every((s) => s === "SUCCEEDED") ? "SUCCEEDED" : "FAILED";
}

/** Reads of the project's studies and their results (from the runs they expanded to). */
export class StudyQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
    private readonly q: { runs: RunQueries; datasets: DatasetQueries },
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, StudyRow>> {
    return rowsByIds(this.db, studies, ids, ownedRows(this.scope, studies.projectId));
  }

  get(id: string, field?: string): Promise<StudyRow> {
    return rowById("study", id, field, (ids) => this.byIds(ids));
  }

  /** Newest first. */
  async list(): Promise<StudyRow[]> {
    return await this.db
      .select()
      .from(studies)
      .where(ownedRows(this.scope, studies.projectId))
      .orderBy(desc(studies.createdAt), asc(studies.id));
  }

  /** The study's runs in grid order (as started). */
  async runsOf(studyId: string): Promise<RunRow[]> {
    return await this.db
      .select()
      .from(runs)
      .where(and(ownedRows(this.scope, runs.projectId), eq(runs.studyId, studyId)))
      .orderBy(asc(runs.queuedAt), asc(runs.name));
  }

  async status(studyId: string): Promise<StudyStatus> {
    return studyStatus((await this.runsOf(studyId)).map((r) => r.status));
  }

  /** The table and learning curve from the stored epochs of the study's runs (study-cells.ts). */
  async results(study: StudyRow, targetAccuracy?: number | null): Promise<StudyResults> {
    if (targetAccuracy !== null && targetAccuracy !== undefined && !(targetAccuracy > 0 && targetAccuracy <= 1))
      throw new BadUserInputError("targetAccuracy", "targetAccuracy must be in (0, 1]");
    const rows = await this.runsOf(study.id);
    const dataset = await this.q.datasets.get(study.datasetId);
    const succeeded = rows.filter((r) => r.status === "SUCCEEDED");
    const epochs = await this.q.runs.epochsOf(succeeded.map((r) => r.id));
    return studyResults(
      rows.map((r) => {
        const hp = r.hyperparameters as Hyperparameters;
        return {
          baseModelId: r.baseModelId,
          arm: r.studyArm ?? "FINE_TUNE",
          fraction: hp.trainFraction,
          samples: trainSampleCount(dataset.classCounts, hp),
          seed: r.seed,
          succeeded: r.status === "SUCCEEDED",
          epochs: (epochs.get(r.id) ?? []).map((e) => ({
            epoch: e.epoch,
            accuracy: e.valAccuracy,
            durationMs: e.durationMs,
          })),
        };
      }),
      targetAccuracy,
    );
  }
}

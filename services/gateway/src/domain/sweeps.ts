import { type Db, ownedRows, type ProjectScope, sweeps, sweepTrials } from "@graft/db";
import { and, asc, desc, eq, inArray } from "drizzle-orm";
import { rowById, rowsByIds } from "./lookup.ts";
import type { SweepRow, SweepTrialRow } from "./sweep-ledger.ts";

/** Reads of the project's sweeps and their trials. */
export class SweepQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, SweepRow>> {
    return rowsByIds(this.db, sweeps, ids, ownedRows(this.scope, sweeps.projectId));
  }

  get(id: string, field?: string): Promise<SweepRow> {
    return rowById("sweep", id, field, (ids) => this.byIds(ids));
  }

  /** Newest first. */
  async list(): Promise<SweepRow[]> {
    return await this.db
      .select()
      .from(sweeps)
      .where(ownedRows(this.scope, sweeps.projectId))
      .orderBy(desc(sweeps.createdAt), asc(sweeps.id));
  }

  /** Every planned trial of these sweeps (launched or not), in trial order, by sweep id (the loaders' batch). */
  async trialsOf(sweepIds: readonly string[]): Promise<Map<string, SweepTrialRow[]>> {
    const grouped = new Map<string, SweepTrialRow[]>(sweepIds.map((id) => [id, []]));
    if (sweepIds.length === 0) return grouped;
    const rows = await this.db
      .select()
      .from(sweepTrials)
      .where(inArray(sweepTrials.sweepId, [...sweepIds]))
      .orderBy(asc(sweepTrials.sweepId), asc(sweepTrials.trial));
    for (const row of rows) grouped.get(row.sweepId)?.push(row);
    return grouped;
  }

  /**
   * The trial each of these runs is, with its sweep, by run id (the loaders' batch): one
   * query, through the unique index on `sweep_trials.run_id`. Runs of no sweep are absent.
   */
  async trialsOfRuns(runIds: readonly string[]): Promise<Map<string, { sweep: SweepRow; trial: SweepTrialRow }>> {
    const rows = await this.db
      .select({ sweep: sweeps, trial: sweepTrials })
      .from(sweepTrials)
      .innerJoin(sweeps, eq(sweeps.id, sweepTrials.sweepId))
      .where(and(inArray(sweepTrials.runId, [...runIds]), ownedRows(this.scope, sweeps.projectId)));
    return new Map(rows.map((row) => [row.trial.runId as string, row]));
  }
}

import { type Db, ownedRows, type ProjectScope, sweeps, sweepTrials } from "@graft/db";
import { asc, desc, eq } from "drizzle-orm";
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

  /** Every planned trial of a sweep (launched or not), in trial order. */
  async trialsOf(sweepId: string): Promise<SweepTrialRow[]> {
    return await this.db
      .select()
      .from(sweepTrials)
      .where(eq(sweepTrials.sweepId, sweepId))
      .orderBy(asc(sweepTrials.trial));
  }
}

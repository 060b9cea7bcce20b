import { type Db, experiments, ownedRows, type ProjectScope } from "@graft/db";
import { asc } from "drizzle-orm";
import { rowById, rowsByIds } from "./lookup.ts";
import type { ExperimentRow } from "./rows.ts";

/** Reads of the project's experiments (there are no built-in ones). */
export class ExperimentQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, ExperimentRow>> {
    return rowsByIds(this.db, experiments, ids, ownedRows(this.scope, experiments.projectId));
  }

  get(id: string, field?: string): Promise<ExperimentRow> {
    return rowById("experiment", id, field, (ids) => this.byIds(ids));
  }

  async list(): Promise<ExperimentRow[]> {
    return await this.db
      .select()
      .from(experiments)
      .where(ownedRows(this.scope, experiments.projectId))
      .orderBy(asc(experiments.createdAt), asc(experiments.id));
  }
}

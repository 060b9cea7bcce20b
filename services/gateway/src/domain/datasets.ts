import { type Db, datasets, type ProjectScope, visibleRows } from "@graft/db";
import { asc, sql } from "drizzle-orm";
import { rowById, rowsByIds } from "./lookup.ts";
import type { DatasetRow } from "./rows.ts";

/** Reads of the datasets the project may see: its own and the built-ins. */
export class DatasetQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, DatasetRow>> {
    return rowsByIds(this.db, datasets, ids, visibleRows(this.scope, datasets.projectId));
  }

  get(id: string, field?: string): Promise<DatasetRow> {
    return rowById("dataset", id, field, (ids) => this.byIds(ids));
  }

  /** Built-ins first, then the project's own, oldest first. */
  async list(): Promise<DatasetRow[]> {
    return await this.db
      .select()
      .from(datasets)
      .where(visibleRows(this.scope, datasets.projectId))
      .orderBy(sql`${datasets.projectId} is not null`, asc(datasets.createdAt), asc(datasets.id));
  }
}

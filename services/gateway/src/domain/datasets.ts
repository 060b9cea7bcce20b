import { isUuid } from "@graft/contracts";
import { type Db, datasets, type ProjectScope, visibleRows } from "@graft/db";
import { and, asc, inArray, sql } from "drizzle-orm";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";
import type { DatasetRow } from "./rows.ts";

/** Reads of the datasets the project may see: its own and the built-ins. */
export class DatasetQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  async byIds(ids: readonly string[]): Promise<Map<string, DatasetRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(datasets)
      .where(and(inArray(datasets.id, valid), visibleRows(this.scope, datasets.projectId)));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<DatasetRow> {
    const found = (await this.byIds([checkId("dataset", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("dataset", id, field);
    return found;
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

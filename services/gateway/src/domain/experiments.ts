import { isUuid } from "@graft/contracts";
import { type Db, experiments, ownedRows, type ProjectScope } from "@graft/db";
import { and, asc, inArray } from "drizzle-orm";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";
import type { ExperimentRow } from "./rows.ts";

/** Reads of the project's experiments (there are no built-in ones). */
export class ExperimentQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  async byIds(ids: readonly string[]): Promise<Map<string, ExperimentRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(experiments)
      .where(and(inArray(experiments.id, valid), ownedRows(this.scope, experiments.projectId)));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<ExperimentRow> {
    const found = (await this.byIds([checkId("experiment", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("experiment", id, field);
    return found;
  }

  async list(): Promise<ExperimentRow[]> {
    return await this.db
      .select()
      .from(experiments)
      .where(ownedRows(this.scope, experiments.projectId))
      .orderBy(asc(experiments.createdAt), asc(experiments.id));
  }
}

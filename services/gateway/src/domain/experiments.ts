import { type Db, experiments } from "@graft/db";
import { and, asc, eq, inArray } from "drizzle-orm";
import type { Caller } from "./deps.ts";
import { NotFoundError } from "./errors.ts";
import { checkId, isUuid } from "./ids.ts";
import type { ExperimentRow } from "./rows.ts";

export class ExperimentQueries {
  constructor(
    private readonly db: Db,
    private readonly caller: Caller,
  ) {}

  async byIds(ids: readonly string[]): Promise<Map<string, ExperimentRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(experiments)
      .where(and(inArray(experiments.id, valid), eq(experiments.projectId, this.caller.projectId)));
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
      .where(eq(experiments.projectId, this.caller.projectId))
      .orderBy(asc(experiments.createdAt), asc(experiments.id));
  }
}

import { isUuid } from "@graft/contracts";
import {
  ancestors,
  children,
  countModels,
  type Db,
  descendants,
  type ModelFilter,
  models,
  modelsPage,
  type ProjectScope,
  siblings,
  visibleRows,
} from "@graft/db";
import { and, inArray } from "drizzle-orm";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";
import { type Connection, connection } from "./pages.ts";
import type { ModelRow } from "./rows.ts";

/** Reads of the lineage tree, scoped to what the project may see (its own models and the built-ins). */
export class ModelQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  async byIds(ids: readonly string[]): Promise<Map<string, ModelRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(models)
      .where(and(inArray(models.id, valid), visibleRows(this.scope, models.projectId)));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<ModelRow> {
    const found = (await this.byIds([checkId("model", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("model", id, field);
    return found;
  }

  page(
    filter: ModelFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Connection<ModelRow>> {
    return connection(
      modelsPage(this.db, this.scope, { filter, first, after }),
      countModels(this.db, this.scope, filter),
    );
  }

  children(model: ModelRow): Promise<ModelRow[]> {
    return children(this.db, this.scope, model.id);
  }

  siblings(model: ModelRow): Promise<ModelRow[]> {
    return siblings(this.db, this.scope, model.id);
  }

  /** Parent first, root last. */
  async ancestors(model: ModelRow): Promise<ModelRow[]> {
    return (await ancestors(this.db, this.scope, model.id)).map((e) => e.model);
  }

  /** Nearest generation first, down to `maxDepth` levels. */
  async descendants(model: ModelRow, maxDepth?: number | null): Promise<ModelRow[]> {
    if (maxDepth !== null && maxDepth !== undefined && maxDepth < 1) return [];
    const found = await descendants(this.db, this.scope, model.id, maxDepth ? { maxDepth } : {});
    return found.map((e) => e.model);
  }
}

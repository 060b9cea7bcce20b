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
import { rowById, rowsByIds } from "./lookup.ts";
import { type Connection, connection } from "./pages.ts";
import type { ModelRow } from "./rows.ts";

/** Reads of the lineage tree, scoped to what the project may see (its own models and the built-ins). */
export class ModelQueries {
  constructor(
    private readonly db: Db,
    private readonly scope: ProjectScope,
  ) {}

  byIds(ids: readonly string[]): Promise<Map<string, ModelRow>> {
    return rowsByIds(this.db, models, ids, visibleRows(this.scope, models.projectId));
  }

  get(id: string, field?: string): Promise<ModelRow> {
    return rowById("model", id, field, (ids) => this.byIds(ids));
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

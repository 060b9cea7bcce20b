import { isUuid } from "@graft/contracts";
import {
  ancestors,
  children,
  countModels,
  type Db,
  descendantSummaries,
  descendants,
  MODEL_SUMMARY_KEYS,
  type ModelFilter,
  models,
  modelsPage,
  type ProjectScope,
  siblings,
  visibleRows,
} from "@graft/db";
import { and, getTableColumns, inArray } from "drizzle-orm";
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

  /**
   * Like byIds, without the layer list and provenance (empty here): for selections that read
   * neither (see graphql/light-selection.ts), such as a runs page's `baseModel { id name }`.
   */
  async lightByIds(ids: readonly string[]): Promise<Map<string, ModelRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const { layers: _layers, provenance: _provenance, ...light } = getTableColumns(models);
    const rows = await this.db
      .select(light)
      .from(models)
      .where(and(inArray(models.id, valid), visibleRows(this.scope, models.projectId)));
    return new Map(rows.map((row) => [row.id, { ...row, layers: [], provenance: null }]));
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

  /**
   * Like descendants, each model's summary only (@graft/db ModelSummary): for selections that
   * read nothing else (graphql/light-selection.ts), such as the dashboard's lineage graph. A
   * column the summary leaves out throws when read, so a selection check that let too much
   * through fails loudly instead of answering an empty value.
   */
  async descendantSummaries(model: ModelRow, maxDepth?: number | null): Promise<ModelRow[]> {
    if (maxDepth !== null && maxDepth !== undefined && maxDepth < 1) return [];
    const found = await descendantSummaries(this.db, this.scope, model.id, maxDepth ? { maxDepth } : {});
    return found.map((e) => Object.assign(Object.create(NOT_IN_SUMMARY) as ModelRow, e.model));
  }
}

/** The prototype of a summary handed on as a ModelRow: each column a summary lacks throws when read. */
const NOT_IN_SUMMARY: object = Object.defineProperties(
  {},
  Object.fromEntries(
    Object.keys(getTableColumns(models))
      .filter((key) => !(MODEL_SUMMARY_KEYS as readonly string[]).includes(key))
      .map((key) => [
        key,
        {
          get() {
            throw new Error(
              `Model.${key} is not in a lineage summary: the selection check let a field through that reads it`,
            );
          },
        },
      ]),
  ),
);

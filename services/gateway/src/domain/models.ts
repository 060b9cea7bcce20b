import {
  ancestors,
  children,
  type Db,
  descendants,
  models,
  siblings,
  type Visibility,
  visibleToProject,
} from "@graft/db";
import { and, count, eq, ilike, inArray, type SQL, sql } from "drizzle-orm";
import { decodeCursor, encodeCursor, type Page, pageSize } from "./cursor.ts";
import type { Caller } from "./deps.ts";
import { NotFoundError } from "./errors.ts";
import { checkId, isUuid } from "./ids.ts";
import { type KeysetOrder, keysetAfter, keysetOrderBy, sortText } from "./keyset.ts";
import type { ModelRow } from "./rows.ts";
import { visibleTo } from "./visibility.ts";

export interface ModelFilter {
  kind?: "BASE" | "FINE_TUNED" | null;
  parentId?: string | null;
  nameContains?: string | null;
}

const NEWEST_FIRST: KeysetOrder = {
  name: "models.createdAt.desc",
  expr: sql`${models.createdAt}`,
  cast: "timestamptz",
  direction: "DESC",
};

/** Reads of the lineage tree, scoped to what the caller may see. */
export class ModelQueries {
  private readonly visibility: Visibility;

  constructor(
    private readonly db: Db,
    private readonly caller: Caller,
  ) {
    this.visibility = visibleToProject(caller.projectId);
  }

  async byIds(ids: readonly string[]): Promise<Map<string, ModelRow>> {
    const valid = ids.filter(isUuid);
    if (valid.length === 0) return new Map();
    const rows = await this.db
      .select()
      .from(models)
      .where(and(inArray(models.id, valid), visibleTo(this.caller, models.projectId)));
    return new Map(rows.map((r) => [r.id, r]));
  }

  async get(id: string, field?: string): Promise<ModelRow> {
    const found = (await this.byIds([checkId("model", id, field)])).get(id.toLowerCase());
    if (!found) throw new NotFoundError("model", id, field);
    return found;
  }

  async page(
    filter: ModelFilter | null | undefined,
    first?: number | null,
    after?: string | null,
  ): Promise<Page<ModelRow>> {
    const limit = pageSize(first);
    const where: SQL[] = [visibleTo(this.caller, models.projectId)];
    if (filter?.kind) where.push(eq(models.kind, filter.kind));
    if (filter?.parentId) {
      if (!isUuid(filter.parentId))
        return { edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 };
      where.push(eq(models.parentId, filter.parentId));
    }
    if (filter?.nameContains) where.push(ilike(models.name, `%${escapeLike(filter.nameContains)}%`));
    const [total] = await this.db
      .select({ n: count() })
      .from(models)
      .where(and(...where));
    const paged = [...where];
    if (after) {
      const key = decodeCursor(after, NEWEST_FIRST.name);
      paged.push(keysetAfter(NEWEST_FIRST, models.id, String(key.value), key.id));
    }
    const rows = await this.db
      .select({ row: models, sort: sortText(NEWEST_FIRST) })
      .from(models)
      .where(and(...paged))
      .orderBy(...keysetOrderBy(NEWEST_FIRST, models.id))
      .limit(limit + 1);
    const edges = rows.slice(0, limit).map(({ row, sort }) => ({
      cursor: encodeCursor({ order: NEWEST_FIRST.name, value: sort, id: row.id }),
      node: row,
    }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: total?.n ?? 0,
    };
  }

  children(model: ModelRow): Promise<ModelRow[]> {
    return children(this.db, this.visibility, model.id);
  }

  siblings(model: ModelRow): Promise<ModelRow[]> {
    return siblings(this.db, this.visibility, model.id);
  }

  /** Parent first, root last. */
  async ancestors(model: ModelRow): Promise<ModelRow[]> {
    return (await ancestors(this.db, this.visibility, model.id)).map((e) => e.model);
  }

  /** Nearest generation first, down to `maxDepth` levels. */
  async descendants(model: ModelRow, maxDepth?: number | null): Promise<ModelRow[]> {
    if (maxDepth !== null && maxDepth !== undefined && maxDepth < 1) return [];
    const found = await descendants(this.db, this.visibility, model.id, maxDepth ? { maxDepth } : {});
    return found.map((e) => e.model);
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

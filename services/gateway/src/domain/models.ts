import { type Db, models, rowsOf } from "@graft/db";
import { and, count, eq, ilike, inArray, ne, type SQL, sql } from "drizzle-orm";
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
  constructor(
    private readonly db: Db,
    private readonly caller: Caller,
  ) {}

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

  async children(model: ModelRow): Promise<ModelRow[]> {
    return await this.db
      .select()
      .from(models)
      .where(and(eq(models.parentId, model.id), visibleTo(this.caller, models.projectId)))
      .orderBy(models.createdAt, models.id);
  }

  async siblings(model: ModelRow): Promise<ModelRow[]> {
    if (model.parentId === null) return [];
    return await this.db
      .select()
      .from(models)
      .where(
        and(eq(models.parentId, model.parentId), ne(models.id, model.id), visibleTo(this.caller, models.projectId)),
      )
      .orderBy(models.createdAt, models.id);
  }

  /** Parent first, root last. */
  async ancestors(model: ModelRow): Promise<ModelRow[]> {
    const found = rowsOf<{ id: string; depth: number }>(
      await this.db.execute(sql`
        with recursive up(id, parent_id, depth) as (
          select id, parent_id, 1 from ${models} where id = ${model.parentId}::uuid
          union all
          select m.id, m.parent_id, up.depth + 1 from ${models} m join up on m.id = up.parent_id where up.depth < 10000
        )
        select id, depth from up`),
    );
    return this.inOrder(found);
  }

  /** Breadth-first: children, then grandchildren, ... down to `maxDepth` levels. */
  async descendants(model: ModelRow, maxDepth?: number | null): Promise<ModelRow[]> {
    const limit = maxDepth ?? 10_000;
    if (limit < 1) return [];
    const found = rowsOf<{ id: string; depth: number }>(
      await this.db.execute(sql`
        with recursive down(id, depth) as (
          select id, 1 from ${models} where parent_id = ${model.id}::uuid
          union all
          select m.id, down.depth + 1 from ${models} m join down on m.parent_id = down.id where down.depth < ${limit}
        )
        select id, depth from down`),
    );
    return this.inOrder(found);
  }

  private async inOrder(found: { id: string; depth: number }[]): Promise<ModelRow[]> {
    const byId = await this.byIds(found.map((f) => f.id));
    return [...found]
      .sort((a, b) => Number(a.depth) - Number(b.depth))
      .flatMap((f) => {
        const row = byId.get(f.id);
        return row ? [row] : [];
      });
  }
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

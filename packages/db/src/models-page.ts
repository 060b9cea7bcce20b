import { isUuid } from "@graft/contracts";
import { and, count, eq, ilike, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { ModelRow } from "./lineage.ts";
import { type KeysetOrder, keysetPage, type Page } from "./pagination.ts";
import { models } from "./schema.ts";
import { type ProjectScope, visibleRows } from "./scope.ts";

export interface ModelFilter {
  kind?: ModelRow["kind"] | null;
  parentId?: string | null;
  nameContains?: string | null;
}

export interface ModelsPageInput {
  filter?: ModelFilter | null;
  /** @default DEFAULT_PAGE_SIZE */
  first?: number | null;
  after?: string | null;
}

const NEWEST_FIRST: KeysetOrder = {
  name: "models.createdAt.DESC",
  column: models.createdAt,
  type: "timestamptz",
  nullable: false,
  direction: "DESC",
};

/** A page of the models the project sees (its own and the built-ins), newest first. */
export async function modelsPage(db: Db, scope: ProjectScope, input: ModelsPageInput = {}): Promise<Page<ModelRow>> {
  const where = filterConditions(scope, input.filter);
  return keysetPage({
    db,
    table: models,
    order: NEWEST_FIRST,
    // A parent id that is not an id has no children: the page is empty, not an error.
    where: where ?? [sql`false`],
    first: input.first,
    after: input.after,
  });
}

/** How many models the filter matches (ModelConnection.totalCount). */
export async function countModels(db: Db, scope: ProjectScope, filter?: ModelFilter | null): Promise<number> {
  const where = filterConditions(scope, filter);
  if (where === null) return 0;
  const [row] = await db
    .select({ n: count() })
    .from(models)
    .where(and(...where));
  return row?.n ?? 0;
}

/** null when the filter can match nothing. */
function filterConditions(scope: ProjectScope, filter: ModelFilter | null | undefined): SQL[] | null {
  const conditions: SQL[] = [visibleRows(scope, models.projectId)];
  if (filter?.kind) conditions.push(eq(models.kind, filter.kind));
  if (filter?.parentId) {
    if (!isUuid(filter.parentId)) return null;
    conditions.push(eq(models.parentId, filter.parentId));
  }
  if (filter?.nameContains) conditions.push(ilike(models.name, `%${escapeLike(filter.nameContains)}%`));
  return conditions;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

import { isUuid } from "@graft/contracts";
import type { Db } from "@graft/db";
import { and, inArray, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";

/**
 * Batch lookup by id (what the DataLoaders call): the rows of `table` with these ids that
 * `condition` (the project scope) lets through, keyed by id. Ids that are not UUIDs name no row.
 */
export async function rowsByIds<T extends PgTable & { id: PgColumn }>(
  db: Db,
  table: T,
  ids: readonly string[],
  condition?: SQL,
): Promise<Map<string, T["$inferSelect"]>> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return new Map();
  const rows = (await db
    .select()
    .from(table as PgTable)
    .where(and(inArray(table.id, valid), condition))) as (T["$inferSelect"] & { id: string })[];
  return new Map(rows.map((row) => [row.id, row]));
}

/** The row an argument names, or NOT_FOUND: a malformed, unknown or foreign id answers alike. */
export async function rowById<R>(
  entity: string,
  id: string,
  field: string | undefined,
  byIds: (ids: readonly string[]) => Promise<Map<string, R>>,
): Promise<R> {
  const found = (await byIds([checkId(entity, id, field)])).get(id.toLowerCase());
  if (!found) throw new NotFoundError(entity, id, field);
  return found;
}

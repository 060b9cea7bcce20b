import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

/**
 * One ordering for keyset pagination: a sort expression (never null, so row comparison works)
 * plus the id as tie-breaker. Sort values travel in cursors as the database's own text, so
 * microsecond timestamps survive the round trip.
 */
export interface KeysetOrder {
  name: string;
  expr: SQL;
  /** SQL type to cast the cursor's text back to. */
  cast: "timestamptz" | "float8";
  direction: "ASC" | "DESC";
}

export function keysetAfter(order: KeysetOrder, id: PgColumn, value: string, afterId: string): SQL {
  const v = sql.raw(`::${order.cast}`);
  return order.direction === "DESC"
    ? sql`(${order.expr}, ${id}) < (${value}${v}, ${afterId}::uuid)`
    : sql`(${order.expr}, ${id}) > (${value}${v}, ${afterId}::uuid)`;
}

export function keysetOrderBy(order: KeysetOrder, id: PgColumn): SQL[] {
  return order.direction === "DESC"
    ? [sql`${order.expr} desc`, sql`${id} desc`]
    : [sql`${order.expr} asc`, sql`${id} asc`];
}

export const sortText = (order: KeysetOrder) => sql<string>`(${order.expr})::text`;

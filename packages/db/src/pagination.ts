import { isUuid } from "@graft/contracts";
import { and, asc, desc, isNull, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { Db } from "./client.ts";
import { InvalidCursorError, InvalidPageRequestError } from "./errors.ts";

/**
 * Keyset pagination, the one way lists are paged: (sort column, id) after the cursor, so each
 * page is one index range read however deep the client pages, and rows inserted meanwhile
 * neither repeat nor go missing.
 */

export type SortDirection = "ASC" | "DESC";

/** Page size when the caller gives none, and the largest a caller may ask for. */
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

export interface Page<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  /** Rows matching `where` in all, when the request asked for it (`countAll`) and the page has rows. */
  totalCount?: number;
}

/** One ordering a list can be paged in. */
export interface KeysetOrder {
  /** Written into cursors: a cursor is accepted only by the ordering that made it. */
  name: string;
  column: PgColumn;
  /** SQL type the sort value is cast back to from a cursor. */
  type: "timestamptz" | "float8";
  /** Rows without a value come last in both directions. */
  nullable: boolean;
  direction: SortDirection;
}

/** Where a page ended: the ordering, the last row's sort value as PostgreSQL prints it (exact) and its id. */
export interface CursorPosition {
  order: string;
  value: string | null;
  id: string;
}

/** Opaque to clients. */
export function encodeCursor(position: CursorPosition): string {
  return Buffer.from(JSON.stringify([position.order, position.value, position.id])).toString("base64url");
}

/** Reads a cursor's position; its value is checked against the ordering by `keysetPage`. */
export function decodeCursor(text: string): CursorPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch (error) {
    throw new InvalidCursorError("not a cursor from this API", { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw new InvalidCursorError("not a cursor from this API");
  const [order, value, id] = parsed as unknown[];
  if (typeof order !== "string") throw new InvalidCursorError("not a cursor from this API");
  if ((value !== null && typeof value !== "string") || !isUuid(id)) throw new InvalidCursorError("bad position");
  return { order, value, id };
}

/** `first` checked against the page-size policy; InvalidPageRequestError (field "first") outside it. */
export function pageSize(first: number | null | undefined): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new InvalidPageRequestError("first", `first must be an integer in 1..${MAX_PAGE_SIZE}, got ${size}`);
  }
  return size;
}

/** A table with a UUID `id`: the tie-breaker that makes every order total. */
type KeyedTable = PgTable & { id: PgColumn };

export interface KeysetPageRequest<T extends KeyedTable> {
  db: Db;
  table: T;
  order: KeysetOrder;
  /** Scope and filter conditions; the page adds its own. */
  where: SQL[];
  first?: number | null;
  /** An `endCursor` / edge cursor of a previous page in the same order. */
  after?: string | null;
  /**
   * Also count every row matching `where`, in the same statement (a separate count is a second
   * round trip per page). An uncorrelated subquery, run once: the page itself stays an index
   * range scan, which `count(*) over ()` would not (it reads every match before the LIMIT).
   */
  countAll?: boolean;
}

/** One page of the table's rows matching `where`, in `order`, after the cursor. */
export async function keysetPage<T extends KeyedTable>(
  request: KeysetPageRequest<T>,
): Promise<Page<T["$inferSelect"]>> {
  const first = pageSize(request.first);
  const { db, table, order } = request;
  const id = table.id;
  const where = [...request.where];
  if (request.after != null) {
    const cursor = decodeCursor(request.after);
    if (cursor.order !== order.name) throw new InvalidCursorError("cursor was made for another ordering");
    if (cursor.value !== null && !isSortValue(order.type, cursor.value)) throw new InvalidCursorError("bad position");
    where.push(after(order, id, cursor));
  }
  const dir = order.direction === "ASC" ? asc : desc;
  // The sort value as PostgreSQL prints it, so the cursor holds it exactly (microseconds, shortest floats).
  const sortValue = sql<string | null>`${order.column}::text`;
  const total = request.countAll
    ? sql<number>`(select count(*) from ${table} where ${and(...request.where) ?? sql`true`})`.mapWith(Number)
    : sql<null>`null`;
  const rows = (await db
    .select({ node: table, sortValue, total })
    .from(table as PgTable)
    .where(and(...where))
    // No NULLS LAST on a NOT NULL column: it would stop a backward index scan serving DESC.
    .orderBy(order.nullable ? sql`${dir(order.column)} nulls last` : dir(order.column), dir(id))
    .limit(first + 1)) as unknown as {
    node: T["$inferSelect"] & { id: string };
    sortValue: string | null;
    total: number | null;
  }[];
  const edges = rows.slice(0, first).map(({ node, sortValue }) => ({
    cursor: encodeCursor({ order: order.name, value: sortValue, id: node.id }),
    node,
  }));
  const pageInfo = { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null };
  const totalCount = rows[0]?.total;
  return totalCount == null ? { edges, pageInfo } : { edges, pageInfo, totalCount };
}

/**
 * Rows strictly after the cursor in ORDER BY col dir NULLS LAST, id dir. A row comparison,
 * (col, id) > (v, id0), is what lets PostgreSQL start the index scan at the cursor.
 */
function after(order: KeysetOrder, id: PgColumn, cursor: CursorPosition): SQL {
  const beyond = order.direction === "ASC" ? sql`>` : sql`<`;
  const afterId = sql`${cursor.id}::uuid`;
  if (cursor.value === null) return and(isNull(order.column), sql`${id} ${beyond} ${afterId}`) as SQL;
  const type = sql.raw(order.type);
  const past = sql`(${order.column}, ${id}) ${beyond} (${cursor.value}::${type}, ${afterId})`;
  return order.nullable ? (or(past, isNull(order.column)) as SQL) : past;
}

function isSortValue(type: KeysetOrder["type"], value: string): boolean {
  if (type === "timestamptz") return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?$/.test(value);
  return (
    /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value) ||
    value === "NaN" ||
    value === "Infinity" ||
    value === "-Infinity"
  );
}

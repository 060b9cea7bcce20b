import { and, asc, desc, eq, inArray, isNull, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "./client.ts";
import { InvalidCursorError } from "./errors.ts";
import { runs } from "./schema.ts";
import { isUuid } from "./visibility.ts";

export type RunRow = typeof runs.$inferSelect;
export type RunStatusValue = RunRow["status"];
export type RunOrderField = "QUEUED_AT" | "FINISHED_AT" | "BEST_VAL_ACCURACY" | "BEST_VAL_LOSS";
export type SortDirection = "ASC" | "DESC";

export interface RunOrder {
  field: RunOrderField;
  direction: SortDirection;
}

export interface RunFilter {
  status?: readonly RunStatusValue[] | null;
  baseModelId?: string | null;
  datasetId?: string | null;
  experimentId?: string | null;
  trainerId?: string | null;
}

export interface RunsPageInput {
  /** Runs belong to one project; there are no built-in runs. */
  projectId: string;
  filter?: RunFilter | null;
  /** @default 50 */
  first?: number | null;
  /** An `endCursor` / edge cursor from a previous page with the same orderBy. */
  after?: string | null;
  /** @default newest first: { field: "QUEUED_AT", direction: "DESC" } */
  orderBy?: RunOrder | null;
}

export interface RunsPage {
  edges: { cursor: string; node: RunRow }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Largest page a caller may ask for. */
export const MAX_PAGE_SIZE = 500;

export class InvalidPageRequestError extends Error {
  override readonly name = "InvalidPageRequestError";
}

interface SortColumn {
  column: PgColumn;
  type: SQL;
  nullable: boolean;
}

const ORDER_COLUMNS: Record<RunOrderField, SortColumn> = {
  QUEUED_AT: { column: runs.queuedAt, type: sql`timestamptz`, nullable: false },
  FINISHED_AT: { column: runs.finishedAt, type: sql`timestamptz`, nullable: true },
  BEST_VAL_ACCURACY: { column: runs.bestValAccuracy, type: sql`float8`, nullable: true },
  BEST_VAL_LOSS: { column: runs.bestValLoss, type: sql`float8`, nullable: true },
};

interface CursorData {
  field: RunOrderField;
  direction: SortDirection;
  /** The sort column as PostgreSQL prints it (exact: microseconds, shortest round-trip floats). */
  value: string | null;
  id: string;
}

/** Opaque to clients; only says where the previous page ended, in a given order. */
export function encodeCursor(cursor: CursorData): string {
  return Buffer.from(JSON.stringify([cursor.field, cursor.direction, cursor.value, cursor.id])).toString("base64url");
}

export function decodeCursor(text: string): CursorData {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"));
  } catch (error) {
    throw new InvalidCursorError("not a cursor from this API", { cause: error });
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw new InvalidCursorError("not a cursor from this API");
  const [field, direction, value, id] = parsed as unknown[];
  if (typeof field !== "string" || !(field in ORDER_COLUMNS)) throw new InvalidCursorError("unknown order field");
  if (direction !== "ASC" && direction !== "DESC") throw new InvalidCursorError("unknown direction");
  if (value !== null && typeof value !== "string") throw new InvalidCursorError("bad position");
  if (typeof id !== "string" || !isUuid(id)) throw new InvalidCursorError("bad position");
  if (value !== null && !isSortValue(field as RunOrderField, value)) throw new InvalidCursorError("bad position");
  return { field: field as RunOrderField, direction, value, id };
}

/**
 * A page of a project's runs by keyset: (sort column, id) after the cursor, NULLS LAST in
 * both directions, so each page is one index range read however deep the client pages.
 */
export async function runsPage(db: Db, input: RunsPageInput): Promise<RunsPage> {
  const first = input.first ?? 50;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new InvalidPageRequestError(`first must be an integer in 1..${MAX_PAGE_SIZE}, got ${first}`);
  }
  const order = input.orderBy ?? { field: "QUEUED_AT", direction: "DESC" };
  const sort = ORDER_COLUMNS[order.field];
  if (sort === undefined || (order.direction !== "ASC" && order.direction !== "DESC")) {
    throw new InvalidPageRequestError(`unknown order ${JSON.stringify(order)}`);
  }
  if (!isUuid(input.projectId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };

  const where: (SQL | undefined)[] = [eq(runs.projectId, input.projectId), ...filterConditions(input.filter)];
  if (input.after != null) {
    const cursor = decodeCursor(input.after);
    if (cursor.field !== order.field || cursor.direction !== order.direction) {
      throw new InvalidCursorError("cursor was made for another orderBy");
    }
    where.push(after(sort, order.direction, cursor));
  }
  const dir = order.direction === "ASC" ? asc : desc;
  const rows = await db
    .select({ run: runs, sortValue: sql<string | null>`${sort.column}::text` })
    .from(runs)
    .where(and(...where))
    // No NULLS LAST on a NOT NULL column: it would stop a backward index scan serving DESC.
    .orderBy(sort.nullable ? sql`${dir(sort.column)} nulls last` : dir(sort.column), dir(runs.id))
    .limit(first + 1);

  const edges = rows.slice(0, first).map(({ run, sortValue }) => ({
    cursor: encodeCursor({ field: order.field, direction: order.direction, value: sortValue, id: run.id }),
    node: run,
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

/** How many runs the filter matches (RunConnection.totalCount); separate so pages stay cheap. */
export async function countRuns(db: Db, input: Pick<RunsPageInput, "projectId" | "filter">): Promise<number> {
  if (!isUuid(input.projectId)) return 0;
  const [row] = await db
    .select({ n: sql<number>`count(*)`.mapWith(Number) })
    .from(runs)
    .where(and(eq(runs.projectId, input.projectId), ...filterConditions(input.filter)));
  return row?.n ?? 0;
}

function filterConditions(filter: RunFilter | null | undefined): SQL[] {
  if (filter == null) return [];
  const conditions: SQL[] = [];
  if (filter.status != null) {
    // An empty status list matches nothing, as "any of these statuses" should.
    conditions.push(filter.status.length === 0 ? sql`false` : inArray(runs.status, [...filter.status]));
  }
  const ids: [PgColumn, string | null | undefined, string][] = [
    [runs.baseModelId, filter.baseModelId, "baseModelId"],
    [runs.datasetId, filter.datasetId, "datasetId"],
    [runs.experimentId, filter.experimentId, "experimentId"],
    [runs.trainerId, filter.trainerId, "trainerId"],
  ];
  for (const [column, id, name] of ids) {
    if (id == null) continue;
    if (!isUuid(id)) throw new InvalidPageRequestError(`filter.${name} must be an id, got ${JSON.stringify(id)}`);
    conditions.push(eq(column, id));
  }
  return conditions;
}

/**
 * Rows strictly after the cursor in ORDER BY col dir NULLS LAST, id dir. A row comparison,
 * (col, id) > (v, id0), is what lets PostgreSQL start the index scan at the cursor.
 */
function after(sort: SortColumn, direction: SortDirection, cursor: CursorData): SQL {
  const beyond = direction === "ASC" ? sql`>` : sql`<`;
  const id = sql`${cursor.id}::uuid`;
  if (cursor.value === null) return and(isNull(sort.column), sql`${runs.id} ${beyond} ${id}`) as SQL;
  const past = sql`(${sort.column}, ${runs.id}) ${beyond} (${cursor.value}::${sort.type}, ${id})`;
  return sort.nullable ? (or(past, isNull(sort.column)) as SQL) : past;
}

function isSortValue(field: RunOrderField, value: string): boolean {
  if (field === "QUEUED_AT" || field === "FINISHED_AT")
    return /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d(:\d\d)?$/.test(value);
  return (
    /^-?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i.test(value) ||
    value === "NaN" ||
    value === "Infinity" ||
    value === "-Infinity"
  );
}

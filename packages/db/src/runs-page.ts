import { isUuid } from "@graft/contracts";
import { and, count, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Db } from "./client.ts";
import { InvalidPageRequestError } from "./errors.ts";
import { type KeysetOrder, keysetPage, type Page, type SortDirection } from "./pagination.ts";
import { runs } from "./schema.ts";
import { ownedRows, type ProjectScope } from "./scope.ts";

export type RunRow = typeof runs.$inferSelect;
export type RunOrderField = "QUEUED_AT" | "FINISHED_AT" | "BEST_VAL_ACCURACY" | "BEST_VAL_LOSS";

export interface RunOrder {
  field: RunOrderField;
  direction: SortDirection;
}

export interface RunFilter {
  /** These runs only (the compare page's, in one read); at most MAX_FILTER_IDS. */
  ids?: readonly string[] | null;
  status?: readonly RunRow["status"][] | null;
  baseModelId?: string | null;
  datasetId?: string | null;
  experimentId?: string | null;
  trainerId?: string | null;
}

export interface RunsPageInput {
  filter?: RunFilter | null;
  /** @default DEFAULT_PAGE_SIZE */
  first?: number | null;
  /** An `endCursor` / edge cursor from a previous page with the same orderBy. */
  after?: string | null;
  /** @default newest first: { field: "QUEUED_AT", direction: "DESC" } */
  orderBy?: RunOrder | null;
  /** Count the filter's runs in the same statement (Page.totalCount; absent on an empty page). */
  countAll?: boolean;
}

const SORT_COLUMNS: Record<RunOrderField, Pick<KeysetOrder, "column" | "type" | "nullable">> = {
  QUEUED_AT: { column: runs.queuedAt, type: "timestamptz", nullable: false },
  FINISHED_AT: { column: runs.finishedAt, type: "timestamptz", nullable: true },
  BEST_VAL_ACCURACY: { column: runs.bestValAccuracy, type: "float8", nullable: true },
  BEST_VAL_LOSS: { column: runs.bestValLoss, type: "float8", nullable: true },
};

/** A page of the project's runs (there are no built-in runs), in any of the RunOrder orderings. */
export async function runsPage(db: Db, scope: ProjectScope, input: RunsPageInput = {}): Promise<Page<RunRow>> {
  const { field, direction } = input.orderBy ?? { field: "QUEUED_AT", direction: "DESC" };
  const sort = Object.hasOwn(SORT_COLUMNS, field) ? SORT_COLUMNS[field] : undefined;
  if (sort === undefined || (direction !== "ASC" && direction !== "DESC")) {
    throw new InvalidPageRequestError("orderBy", `unknown order ${JSON.stringify(input.orderBy)}`);
  }
  return keysetPage({
    db,
    table: runs,
    order: { name: `runs.${field}.${direction}`, ...sort, direction },
    where: [ownedRows(scope, runs.projectId), ...filterConditions(input.filter)],
    first: input.first,
    after: input.after,
    countAll: input.countAll ?? false,
  });
}

/** How many runs the filter matches (RunConnection.totalCount); separate so pages stay cheap. */
export async function countRuns(db: Db, scope: ProjectScope, filter?: RunFilter | null): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(runs)
    .where(and(ownedRows(scope, runs.projectId), ...filterConditions(filter)));
  return row?.n ?? 0;
}

/** How many ids `filter.ids` may name: a page's worth, not a dump of the project. */
const MAX_FILTER_IDS = 100;

function filterConditions(filter: RunFilter | null | undefined): SQL[] {
  if (filter == null) return [];
  const conditions: SQL[] = [];
  if (filter.ids != null) {
    if (filter.ids.length > MAX_FILTER_IDS) {
      throw new InvalidPageRequestError(
        "filter.ids",
        `filter.ids names at most ${MAX_FILTER_IDS} runs, got ${filter.ids.length}`,
      );
    }
    const bad = filter.ids.find((id) => !isUuid(id));
    if (bad !== undefined) {
      throw new InvalidPageRequestError("filter.ids", `filter.ids must be ids, got ${JSON.stringify(bad)}`);
    }
    // An empty list matches nothing, as "any of these runs" should.
    conditions.push(filter.ids.length === 0 ? sql`false` : inArray(runs.id, [...filter.ids]));
  }
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
    if (!isUuid(id)) {
      throw new InvalidPageRequestError(`filter.${name}`, `filter.${name} must be an id, got ${JSON.stringify(id)}`);
    }
    conditions.push(eq(column, id));
  }
  return conditions;
}

import { isUuid } from "@graft/contracts";
import { and, asc, eq, getTableColumns, lte, ne, type SQL, sql } from "drizzle-orm";
import { type Db, usesPglite } from "./client.ts";
import { rowsOf } from "./rows.ts";
import { models } from "./schema.ts";
import { type ProjectScope, visibleAlias, visibleRows } from "./scope.ts";

export type ModelRow = typeof models.$inferSelect;

/** A model and how many generations it is from the model asked about (parent = 1). */
export interface LineageEntry {
  model: ModelRow;
  distance: number;
}

/** Guards recursion against a cycle that only hand-edited rows could create. */
const MAX_GENERATIONS = 100_000;

/**
 * The model's parent, grandparent, ... up to its root: nearest first (distance 1 = parent).
 * Empty for a base model and for a model the project cannot see.
 */
export async function ancestors(db: Db, scope: ProjectScope, modelId: string): Promise<LineageEntry[]> {
  if (!isUuid(modelId)) return [];
  return joined(
    db,
    walked(sql`(
    with recursive up(id, parent_id, distance) as (
      select m.parent_id, p.parent_id, 1
        from ${models} m join ${models} p on p.id = m.parent_id
       where m.id = ${modelId}::uuid and ${visibleAlias(scope, "m")} and ${visibleAlias(scope, "p")}
      union all
      select m.id, m.parent_id, up.distance + 1
        from ${models} m join up on m.id = up.parent_id
       where ${visibleAlias(scope, "m")} and up.distance < ${MAX_GENERATIONS}
    ) select id, distance from up
  ) as lineage`),
  );
}

export interface DescendantsOptions {
  /** Generations below the model to include (1 = children only). @default every generation */
  maxDepth?: number;
}

/**
 * The whole subtree below the model, any depth, ordered by distance then creation. A model's
 * descendants share its root_id and are deeper, so for a root (the common case: "everything
 * fine-tuned from this base") this is one indexed range read instead of a recursive walk.
 */
export async function descendants(
  db: Db,
  scope: ProjectScope,
  modelId: string,
  options: DescendantsOptions = {},
): Promise<LineageEntry[]> {
  const subtree = await subtreeOf(db, scope, modelId, options);
  if (subtree === null) return [];
  return joined(db, subtree);
}

/**
 * Columns of `models` a lineage view draws (who a model is, where it sits in its tree, how it
 * was made), besides created_at: each one's JSON value is the value Drizzle maps it to, so a
 * JSON document of them needs no decoding. The heavy ones (layers, labels, provenance...) are
 * not here.
 */
const SUMMARY_COLUMNS = {
  id: models.id,
  projectId: models.projectId,
  name: models.name,
  kind: models.kind,
  parentId: models.parentId,
  rootId: models.rootId,
  depth: models.depth,
  producedByRunId: models.producedByRunId,
  architecture: models.architecture,
  verifiedLineage: models.verifiedLineage,
  lineageReason: models.lineageReason,
  initialization: models.initialization,
};
type SummaryColumn = keyof typeof SUMMARY_COLUMNS;

/** A model row without its heavy columns: what drawing or listing a lineage needs. */
export type ModelSummary = Pick<ModelRow, SummaryColumn | "createdAt">;

/** The keys of a ModelSummary. */
export const MODEL_SUMMARY_KEYS: readonly (keyof ModelSummary)[] = [
  ...(Object.keys(SUMMARY_COLUMNS) as SummaryColumn[]),
  "createdAt",
];

/** The lineage shape of a model: its summary's identity and place in the tree. */
export type LineageNode = Pick<ModelSummary, "id" | "parentId" | "projectId" | "name" | "kind" | "createdAt"> & {
  distance: number;
};

/** Besides id, which every read has. */
type OtherColumn = Exclude<SummaryColumn, "id">;
const NODE_COLUMNS = ["parentId", "projectId", "name", "kind"] as const satisfies readonly OtherColumn[];
const OTHER_SUMMARY_COLUMNS = Object.keys(SUMMARY_COLUMNS).filter((key) => key !== "id") as OtherColumn[];

/**
 * Same subtree and order as `descendants`, but only the tree's shape: for drawing a large
 * tree, where full rows (per-layer records of every model) would be most of the cost.
 */
export async function descendantNodes(
  db: Db,
  scope: ProjectScope,
  modelId: string,
  options: DescendantsOptions = {},
): Promise<LineageNode[]> {
  const subtree = await subtreeOf(db, scope, modelId, options);
  const read = subtree && (await readColumns(db, subtree, NODE_COLUMNS));
  if (!read) return [];
  const { ids, micros, distances, values } = read;
  const { parentId, projectId, name, kind } = values;
  // One object literal per model (not keys set in a loop): V8 keeps them one shape, and
  // 10,000 of them are a measurable part of the call.
  return read.order.map((i) => ({
    id: ids[i] as string,
    parentId: parentId[i] ?? null,
    projectId: projectId[i] ?? null,
    name: name[i] as string,
    kind: kind[i] as ModelRow["kind"],
    createdAt: dateOfMicros(micros[i] as number),
    distance: distances[i] as number,
  }));
}

/**
 * Same subtree and order as `descendants`, each model's summary instead of its full row: for
 * readers that need no layers, labels or provenance (the dashboard's lineage graph).
 */
export async function descendantSummaries(
  db: Db,
  scope: ProjectScope,
  modelId: string,
  options: DescendantsOptions = {},
): Promise<{ model: ModelSummary; distance: number }[]> {
  const subtree = await subtreeOf(db, scope, modelId, options);
  const read = subtree && (await readColumns(db, subtree, OTHER_SUMMARY_COLUMNS));
  if (!read) return [];
  const { ids, micros, distances, values: v } = read;
  return read.order.map((i) => ({
    model: {
      id: ids[i] as string,
      projectId: v.projectId[i] ?? null,
      name: v.name[i] as string,
      kind: v.kind[i] as ModelRow["kind"],
      parentId: v.parentId[i] ?? null,
      rootId: v.rootId[i] ?? null,
      depth: v.depth[i] as number,
      producedByRunId: v.producedByRunId[i] ?? null,
      architecture: v.architecture[i] as string,
      verifiedLineage: v.verifiedLineage[i] ?? null,
      lineageReason: v.lineageReason[i] ?? null,
      initialization: v.initialization[i] ?? null,
      createdAt: dateOfMicros(micros[i] as number),
    },
    distance: distances[i] as number,
  }));
}

/**
 * The lineage's `columns` (and ids, created_at as microseconds, distances), one array each,
 * and the order of their rows; null when the lineage is empty.
 *
 * The database answers one JSON document of columns (one array per field): json_agg looks
 * each column's type up once, where an array per row does so for every row and field, and
 * decoding 10,000 rows field by field costs more than the query (both drivers). The rows are
 * sorted here, not in SQL: on PGlite the sort of 10,000 rows by (distance, created_at, id)
 * was ~22 of 58 ms CPU, against ~3 ms in JS (bench/README.md, issue 13). created_at travels
 * as integer microseconds, so the order is exactly the database's.
 */
async function readColumns<C extends OtherColumn>(
  db: Db,
  lineage: Lineage,
  columns: readonly C[],
): Promise<{
  order: number[];
  ids: string[];
  micros: number[];
  distances: number[];
  values: { [K in C]: ModelSummary[K][] };
} | null> {
  const aggregates = columns.map((column) => sql`json_agg(${SUMMARY_COLUMNS[column]})`);
  const [row] = rowsOf<{ doc: string | null }>(
    await db.execute(sql`
      select json_build_array(json_agg(${models.id}), json_agg(${epochMicros}), json_agg(${lineage.distance}),
               ${sql.join(aggregates, sql`, `)})::text as doc
        from ${fromLineage(lineage)}`),
  );
  if (row?.doc == null) return null;
  const [ids, micros, distances, ...arrays] = JSON.parse(row.doc) as [
    string[] | null,
    number[],
    number[],
    ...unknown[][],
  ];
  if (ids === null) return null;
  const values = Object.fromEntries(columns.map((column, c) => [column, arrays[c]])) as { [K in C]: ModelSummary[K][] };
  return { order: lineageOrder(ids, micros, distances), ids, micros, distances, values };
}

/**
 * created_at as integer microseconds since 1970: exact (extract gives numeric since
 * PostgreSQL 14), and exact in a double until the year 2255.
 */
const epochMicros = sql`(extract(epoch from ${models.createdAt}) * 1000000)::bigint`;

/** The JavaScript Date of a timestamp in microseconds: the millisecond it falls in, as the driver maps it. */
function dateOfMicros(micros: number): Date {
  return new Date(Math.floor(micros / 1000));
}

/**
 * Indexes of the rows in lineage order: distance, then creation, then id. Ids compare as
 * PostgreSQL compares uuids: both are lower-case hex of the same bytes in the same order.
 */
function lineageOrder(ids: readonly string[], micros: readonly number[], distances: readonly number[]): number[] {
  const order = Array.from(ids, (_, i) => i);
  return order.sort((a, b) => {
    const byDistance = (distances[a] as number) - (distances[b] as number);
    if (byDistance !== 0) return byDistance;
    const byAge = (micros[a] as number) - (micros[b] as number);
    if (byAge !== 0) return byAge;
    return (ids[a] as string) < (ids[b] as string) ? -1 : 1;
  });
}

/**
 * Rows of `models` and each one's distance from the model asked about: those matching
 * `where`, or those a derived table `lineage(id, distance)` names (a recursive walk).
 */
interface Lineage {
  where?: SQL;
  walk?: SQL;
  distance: SQL<number>;
}

/** `models` restricted to the lineage, as a FROM clause. */
function fromLineage(lineage: Lineage): SQL {
  return sql`${models}${lineage.walk ? sql` join ${lineage.walk} on lineage.id = ${models.id}` : sql``}${
    lineage.where ? sql` where ${lineage.where}` : sql``
  }`;
}

/** The walk's derived table `lineage(id, distance)` as a Lineage. */
function walked(walk: SQL): Lineage {
  return { walk, distance: sql<number>`lineage.distance` };
}

/** The visible subtree below the model, or null if there is none. */
async function subtreeOf(
  db: Db,
  scope: ProjectScope,
  modelId: string,
  options: DescendantsOptions,
): Promise<Lineage | null> {
  if (!isUuid(modelId)) return null;
  const maxDepth = Math.min(options.maxDepth ?? MAX_GENERATIONS, MAX_GENERATIONS);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) return null;
  const [start] = await db
    .select({ rootId: models.rootId, depth: models.depth })
    .from(models)
    .where(and(eq(models.id, modelId), visibleRows(scope, models.projectId)));
  if (start === undefined) return null;
  if (start.rootId === modelId) {
    // A root's descendants are the rest of its tree: one read of models_root_idx, no walk.
    return {
      where: and(
        eq(models.rootId, modelId),
        ne(models.id, modelId),
        lte(models.depth, start.depth + maxDepth),
        visibleRows(scope, models.projectId),
      ),
      distance: sql<number>`(${models.depth} - ${start.depth}::int)`,
    };
  }
  return walked(sql`(
    with recursive down(id, distance) as (
      select m.id, 1 from ${models} m where m.parent_id = ${modelId}::uuid and ${visibleAlias(scope, "m")}
      union all
      select m.id, down.distance + 1 from ${models} m join down on m.parent_id = down.id
       where ${visibleAlias(scope, "m")} and down.distance < ${maxDepth}::int
    ) select id, distance from down
  ) as lineage`);
}

/** Direct children, oldest first. */
export async function children(db: Db, scope: ProjectScope, modelId: string): Promise<ModelRow[]> {
  if (!isUuid(modelId)) return [];
  return db
    .select()
    .from(models)
    .where(and(eq(models.parentId, modelId), visibleRows(scope, models.projectId)))
    .orderBy(asc(models.createdAt), asc(models.id));
}

/** Other children of the model's parent, oldest first; empty for a base model. */
export async function siblings(db: Db, scope: ProjectScope, modelId: string): Promise<ModelRow[]> {
  if (!isUuid(modelId)) return [];
  const [self] = await db
    .select({ parentId: models.parentId })
    .from(models)
    .where(and(eq(models.id, modelId), visibleRows(scope, models.projectId)));
  if (self?.parentId == null) return [];
  return db
    .select()
    .from(models)
    .where(and(eq(models.parentId, self.parentId), ne(models.id, modelId), visibleRows(scope, models.projectId)))
    .orderBy(asc(models.createdAt), asc(models.id));
}

/**
 * The lineage columns of a new child of `parent`. The insert trigger computes the same values
 * from the database, so this is for callers that want them before the insert returns.
 */
export function lineageFieldsForChild(parent: Pick<ModelRow, "id" | "rootId" | "depth">): {
  parentId: string;
  rootId: string;
  depth: number;
} {
  return { parentId: parent.id, rootId: parent.rootId ?? parent.id, depth: parent.depth + 1 };
}

/**
 * The lineage's full rows, by distance, then age, then id. On PGlite they are read as one
 * JSON document: it decodes results field by field in WebAssembly, so thousands of wide rows
 * cost several times one JSON.parse. Values then go through each column's own decoder, so
 * the rows equal what `db.select().from(models)` returns.
 */
async function joined(db: Db, lineage: Lineage): Promise<LineageEntry[]> {
  if (!usesPglite(db)) {
    // node-postgres decodes rows fast; building the JSON server-side would cost more there.
    let query = db
      .select({ model: models, distance: lineage.distance.mapWith(Number) })
      .from(models)
      .$dynamic();
    if (lineage.walk) query = query.innerJoin(lineage.walk, sql`lineage.id = ${models.id}`);
    if (lineage.where) query = query.where(lineage.where);
    return query.orderBy(lineage.distance, asc(models.createdAt), asc(models.id));
  }
  const [row] = rowsOf<{ doc: string | null }>(
    await db.execute(sql`
      select json_agg(json_build_array(${lineage.distance}, ${models}) order by ${lineage.distance}, ${models.createdAt}, ${models.id})::text as doc
        from ${fromLineage(lineage)}`),
  );
  if (row?.doc == null) return [];
  const entries = JSON.parse(row.doc) as [number, Record<string, unknown>][];
  return entries.map(([distance, raw]) => ({ model: decodeModel(raw), distance }));
}

const MODEL_COLUMNS = Object.entries(getTableColumns(models));

function decodeModel(raw: Record<string, unknown>): ModelRow {
  const model: Record<string, unknown> = {};
  for (const [key, column] of MODEL_COLUMNS) {
    const value = raw[column.name];
    model[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return model as ModelRow;
}

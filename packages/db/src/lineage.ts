import { isUuid } from "@graft/contracts";
import { and, asc, eq, getTableColumns, ne, type SQL, sql } from "drizzle-orm";
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
  const walk = sql`(
    with recursive up(id, parent_id, distance) as (
      select m.parent_id, p.parent_id, 1
        from ${models} m join ${models} p on p.id = m.parent_id
       where m.id = ${modelId}::uuid and ${visibleAlias(scope, "m")} and ${visibleAlias(scope, "p")}
      union all
      select m.id, m.parent_id, up.distance + 1
        from ${models} m join up on m.id = up.parent_id
       where ${visibleAlias(scope, "m")} and up.distance < ${MAX_GENERATIONS}
    ) select id, distance from up
  ) as lineage`;
  return joined(db, walk);
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

/** The lineage shape of a model without its heavy columns (layers, labels, provenance...). */
export interface LineageNode {
  id: string;
  parentId: string | null;
  projectId: string | null;
  name: string;
  kind: ModelRow["kind"];
  createdAt: Date;
  distance: number;
}

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
  if (subtree === null) return [];
  if (!usesPglite(db)) {
    return db
      .select({
        id: models.id,
        parentId: models.parentId,
        projectId: models.projectId,
        name: models.name,
        kind: models.kind,
        createdAt: models.createdAt,
        distance: sql<number>`lineage.distance`.mapWith(Number),
      })
      .from(models)
      .innerJoin(subtree, sql`lineage.id = ${models.id}`)
      .orderBy(sql`lineage.distance`, asc(models.createdAt), asc(models.id));
  }
  // One JSON array of compact tuples: decoding 10,000 rows field by field costs more than the query.
  const [row] = rowsOf<{ doc: string | null }>(
    await db.execute(sql`
      select json_agg(json_build_array(m.id, m.parent_id, m.project_id, m.name, m.kind, m.created_at, lineage.distance)
                      order by lineage.distance, m.created_at, m.id)::text as doc
        from ${models} m join ${subtree} on lineage.id = m.id`),
  );
  if (row?.doc == null) return [];
  const createdAt = models.createdAt;
  return (
    JSON.parse(row.doc) as [string, string | null, string | null, string, ModelRow["kind"], string, number][]
  ).map(([id, parentId, projectId, name, kind, created, distance]) => ({
    id,
    parentId,
    projectId,
    name,
    kind,
    createdAt: createdAt.mapFromDriverValue(created) as Date,
    distance,
  }));
}

/** A derived table `lineage(id, distance)` of the visible subtree, or null if there is none. */
async function subtreeOf(
  db: Db,
  scope: ProjectScope,
  modelId: string,
  options: DescendantsOptions,
): Promise<SQL | null> {
  if (!isUuid(modelId)) return null;
  const maxDepth = Math.min(options.maxDepth ?? MAX_GENERATIONS, MAX_GENERATIONS);
  if (!Number.isInteger(maxDepth) || maxDepth < 1) return null;
  const [start] = await db
    .select({ rootId: models.rootId, depth: models.depth })
    .from(models)
    .where(and(eq(models.id, modelId), visibleRows(scope, models.projectId)));
  if (start === undefined) return null;
  return start.rootId === modelId
    ? sql`(
        select m.id, m.depth - ${start.depth}::int as distance from ${models} m
         where m.root_id = ${modelId}::uuid and m.id <> ${modelId}::uuid
           and m.depth <= ${start.depth + maxDepth}::int and ${visibleAlias(scope, "m")}
      ) as lineage`
    : sql`(
        with recursive down(id, distance) as (
          select m.id, 1 from ${models} m where m.parent_id = ${modelId}::uuid and ${visibleAlias(scope, "m")}
          union all
          select m.id, down.distance + 1 from ${models} m join down on m.parent_id = down.id
           where ${visibleAlias(scope, "m")} and down.distance < ${maxDepth}::int
        ) select id, distance from down
      ) as lineage`;
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
async function joined(db: Db, lineage: SQL): Promise<LineageEntry[]> {
  if (!usesPglite(db)) {
    // node-postgres decodes rows fast; building the JSON server-side would cost more there.
    return db
      .select({ model: models, distance: sql<number>`lineage.distance`.mapWith(Number) })
      .from(models)
      .innerJoin(lineage, sql`lineage.id = ${models.id}`)
      .orderBy(sql`lineage.distance`, asc(models.createdAt), asc(models.id));
  }
  const [row] = rowsOf<{ doc: string | null }>(
    await db.execute(sql`
      select json_agg(json_build_array(lineage.distance, m) order by lineage.distance, m.created_at, m.id)::text as doc
        from ${models} m join ${lineage} on lineage.id = m.id`),
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

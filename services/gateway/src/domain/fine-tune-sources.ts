import { isUuid } from "@graft/contracts";
import { type Db, datasets, experiments, models, ownedRows, type ProjectScope, visibleRows } from "@graft/db";
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { NotFoundError } from "./errors.ts";
import type { DatasetRow, ExperimentRow, ModelRow } from "./rows.ts";

/** The row `id` names within `scope`; a malformed (or absent) id names none. */
const named = (column: PgColumn, id: string | null | undefined, scope: SQL): SQL =>
  id && isUuid(id) ? (and(eq(column, id.toLowerCase()), scope) as SQL) : sql`false`;

export interface FineTuneSources {
  base: ModelRow;
  dataset: DatasetRow;
  experiment: ExperimentRow | null;
}

/**
 * The base model, dataset and (when named) experiment a fine-tune's input names, as the
 * project sees them, read in one statement (one round trip, where three would wait on each
 * other on PGlite). NOT_FOUND for the first of them, in that order, that a malformed, unknown
 * or foreign id names, exactly as ModelQueries.get and the others answer each.
 */
export async function fineTuneSources(
  db: Db,
  scope: ProjectScope,
  input: { baseModelId: string; datasetId: string; experimentId?: string | null },
): Promise<FineTuneSources> {
  const [row] = await db
    .select({ base: models, dataset: datasets, experiment: experiments })
    .from(sql`(values (1)) as "one" ("x")`)
    .leftJoin(models, named(models.id, input.baseModelId, visibleRows(scope, models.projectId)))
    .leftJoin(datasets, named(datasets.id, input.datasetId, visibleRows(scope, datasets.projectId)))
    .leftJoin(experiments, named(experiments.id, input.experimentId, ownedRows(scope, experiments.projectId)));
  if (!row?.base) throw new NotFoundError("model", input.baseModelId, "input.baseModelId");
  if (!row.dataset) throw new NotFoundError("dataset", input.datasetId, "input.datasetId");
  if (input.experimentId && !row.experiment)
    throw new NotFoundError("experiment", input.experimentId, "input.experimentId");
  return { base: row.base, dataset: row.dataset, experiment: input.experimentId ? row.experiment : null };
}

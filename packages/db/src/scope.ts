import { isUuid } from "@graft/contracts";
import { eq, isNull, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

declare const scopeBrand: unique symbol;

/**
 * The project a query runs for. Every project-scoped query takes one as a required argument,
 * so no caller can forget the project condition; it can only be made by `projectScope`,
 * which refuses anything that is not a project id.
 */
export interface ProjectScope {
  readonly projectId: string;
  readonly [scopeBrand]: true;
}

export function projectScope(projectId: string): ProjectScope {
  if (!isUuid(projectId)) throw new TypeError(`project id must be a UUID, got ${JSON.stringify(projectId)}`);
  return { projectId: projectId.toLowerCase() } as ProjectScope;
}

/**
 * Rows the project may read: its own and the built-ins (project_id null), for tables that
 * hold both (models, datasets).
 */
export function visibleRows(scope: ProjectScope, projectId: PgColumn): SQL {
  return or(eq(projectId, scope.projectId), isNull(projectId)) as SQL;
}

/** The same condition on a raw SQL alias, for recursive queries. */
export function visibleAlias(scope: ProjectScope, alias: string): SQL {
  const column = sql.raw(`${alias}.project_id`);
  return sql`(${column} = ${scope.projectId}::uuid or ${column} is null)`;
}

/** Rows the project owns: what it may change, and all it may read of tables without built-ins (runs, experiments, uploads). */
export function ownedRows(scope: ProjectScope, projectId: PgColumn): SQL {
  return eq(projectId, scope.projectId);
}

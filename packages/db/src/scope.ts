import { eq, isNull, or, type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";

declare const visibilityBrand: unique symbol;

/**
 * Which rows a project may read: its own and the built-ins (projectId null). Scoped queries
 * take one as a required argument, so no caller can forget the project condition; it can
 * only be made by `visibleToProject`.
 */
export interface Visibility {
  readonly projectId: string;
  readonly [visibilityBrand]: true;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function visibleToProject(projectId: string): Visibility {
  if (!UUID.test(projectId)) throw new TypeError(`project id must be a UUID, got ${JSON.stringify(projectId)}`);
  return { projectId } as Visibility;
}

/** `column = project OR column IS NULL`, for a table's nullable project_id column. */
export function visibleRows(visibility: Visibility, projectId: PgColumn): SQL {
  return or(eq(projectId, visibility.projectId), isNull(projectId)) as SQL;
}

/** The same condition on a raw SQL alias, for recursive queries. */
export function visibleAlias(visibility: Visibility, alias: string): SQL {
  const column = sql.raw(`${alias}.project_id`);
  return sql`(${column} = ${visibility.projectId}::uuid or ${column} is null)`;
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

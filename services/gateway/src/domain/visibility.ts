import { eq, isNull, or, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Caller } from "./deps.ts";

/** Rows of the caller's project plus built-ins (projectId null), which every project reads. */
export const visibleTo = (caller: Caller, projectId: PgColumn): SQL =>
  or(eq(projectId, caller.projectId), isNull(projectId)) as SQL;

/** Rows the caller may change: its own project's only. */
export const ownedBy = (caller: Caller, projectId: PgColumn): SQL => eq(projectId, caller.projectId);

import { fileURLToPath } from "node:url";
import type { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import { migrate as migratePgDb } from "drizzle-orm/node-postgres/migrator";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePgliteDb } from "drizzle-orm/pglite/migrator";
import type pg from "pg";
import { DatabaseMigrationError } from "./errors.ts";

/** The generated SQL migrations and their journal (`npm run db:generate`). */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

// Any fixed number works; it only has to be the same for every process migrating this schema.
const MIGRATION_LOCK = 4_180_311_207;

/**
 * Migrates over one dedicated connection holding a session advisory lock, so gateway
 * replicas starting together apply each migration once instead of racing on CREATE TABLE.
 */
export async function migratePostgres(client: pg.Client): Promise<void> {
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      await migratePgDb(drizzlePg(client), { migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } catch (error) {
    throw new DatabaseMigrationError({ cause: error });
  }
}

export async function migratePglite(client: PGlite): Promise<void> {
  try {
    await migratePgliteDb(drizzlePglite(client), { migrationsFolder });
  } catch (error) {
    throw new DatabaseMigrationError({ cause: error });
  }
}

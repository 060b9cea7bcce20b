import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDatabase, type Database, openPglite } from "./client.ts";
import { DatabaseUnavailableError } from "./errors.ts";
import { pgClientConfig } from "./pg-config.ts";
import { migratedPgliteTemplate } from "./pglite-template.ts";

/**
 * Where a test's database lives, for code that opens its own connection (e.g. startGateway):
 * exactly one of `databaseUrl` / `pgliteDir` is set. `cleanup` deletes it.
 */
export interface TestDatabaseTarget {
  driver: "pglite" | "postgres";
  databaseUrl?: string;
  pgliteDir?: string;
  cleanup(): Promise<void>;
}

export interface TestDatabase extends Database {
  /** The fresh PostgreSQL database's URL; undefined on PGlite (in memory). */
  url: string | undefined;
  /** Closes the connection and, on PostgreSQL, drops the database. */
  close(): Promise<void>;
}

/**
 * A migrated, empty database for one test: PGlite in memory, or, when DATABASE_URL is set,
 * a freshly created database on that server. So every test runs on either backend:
 * `DATABASE_URL=postgres:///postgres node scripts/test.mjs`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl === undefined || serverUrl === "") {
    const database = await openPglite(undefined, await migratedPgliteTemplate());
    return { ...database, url: undefined };
  }
  const { url, drop } = await createFreshPostgresDatabase(serverUrl);
  let database: Database;
  try {
    database = await createDatabase({ url });
  } catch (error) {
    await drop();
    throw error;
  }
  return {
    ...database,
    url,
    close: async () => {
      await database.close();
      await drop();
    },
  };
}

/**
 * Like createTestDatabase, but opens nothing: gives a fresh PostgreSQL database URL (when
 * DATABASE_URL is set) or an empty PGlite directory, for a service under test to open,
 * close and reopen (e.g. restarting a gateway on the same data).
 */
export async function createTestDatabaseTarget(): Promise<TestDatabaseTarget> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl === undefined || serverUrl === "") {
    const pgliteDir = await mkdtemp(join(tmpdir(), "graft-pglite-"));
    // Unpack the migrated template into the directory so the service skips initdb.
    await (await openPglite(pgliteDir, await migratedPgliteTemplate())).close();
    return { driver: "pglite", pgliteDir, cleanup: () => rm(pgliteDir, { recursive: true, force: true }) };
  }
  const { url, drop } = await createFreshPostgresDatabase(serverUrl);
  return { driver: "postgres", databaseUrl: url, cleanup: drop };
}

async function createFreshPostgresDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `graft_test_${randomUUID().replaceAll("-", "")}`;
  const url = withDatabase(serverUrl, name);
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    url,
    drop: async () => {
      if (dropped) return;
      dropped = true;
      // FORCE ends connections a failed test left open, so no database is left behind.
      await admin(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client(pgClientConfig(serverUrl));
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    throw new DatabaseUnavailableError(
      `${serverUrl} (DATABASE_URL for tests; unset it to test on PGlite, or start PostgreSQL)`,
      { cause: error },
    );
  }
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

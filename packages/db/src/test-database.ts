import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { createDatabase, type Database, openPglite } from "./client.ts";
import { DatabaseUnavailableError } from "./errors.ts";
import { pgClientConfig } from "./pg-config.ts";
import { migratedPgliteTemplate } from "./pglite-template.ts";
import { sweepStaleTestDatabases, testDatabaseName } from "./stale-test-databases.ts";
import { type TestDriver, testPostgresServer } from "./test-drivers.ts";

/** A PostgreSQL test database was asked for, but DATABASE_URL names no server. */
export class TestPostgresNotConfiguredError extends Error {
  override readonly name = "TestPostgresNotConfiguredError";
  constructor() {
    super("a PostgreSQL test database needs DATABASE_URL (e.g. postgres:///postgres); skip the suite without it");
  }
}

/**
 * Where a test's database lives, for code that opens its own connection (e.g. startGateway):
 * exactly one of `databaseUrl` / `pgliteDir` is set. `cleanup` deletes it.
 */
export interface TestDatabaseTarget {
  driver: TestDriver;
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
 * A migrated, empty database for one test on `driver`: PGlite in memory, or a freshly
 * created database on the PostgreSQL server DATABASE_URL names.
 */
export async function createTestDatabase(driver: TestDriver): Promise<TestDatabase> {
  if (driver === "pglite") {
    const database = await openPglite(undefined, await migratedPgliteTemplate());
    return { ...database, url: undefined };
  }
  const { url, drop } = await createFreshPostgresDatabase();
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
 * Like createTestDatabase, but opens nothing: gives an empty migrated PGlite directory or a
 * fresh PostgreSQL database URL, for a service under test to open, close and reopen (e.g.
 * restarting a gateway on the same data).
 */
export async function createTestDatabaseTarget(driver: TestDriver): Promise<TestDatabaseTarget> {
  if (driver === "pglite") {
    const pgliteDir = await mkdtemp(join(tmpdir(), "graft-pglite-"));
    // Unpack the migrated template into the directory so the service skips initdb.
    await (await openPglite(pgliteDir, await migratedPgliteTemplate())).close();
    return { driver, pgliteDir, cleanup: () => rm(pgliteDir, { recursive: true, force: true }) };
  }
  const { url, drop } = await createFreshPostgresDatabase();
  return { driver, databaseUrl: url, cleanup: drop };
}

async function createFreshPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = testPostgresServer();
  if (serverUrl === undefined) throw new TestPostgresNotConfiguredError();
  await sweepStaleTestDatabases(serverUrl);
  const name = testDatabaseName();
  await admin(serverUrl, `CREATE DATABASE "${name}"`);
  let dropped = false;
  return {
    url: withDatabase(serverUrl, name),
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
      `${serverUrl} (DATABASE_URL for tests; unset it to test on PGlite only, or start PostgreSQL)`,
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

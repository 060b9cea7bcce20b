import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import pg from "pg";
import { DatabaseUnavailableError } from "./errors.ts";
import { migratePglite, migratePostgres } from "./migrate.ts";
import { pgClientConfig } from "./pg-config.ts";
import * as schema from "./schema.ts";

/**
 * The Drizzle API both drivers share. Callers code against this, so the same domain code runs
 * on PGlite and PostgreSQL; use `rowsOf` to read `db.execute` results portably.
 */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  db: Db;
  driver: "pglite" | "postgres";
  /** Ends the pool or shuts PGlite down; the Database is unusable afterwards. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL connection string; when set, PGlite is not used. */
  url?: string;
  /** PGlite data directory (created if missing). @default in memory */
  pgliteDir?: string;
  /** Largest number of pooled PostgreSQL connections. @default 10 */
  maxConnections?: number;
  /** Where pool errors on idle connections go (e.g. PostgreSQL restarted); they never throw. */
  log?: (line: string) => void;
  /** Called with each statement Drizzle sends (query counts in tests, profiling). @default none */
  onQuery?: (sql: string) => void;
}

/** Each PGlite database's client, for what Drizzle does not expose (LISTEN, in data-version.ts). */
const pgliteClients = new WeakMap<Db, PGlite>();

/**
 * Whether `db` runs on PGlite. PGlite decodes results field by field in WebAssembly, so
 * queries returning thousands of rows read them as one JSON document there instead.
 */
export function usesPglite(db: Db): boolean {
  return pgliteClients.has(db);
}

/** The PGlite client under `db`; undefined on PostgreSQL. */
export function pgliteClientOf(db: Db): PGlite | undefined {
  return pgliteClients.get(db);
}

/** Opens the database and applies pending migrations before returning it. */
export async function createDatabase(options: DatabaseOptions = {}): Promise<Database> {
  return options.url === undefined ? openPglite(options.pgliteDir, undefined, options.onQuery) : openPostgres(options);
}

/** `template`: a data directory tarball to start from (only used when the directory is new). */
export async function openPglite(
  dataDir: string | undefined,
  template?: Blob,
  onQuery?: (sql: string) => void,
): Promise<Database> {
  let client: PGlite;
  try {
    if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
    client = await PGlite.create({
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(template === undefined ? {} : { loadDataDir: template }),
    });
  } catch (error) {
    throw new DatabaseUnavailableError(dataDir === undefined ? "PGlite (memory)" : `PGlite at ${dataDir}`, {
      cause: error,
    });
  }
  try {
    await migratePglite(client);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  const db = drizzlePglite({ client, schema, logger: queryLogger(onQuery) }) as unknown as Db;
  pgliteClients.set(db, client);
  return {
    db,
    driver: "pglite",
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

async function openPostgres(options: DatabaseOptions): Promise<Database> {
  const url = options.url as string;
  const target = redact(url);
  const migrator = new pg.Client(pgClientConfig(url));
  // An unhandled 'error' event on a client would crash the process.
  migrator.on("error", () => {});
  try {
    await migrator.connect();
  } catch (error) {
    await migrator.end().catch(() => {});
    throw new DatabaseUnavailableError(target, { cause: error });
  }
  try {
    await migratePostgres(migrator);
  } finally {
    await migrator.end().catch(() => {});
  }

  const pool = new pg.Pool({ ...pgClientConfig(url), max: options.maxConnections ?? 10 });
  pool.on("error", (error) => options.log?.(`database: idle connection failed: ${error.message}`));
  let closed = false;
  return {
    db: drizzlePg({ client: pool, schema, logger: queryLogger(options.onQuery) }) as unknown as Db,
    driver: "postgres",
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

const queryLogger = (onQuery: ((sql: string) => void) | undefined) =>
  onQuery ? { logQuery: (query: string) => onQuery(query) } : false;

/** A connection string fit for error messages: the password is replaced. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "PostgreSQL (unparseable URL)";
  }
}

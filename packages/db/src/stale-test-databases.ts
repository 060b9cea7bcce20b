import { createHash, randomBytes } from "node:crypto";
import { hostname } from "node:os";
import pg from "pg";
import { pgClientConfig } from "./pg-config.ts";

// Test databases are named graft_test_<host>_<pid>_<random>: a killed test run leaves its
// databases behind, and the name says whose they were, so the next run can tell a leftover
// (its process is gone) from a database another run on this machine is still using.
const HOST_TAG = createHash("sha256").update(hostname()).digest("hex").slice(0, 6);
const OWNED = new RegExp(`^graft_test_${HOST_TAG}_(\\d+)_[0-9a-f]+$`);
// Names from before the pid was part of them carry no owner: those are dropped only when
// nobody is connected and they are older than any test run.
const UNOWNED = /^graft_test_[0-9a-f]{32}$/;
const UNOWNED_MIN_AGE_S = 3600;

/** A fresh test database name that records this host and the process that owns it. */
export function testDatabaseName(ownerPid = process.pid): string {
  return `graft_test_${HOST_TAG}_${ownerPid}_${randomBytes(6).toString("hex")}`;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const sweeps = new Map<string, Promise<string[]>>();

/**
 * Drops the test databases that killed runs left on `serverUrl`, once per process and server,
 * and resolves with their names. Best effort: a database another run's sweep dropped first,
 * or one this role may not inspect or drop, is left alone.
 */
export function sweepStaleTestDatabases(serverUrl: string): Promise<string[]> {
  let sweep = sweeps.get(serverUrl);
  if (sweep === undefined) {
    sweep = dropStaleTestDatabases(serverUrl).catch(() => []);
    sweeps.set(serverUrl, sweep);
  }
  return sweep;
}

/** Drops, now, the test databases on `serverUrl` whose owner is gone; resolves with their names. */
export async function dropStaleTestDatabases(serverUrl: string): Promise<string[]> {
  const client = new pg.Client(pgClientConfig(serverUrl));
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string; oid: number; connections: number }>(
      `select d.datname, d.oid::int as oid,
              (select count(*)::int from pg_stat_activity a where a.datname = d.datname) as connections
         from pg_database d
        where d.datname like 'graft\\_test\\_%'`,
    );
    const dropped: string[] = [];
    for (const row of rows) {
      if (!(await isStale(client, row))) continue;
      try {
        await client.query(`DROP DATABASE IF EXISTS "${row.datname}" WITH (FORCE)`);
        dropped.push(row.datname);
      } catch {
        // Dropped concurrently by another run's sweep, or not ours to drop.
      }
    }
    return dropped;
  } finally {
    await client.end();
  }
}

async function isStale(client: pg.Client, row: { datname: string; oid: number; connections: number }) {
  const owner = OWNED.exec(row.datname)?.[1];
  if (owner !== undefined) return Number(owner) !== process.pid && !processIsAlive(Number(owner));
  if (!UNOWNED.test(row.datname) || row.connections > 0) return false;
  try {
    // A database's age: its directory's PG_VERSION file is written once, at CREATE DATABASE.
    const { rows } = await client.query<{ age: number }>(
      `select extract(epoch from now() - (pg_stat_file('base/' || $1::text || '/PG_VERSION')).modification)::float8 as age`,
      [row.oid],
    );
    return (rows[0]?.age ?? 0) > UNOWNED_MIN_AGE_S;
  } catch {
    return false; // pg_stat_file needs a superuser (or pg_read_server_files): then keep it.
  }
}

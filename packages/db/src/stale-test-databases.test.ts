import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import pg from "pg";
import { pgClientConfig } from "./pg-config.ts";
import { dropStaleTestDatabases, testDatabaseName } from "./stale-test-databases.ts";
import { describeEachDriver, testPostgresServer } from "./testing.ts";

async function databasesNamed(serverUrl: string, names: string[]): Promise<string[]> {
  const client = new pg.Client(pgClientConfig(serverUrl));
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      "select datname from pg_database where datname = any($1::text[]) order by datname",
      [names],
    );
    return rows.map((r) => r.datname);
  } finally {
    await client.end();
  }
}

async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client(pgClientConfig(serverUrl));
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

describeEachDriver(
  () => {
    test("a test database whose process is gone is dropped by the next run; live runs' databases stay", async () => {
      const server = testPostgresServer() as string;
      // A process that has exited (its pid is free) and one still running, as owners.
      const gone = spawn(process.execPath, ["-e", ""]);
      const goneExit = new Promise((resolve) => gone.once("exit", resolve));
      const alive = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60_000)"]);
      await goneExit;
      const leftover = testDatabaseName(gone.pid);
      const inUse = testDatabaseName(alive.pid);
      const mine = testDatabaseName();
      try {
        for (const name of [leftover, inUse, mine]) await admin(server, `CREATE DATABASE "${name}"`);
        const dropped = await dropStaleTestDatabases(server);
        assert.ok(dropped.includes(leftover), `dropped ${dropped.join(", ")}`);
        assert.deepEqual(await databasesNamed(server, [leftover, inUse, mine]), [inUse, mine].sort());
      } finally {
        alive.kill();
        for (const name of [leftover, inUse, mine])
          await admin(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }
    });
  },
  { drivers: ["postgres"] },
);

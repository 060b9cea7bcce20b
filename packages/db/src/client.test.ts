import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import { createDatabase } from "./client.ts";
import { DatabaseUnavailableError } from "./errors.ts";
import { migrationsFolder } from "./migrate.ts";
import { rowsOf } from "./rows.ts";
import { projects } from "./schema.ts";
import { createTestDatabase, createTestDatabaseTarget, describeEachDriver } from "./testing.ts";

describeEachDriver((driver) => {
  test("applies every migration, so the schema's tables exist and the journal is complete", async () => {
    const { db, close } = await createTestDatabase(driver);
    try {
      const tables = rowsOf<{ table_name: string }>(
        await db.execute(sql`select table_name from information_schema.tables where table_schema = 'public'`),
      ).map((r) => r.table_name);
      for (const name of ["projects", "models", "runs", "run_epochs", "run_attempts", "trainers", "datasets"]) {
        assert.ok(tables.includes(name), `table ${name} missing; have ${tables.join(", ")}`);
      }
      const applied = rowsOf<{ n: number }>(
        await db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`),
      );
      const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8")) as {
        entries: unknown[];
      };
      assert.equal(applied[0]?.n, journal.entries.length);
    } finally {
      await close();
    }
  });

  test("a test database target is a migrated database a service can open by itself", async () => {
    const target = await createTestDatabaseTarget(driver);
    try {
      const database = await createDatabase({ url: target.databaseUrl, pgliteDir: target.pgliteDir });
      try {
        await database.db.insert(projects).values({ name: "p" });
        assert.equal((await database.db.select().from(projects)).length, 1);
      } finally {
        await database.close();
      }
    } finally {
      await target.cleanup();
    }
  });
});

// PGlite on disk is what `npm start` uses (PostgreSQL reopens a database like any server).
test("reopening a migrated PGlite directory applies nothing twice and keeps its rows", async () => {
  const dir = await mkdtemp(join(tmpdir(), "graft-db-test-"));
  try {
    const first = await createDatabase({ pgliteDir: dir });
    await first.db.insert(projects).values({ name: "kept" });
    await first.close();
    const second = await createDatabase({ pgliteDir: dir });
    try {
      const rows = await second.db.select().from(projects);
      assert.deepEqual(
        rows.map((r) => r.name),
        ["kept"],
      );
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("an unreachable PostgreSQL gives DatabaseUnavailableError without the password", async () => {
  await assert.rejects(createDatabase({ url: "postgres://graft:s3cret@127.0.0.1:1/graft" }), (error: unknown) => {
    assert.ok(error instanceof DatabaseUnavailableError);
    assert.ok(error.cause !== undefined);
    assert.ok(!error.message.includes("s3cret"), error.message);
    return true;
  });
});

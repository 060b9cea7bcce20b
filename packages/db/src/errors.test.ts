import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { sql } from "drizzle-orm";
import pg from "pg";
import { isDatabaseUnreachable } from "./errors.ts";
import { createTestDatabase } from "./test-database.ts";
import { describeEachDriver } from "./test-drivers.ts";

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 1;
}

test("a refused connection is the database being unreachable", async () => {
  const pool = new pg.Pool({ connectionString: `postgres://x@127.0.0.1:${await closedPort()}/x` });
  const refused = await pool.query("SELECT 1").catch((e: unknown) => e);
  await pool.end();
  assert.equal(isDatabaseUnreachable(refused), true, String(refused));
  assert.equal(isDatabaseUnreachable(new Error("wrapped", { cause: refused })), true, "found through the cause");
});

describeEachDriver((driver) => {
  test("a query the server rejects is not the database being unreachable", async () => {
    const database = await createTestDatabase(driver);
    try {
      const rejected = await database.db.execute(sql`SELECT * FROM no_such_table`).catch((e: unknown) => e);
      assert.ok(rejected instanceof Error);
      assert.equal(isDatabaseUnreachable(rejected), false, String(rejected));
    } finally {
      await database.close();
    }
  });
});

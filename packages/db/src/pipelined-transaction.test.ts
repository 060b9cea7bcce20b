import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { oneMessageTransaction, pipelinedTransaction } from "./pipelined-transaction.ts";
import { rowsOf } from "./rows.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

describeEachDriver((driver) => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase(driver);
    await database.db.execute(sql`create table pipelined (id integer primary key, note text not null)`);
  });
  after(async () => {
    await database?.close();
  });

  const notes = async () =>
    rowsOf<{ id: number; note: string }>(await database.db.execute(sql`select id, note from pipelined order by id`));

  test("the first statement's rows reach the body, the last one's come back, and all of it commits", async () => {
    const { value, lastRows } = await pipelinedTransaction(
      database.db,
      sql`select ${2} + 1 as three, ${"text"} as word`,
      async (tx, firstRows) => {
        await tx.execute(sql`insert into pipelined values (1, 'between')`);
        return { value: firstRows, last: sql`insert into pipelined values (${2}, ${"last"}) returning id, note` };
      },
    );
    assert.deepEqual(
      value.map((r) => ({ three: Number(r.three), word: r.word })),
      [{ three: 3, word: "text" }],
    );
    assert.deepEqual(lastRows, [{ id: 2, note: "last" }]);
    assert.deepEqual(await notes(), [
      { id: 1, note: "between" },
      { id: 2, note: "last" },
    ]);
    await database.db.execute(sql`delete from pipelined`);
  });

  test("on PostgreSQL the first statement goes in the same message as BEGIN", {
    skip: driver === "pglite" && "PGlite has no round trips to save",
  }, async () => {
    // Statements of one simple-query message share its receipt time, and the transaction
    // started with it: sent after BEGIN's reply, the SELECT would be stamped later than now().
    const { value } = await pipelinedTransaction(
      database.db,
      sql`select now() = statement_timestamp() as same_message`,
      async (_tx, firstRows) => ({ value: firstRows[0]?.same_message }),
    );
    assert.equal(value, true);
  });

  test("parameters written into the text as literals arrive exactly, quotes and backslashes included", async () => {
    const tricky = [`it's`, `a\\'); drop table pipelined; --`, `\\\\n`, `"$1" $2 ''`, `ünïcödé ${"\\"}`];
    await pipelinedTransaction(database.db, sql`select 1`, async () => ({
      value: null,
      last: sql`insert into pipelined select ordinality::integer, note
        from unnest(array[${sql.join(
          tricky.map((t) => sql`${t}`),
          sql`, `,
        )}]::text[]) with ordinality as t(note, ordinality)`,
    }));
    assert.deepEqual(
      (await notes()).map((r) => r.note),
      tricky,
    );
    await database.db.execute(sql`delete from pipelined`);
  });

  test("a failing last statement, or a failing body, rolls everything back and the database stays usable", async () => {
    await assert.rejects(
      pipelinedTransaction(database.db, sql`insert into pipelined values (1, 'first') returning id`, async (tx) => {
        await tx.execute(sql`insert into pipelined values (2, 'between')`);
        return { value: null, last: sql`insert into pipelined values (${1}, ${"duplicate"})` };
      }),
    );
    await assert.rejects(
      pipelinedTransaction(database.db, sql`insert into pipelined values (3, 'first') returning id`, async () => {
        throw new Error("the body failed");
      }),
      /the body failed/,
    );
    assert.deepEqual(await notes(), []);
    // Every pooled connection still works (none was left inside a failed transaction).
    await Promise.all(Array.from({ length: 12 }, (_, i) => database.db.execute(sql`select ${i}::integer as i`)));
  });

  test("a parameter that is neither text nor a finite number is refused, not guessed at", {
    skip: driver === "pglite" && "PGlite binds parameters",
  }, async () => {
    await assert.rejects(
      pipelinedTransaction(database.db, sql`select ${Number.NaN}::float8`, async () => ({ value: null })),
      TypeError,
    );
  });

  test("a one-message transaction returns each statement's rows; a statement sees what the ones before it wrote", async () => {
    const [inserted, read] = await oneMessageTransaction(database.db, [
      sql`insert into pipelined values (${1}, ${"it's one message"}) returning id`,
      sql`select note, now() = statement_timestamp() as same_message from pipelined where id = ${1}`,
    ]);
    assert.deepEqual(inserted, [{ id: 1 }]);
    assert.equal(read?.[0]?.note, "it's one message");
    // On PostgreSQL every statement shares the message's receipt time, which BEGIN's transaction
    // started with: sent as separate messages, the SELECT would be stamped later than now().
    if (driver === "postgres") assert.equal(read?.[0]?.same_message, true);
    await database.db.execute(sql`delete from pipelined`);
  });

  test("a failing statement of a one-message transaction rolls it all back and the database stays usable", async () => {
    await assert.rejects(
      oneMessageTransaction(database.db, [
        sql`insert into pipelined values (1, 'first')`,
        sql`insert into pipelined values (${1}, ${"duplicate"})`,
        sql`insert into pipelined values (2, 'after the failure')`,
      ]),
    );
    assert.deepEqual(await notes(), []);
    await Promise.all(Array.from({ length: 12 }, (_, i) => database.db.execute(sql`select ${i}::integer as i`)));
  });
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { pgliteClientOf } from "./client.ts";
import { dataVersion, followDataVersion } from "./data-version.ts";
import { rowsOf } from "./rows.ts";
import { insertDataset, insertModel, insertProject, insertRun } from "./test-fixtures.ts";
import { createTestDatabase, describeEachDriver, type TestDatabase } from "./testing.ts";

/** The data version the gateway's response cache is keyed by (migration 0016). */
describeEachDriver((driver) => {
  let database: TestDatabase;
  let projectId = "";
  let modelId = "";
  let datasetId = "";
  let runId = "";
  let trainerId = "";

  before(async () => {
    database = await createTestDatabase(driver);
    const { db } = database;
    projectId = await insertProject(db, "p");
    modelId = await insertModel(db, { name: "m", projectId });
    datasetId = await insertDataset(db, projectId);
    runId = await insertRun(db, { projectId, baseModelId: modelId, datasetId });
    const [trainer] = rowsOf<{ id: string }>(
      await db.execute(sql`
        insert into trainers (name, host, pool, backend, devices, labels, cpu_count, memory_bytes, max_concurrent_runs, token_hash)
        values ('t', 'h', 'default', 'cpu', '[]', '[]', 1, 1, 1, 'x') returning id`),
    );
    trainerId = trainer?.id ?? "";
  });
  after(async () => {
    await database?.close();
  });

  /** How far one piece of work moves the version. */
  const moves = async (work: () => Promise<unknown>): Promise<number> => {
    const before = BigInt(await dataVersion(database.db));
    await work();
    return Number(BigInt(await dataVersion(database.db)) - before);
  };
  const run = (statement: ReturnType<typeof sql>) => () => database.db.execute(statement);

  test("every committed change to a table the cached fields read moves the version", async () => {
    const changes: [string, ReturnType<typeof sql>][] = [
      [
        "a new run",
        sql`insert into runs (project_id, base_model_id, dataset_id, pool, epochs, batch_size, optimizer, learning_rate, freeze_strategy, seed, hyperparameters, output_model_id)
          select project_id, base_model_id, dataset_id, pool, epochs, batch_size, optimizer, learning_rate, freeze_strategy, seed, hyperparameters, gen_random_uuid() from runs where id = ${runId}`,
      ],
      ["a run's status", sql`update runs set status = 'CANCELLED' where id = ${runId}`],
      [
        "a run moved to another project",
        sql`update runs set project_id = ${await insertProject(database.db, "q")} where id = ${runId}`,
      ],
      [
        "a stored epoch",
        sql`insert into run_epochs (run_id, epoch, attempt, loss, learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
          values (${runId}, 1, 1, 0.5, 0.001, 10, 100, 10, 0)`,
      ],
      ["a renamed model", sql`update models set name = 'renamed' where id = ${modelId}`],
      ["a renamed dataset", sql`update datasets set name = 'renamed' where id = ${datasetId}`],
      ["a new experiment", sql`insert into experiments (project_id, name) values (${projectId}, 'e')`],
      ["a renamed experiment", sql`update experiments set name = 'e2' where project_id = ${projectId}`],
      ["a renamed trainer", sql`update trainers set name = 't2' where id = ${trainerId}`],
      ["a deleted epoch", sql`delete from run_epochs where run_id = ${runId}`],
    ];
    for (const [what, statement] of changes) assert.equal(await moves(run(statement)), 1, what);
  });

  test("writes no cached field reads leave it alone, or the cache would never hit", async () => {
    const untouched: [string, ReturnType<typeof sql>][] = [
      [
        "a trainer heartbeat",
        sql`update trainers set last_heartbeat_at = now(), status = 'BUSY', current_runs = '[]' where id = ${trainerId}`,
      ],
      [
        "a trainer registration with the same name",
        sql`update trainers set name = name, host = 'h' where id = ${trainerId}`,
      ],
      [
        "a rate-limit lease",
        sql`insert into rate_limits (key, points) values ('k', 1) on conflict (key) do update set points = rate_limits.points + 1`,
      ],
      ["an update that changes nothing", sql`update runs set status = status where id = ${runId}`],
      ["an update of no row", sql`update runs set status = 'FAILED' where false`],
      [
        "a duplicate epoch skipped",
        sql`insert into run_epochs (run_id, epoch, attempt, loss, learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
          values (${runId}, 1, 1, 0.5, 0.001, 10, 100, 10, 0), (${runId}, 1, 1, 0.5, 0.001, 10, 100, 10, 0) on conflict do nothing`,
      ],
    ];
    // The skipped duplicate needs the epoch stored first (that store moves it once).
    await database.db.execute(sql`insert into run_epochs (run_id, epoch, attempt, loss, learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
          values (${runId}, 1, 1, 0.5, 0.001, 10, 100, 10, 0)`);
    for (const [what, statement] of untouched) assert.equal(await moves(run(statement)), 0, what);
  });

  test("a transaction moves it once however much it writes, and a rolled-back one not at all", async () => {
    const { db } = database;
    const many = () =>
      db.transaction(async (tx) => {
        for (let epoch = 10; epoch < 15; epoch++)
          await tx.execute(sql`insert into run_epochs (run_id, epoch, attempt, loss, learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
            values (${runId}, ${epoch}, 1, 0.5, 0.001, 10, 100, 10, 0)`);
        await tx.execute(sql`update runs set last_epoch = 14 where id = ${runId}`);
        await tx.execute(sql`update models set name = 'again' where id = ${modelId}`);
      });
    assert.equal(await moves(many), 1);
    const rolledBack = () =>
      db
        .transaction(async (tx) => {
          await tx.execute(sql`update runs set last_epoch = 99 where id = ${runId}`);
          throw new Error("roll back");
        })
        .catch(() => {});
    assert.equal(await moves(rolledBack), 0);
    assert.equal(await moves(run(sql`truncate run_epochs`)), 1, "a truncate");
  });

  // The bump is queued by a transaction's first changed row only (migration 0017): what comes
  // before that row, or is rolled back with it, must not take the bump away from what follows.
  test("a change after an update that changed nothing, or after a rolled-back savepoint, still moves it", async () => {
    const { db } = database;
    const afterNoChange = () =>
      db.transaction(async (tx) => {
        await tx.execute(sql`update runs set status = status where id = ${runId}`);
        await tx.execute(sql`update models set name = 'after nothing' where id = ${modelId}`);
      });
    assert.equal(await moves(afterNoChange), 1, "a no-op update, then a change");
    const afterRollback = (thenChange: boolean) => () =>
      db.transaction(async (tx) => {
        await tx
          .transaction(async (savepoint) => {
            await savepoint.execute(sql`update datasets set name = 'rolled back' where id = ${datasetId}`);
            throw new Error("roll back to the savepoint");
          })
          .catch(() => {});
        if (thenChange) await tx.execute(sql`update datasets set name = 'kept' where id = ${datasetId}`);
      });
    assert.equal(await moves(afterRollback(true)), 1, "a rolled-back savepoint, then a change");
    assert.equal(await moves(afterRollback(false)), 0, "only a rolled-back savepoint");
    const released = () =>
      db.transaction(async (tx) => {
        await tx.transaction((savepoint) =>
          savepoint.execute(sql`update datasets set name = 'released' where id = ${datasetId}`),
        );
        await tx.execute(sql`update models set name = 'after the savepoint' where id = ${modelId}`);
      });
    assert.equal(await moves(released), 1, "a released savepoint's change, then another");
  });
});

/**
 * On PGlite the version is kept in memory from the bump's NOTIFY (migration 0018), never read:
 * it must be exact the moment a commit's promise resolves, whichever way the write came. Each
 * check below reads it synchronously right after the awaited write, before anything else runs.
 */
describeEachDriver(
  (driver) => {
    let database: TestDatabase;
    let current: () => string;
    let runId = "";

    before(async () => {
      database = await createTestDatabase(driver);
      const projectId = await insertProject(database.db, "p");
      const baseModelId = await insertModel(database.db, { name: "m", projectId });
      runId = await insertRun(database.db, {
        projectId,
        baseModelId,
        datasetId: await insertDataset(database.db, projectId),
      });
      const followed = await followDataVersion(database.db);
      assert.ok(followed, "PGlite keeps the version in memory");
      current = followed;
    });
    after(async () => {
      await database?.close();
    });

    const epoch = (n: number) =>
      `insert into run_epochs (run_id, epoch, attempt, loss, learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
        values ('${runId}', ${n}, 1, 0.5, 0.001, 10, 100, 10, 0)`;
    /** The in-memory version right after `write` resolves (no await in between), and the stored one. */
    const observe = async (write: () => Promise<unknown>) => {
      const was = current();
      await write();
      const seen = current();
      return { was, seen, stored: await dataVersion(database.db) };
    };

    test("starts at the stored version, and every committed write shows the moment it resolves", async () => {
      assert.equal(current(), await dataVersion(database.db));
      const client = pgliteClientOf(database.db);
      assert.ok(client);
      const writes: [string, () => Promise<unknown>][] = [
        ["Drizzle, one statement", () => database.db.execute(sql.raw(epoch(1)))],
        [
          "a Drizzle transaction",
          () =>
            database.db.transaction(async (tx) => {
              await tx.execute(sql.raw(epoch(2)));
              await tx.execute(sql`update runs set last_epoch = 2 where id = ${runId}`);
            }),
        ],
        ["straight SQL on the same PGlite (query)", () => client.query(epoch(3))],
        ["straight SQL on the same PGlite (exec, a batch)", () => client.exec(`begin; ${epoch(4)}; commit; select 1`)],
        ["a PGlite transaction", () => client.transaction((tx) => tx.query(epoch(5)))],
        ["a truncate", () => client.query("truncate run_epochs")],
      ];
      for (const [what, write] of writes) {
        const { was, seen, stored } = await observe(write);
        assert.equal(seen, stored, what);
        assert.equal(BigInt(seen), BigInt(was) + 1n, what);
      }
    });

    test("a rolled-back write or one that changes nothing does not move it", async () => {
      const client = pgliteClientOf(database.db);
      assert.ok(client);
      const unmoved: [string, () => Promise<unknown>][] = [
        [
          "a rolled-back Drizzle transaction",
          () =>
            database.db
              .transaction(async (tx) => {
                await tx.execute(sql.raw(epoch(6)));
                throw new Error("roll back");
              })
              .catch(() => {}),
        ],
        ["a statement that fails", () => client.query(`${epoch(7)} returning 1 / 0`).catch(() => {})],
        ["straight SQL rolled back", () => client.exec(`begin; ${epoch(8)}; rollback`)],
        ["a heartbeat", () => client.query("update trainers set last_heartbeat_at = now()")],
      ];
      for (const [what, write] of unmoved) {
        const { was, seen, stored } = await observe(write);
        assert.equal(seen, was, what);
        assert.equal(stored, was, what);
      }
    });
  },
  { drivers: ["pglite"] },
);

describeEachDriver(
  () => {
    test("PostgreSQL keeps no version in memory: replicas' announcements arrive late, so it is read", async () => {
      const database = await createTestDatabase("postgres");
      try {
        assert.equal(await followDataVersion(database.db), null);
      } finally {
        await database.close();
      }
    });
  },
  { drivers: ["postgres"] },
);

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "drizzle-orm";
import { dataVersion } from "./data-version.ts";
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

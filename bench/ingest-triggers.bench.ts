/**
 * What each trigger on `run_epochs` costs an ingest-sized transaction: batches of 1,000 epoch
 * rows over 20 runs (the JSON-recordset INSERT ingest and its floor use, plus ingest's run
 * summary UPDATE), each in its own transaction, with every trigger, without the data
 * version's bump (migration 0016), without the block summaries (0003, 0015), and without
 * either, alternated round by round on one database. Prints the median per variant.
 * PGlite by default; PostgreSQL when DATABASE_URL is set.
 *
 *   npx tsx bench/ingest-triggers.bench.ts [--rounds 5] [--batches 10]
 */
import { parseArgs } from "node:util";
import { testPostgresServer } from "@graft/db/testing";
import { epochMetrics, seedRun, setupEventPlane } from "@graft/gateway/testing";
import { sql } from "drizzle-orm";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "5" }, batches: { type: "string", default: "10" } },
});
const ROUNDS = Number(values.rounds);
const BATCHES = Number(values.batches);
const RUNS = 20;
const ROWS = 1000;

const h = await setupEventPlane(testPostgresServer() ? "postgres" : "pglite");
try {
  const dataVersion = (await h.db.execute(sql`SELECT tgname FROM pg_trigger
    WHERE tgrelid IN ('run_epochs'::regclass, 'runs'::regclass) AND tgfoid = 'data_version_bump'::regproc
      AND tgname NOT LIKE '%truncate%'`)) as unknown as { rows?: { tgname: string }[] } | { tgname: string }[];
  const dvTriggers = (Array.isArray(dataVersion) ? dataVersion : (dataVersion.rows ?? [])).map((r) => r.tgname);
  const triggerTable = (name: string) => (name.startsWith("runs_") ? "runs" : "run_epochs");
  const setTriggers = async (enable: boolean, names: string[]) => {
    for (const name of names)
      await h.db.execute(
        sql.raw(`ALTER TABLE ${triggerTable(name)} ${enable ? "ENABLE" : "DISABLE"} TRIGGER "${name}"`),
      );
  };
  const variants: { name: string; off: string[] }[] = [
    { name: "every trigger", off: [] },
    { name: "without the data version's bump", off: dvTriggers },
    { name: "without the block summaries", off: ["run_epoch_blocks_add"] },
    { name: "without either", off: [...dvTriggers, "run_epoch_blocks_add"] },
  ];
  const batch = async (runIds: string[], firstEpoch: number) => {
    const rows: Record<string, unknown>[] = [];
    for (let epoch = firstEpoch; rows.length < ROWS; epoch++)
      for (const runId of runIds) rows.push({ runId, epoch, attempt: 1, ...epochMetrics(epoch) });
    await h.db.transaction(async (tx) => {
      await tx.execute(sql`
        WITH inserted AS (
          INSERT INTO run_epochs (run_id, epoch, attempt, loss, accuracy, val_loss, val_accuracy, learning_rate,
                                  duration_ms, samples_per_second, trainable_params, frozen_layers)
          SELECT "runId", epoch, attempt, loss, accuracy, "valLoss", "valAccuracy", "learningRate",
                 "durationMs", "samplesPerSecond", "trainableParams", "frozenLayers"
          FROM json_to_recordset(${JSON.stringify(rows)}::json) AS x(
            "runId" uuid, epoch integer, attempt integer, loss double precision, accuracy double precision,
            "valLoss" double precision, "valAccuracy" double precision, "learningRate" double precision,
            "durationMs" double precision, "samplesPerSecond" double precision, "trainableParams" bigint,
            "frozenLayers" integer)
          ON CONFLICT (run_id, epoch) DO NOTHING
          RETURNING run_id, epoch
        )
        UPDATE runs SET last_epoch = greatest(runs.last_epoch, v.last)
        FROM (SELECT run_id, max(epoch) AS last FROM inserted GROUP BY run_id) AS v WHERE runs.id = v.run_id`);
    });
  };
  const times = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of variants) {
      const { runIds } = await seedRun(h.db, { runCount: RUNS });
      await setTriggers(false, variant.off);
      const start = performance.now();
      for (let b = 0; b < BATCHES; b++) await batch(runIds, 1 + (b * ROWS) / RUNS);
      times.get(variant.name)?.push(performance.now() - start);
      await setTriggers(true, variant.off);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  console.log(
    `database: ${h.database.driver}; ${BATCHES} transactions of ${ROWS} epochs over ${RUNS} runs, ${ROUNDS} rounds`,
  );
  const base = median(times.get("every trigger") ?? []);
  for (const [name, xs] of times) {
    const m = median(xs);
    console.log(
      `${name.padEnd(34)} median ${m.toFixed(0)} ms (${(m / BATCHES).toFixed(1)} ms a transaction; ${(m / base).toFixed(2)} of every trigger's); runs: ${xs.map((x) => x.toFixed(0)).join(", ")}`,
    );
  }
} finally {
  await h.cleanup();
}

/**
 * Read paths against the 50 ms p95 target: a page of 50 runs out of 100,000 (keyset), the
 * lineage subtree of a 10,000-model tree's root and of a model two generations down (1,364
 * models), and a 1,000,000-point metric series reduced to 2,000 points. On PGlite, and also on
 * PostgreSQL when DATABASE_URL is set. Then the dashboard's `Lineage` query and the CLI's
 * `ModelTree` of the same tree through a gateway process (`--only lineage-graphql`: these alone).
 *
 * Then the GraphQL runs page (`--graphql-runs` runs with base model, dataset and best epoch)
 * served by a gateway process, in req/s and p99 at `--connections` concurrent requests, side
 * by side with a bare Apollo Server answering `{__typename}` (the floor) and the gateway's own
 * authenticated `{__typename}` (auth and plugins, no data), driven by the same client. The
 * page is measured on a gateway with its response cache off, then on one with it on: with no
 * writes, and while a live run stores an epoch every `--epoch-every-ms` (its hit rate shown).
 *
 *   npx tsx bench/reads.bench.ts [--only db|graphql|lineage-graphql] [--runs 100000] [--models 10000] [--points 1000000]
 *     [--iterations 40] [--graphql-runs 50] [--connections 16] [--seconds 5] [--epoch-every-ms 100]
 *   (READS_GATEWAY_NODE_ARGS adds node flags to the gateway process, e.g. --cpu-prof.)
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { LineageDocument, ModelTreeDocument } from "@graft/client";
import {
  createDatabase,
  type Db,
  decodeCursor,
  descendantNodes,
  descendantSummaries,
  descendants,
  encodeCursor,
  projectScope,
  reduceEpochSeries,
  rowsOf,
  runsPage,
} from "@graft/db";
import { createTestDatabaseTarget, testPostgresServer } from "@graft/db/testing";
import { sql } from "drizzle-orm";
import {
  drive,
  type Load,
  runsPageBody,
  startBareApollo,
  startGatewayOver,
  startSeededGateway,
  startServerProcess,
} from "./graphql-reads.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "100000" },
    models: { type: "string", default: "10000" },
    points: { type: "string", default: "1000000" },
    iterations: { type: "string", default: "40" },
    only: { type: "string" },
    "graphql-runs": { type: "string", default: "50" },
    connections: { type: "string", default: "16" },
    seconds: { type: "string", default: "5" },
    "epoch-every-ms": { type: "string", default: "100" },
  },
});
const RUNS = Number(values.runs);
const MODELS = Number(values.models);
const POINTS = Number(values.points);
const ITERATIONS = Number(values.iterations);
const TARGET_MS = 50;
const BRANCHING = 4;

// Ids derive from the row number so parents can be named in the same INSERT ... SELECT.
const modelId = (n: ReturnType<typeof sql>) => sql`md5('bench-model-' || (${n}))::uuid`;
const PROJECT = "00000000-0000-4000-8000-000000000001";
const DATASET = "00000000-0000-4000-8000-000000000002";
const SERIES_RUN = "00000000-0000-4000-8000-000000000003";

/**
 * A tree of MODELS models, BRANCHING children each: model n's parent is (n - 1) / BRANCHING, so
 * model 0 is the root (a base, in no project) and model 5 is at depth 2. `project` owns the rest.
 */
async function seedTree(db: Db, project: ReturnType<typeof sql>): Promise<void> {
  const modelColumns = sql`id, project_id, name, kind, parent_id, architecture, task, input_shape, labels,
    preprocessing, layers, param_count, size_bytes, artifact_key`;
  const NO_PARENT = sql`'BASE'`;
  const modelValues = (n: ReturnType<typeof sql>, inProject: ReturnType<typeof sql>, parent: ReturnType<typeof sql>) =>
    sql`${modelId(n)}, ${inProject}, 'm' || (${n}), ${parent}::model_kind, ${parent === NO_PARENT ? sql`null` : modelId(sql`((${n}) - 1) / ${BRANCHING}`)},
      'digits-cnn', 'image-classification', '[28,28,1]', '["0","1"]', '{"inputRange":[0,1],"channels":1}', '[]', 10, 40, 'models/' || (${n})`;
  await db.execute(sql`insert into models (${modelColumns}) select ${modelValues(sql`0`, sql`null::uuid`, NO_PARENT)}`);
  // One INSERT per generation: the lineage trigger reads each row's parent, so parents go first.
  for (let lo = 1, width = BRANCHING; lo < MODELS; lo += width, width *= BRANCHING) {
    const hi = Math.min(lo + width - 1, MODELS - 1);
    await db.execute(sql`insert into models (${modelColumns})
      select ${modelValues(sql`i`, project, sql`'FINE_TUNED'`)} from generate_series(${lo}::int, ${hi}::int) as i`);
  }
}

/** The tree's root and a model two generations below it (its subtree is ~1/16 of the tree). */
async function treeIds(db: Db): Promise<{ rootId: string; midId: string }> {
  const [row] = rowsOf<{ root: string; mid: string }>(
    await db.execute(sql`select ${modelId(sql`0`)}::text as root, ${modelId(sql`5`)}::text as mid`),
  );
  return { rootId: row?.root ?? "", midId: row?.mid ?? "" };
}

async function seed(db: Db): Promise<void> {
  const timed = async (label: string, work: () => Promise<unknown>) => {
    const started = performance.now();
    await work();
    console.log(`  seeded ${label} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  };
  await db.execute(sql`insert into projects (id, name) values (${PROJECT}::uuid, 'bench')`);
  await db.execute(sql`insert into datasets (id, project_id, name, task, labels, class_counts, sample_count, sample_shape, source)
    values (${DATASET}::uuid, null, 'bench', 'image-classification', '["0","1"]', '[1,1]', 2, '[28,28,1]', '{"kind":"BUILTIN","name":"mnist"}')`);

  await timed(`a ${MODELS}-model lineage tree (${BRANCHING} children per model)`, () =>
    seedTree(db, sql`${PROJECT}::uuid`),
  );

  await timed(`${RUNS} runs`, () =>
    db.execute(sql`insert into runs (id, project_id, base_model_id, dataset_id, pool, status, epochs, batch_size, optimizer,
        learning_rate, freeze_strategy, seed, hyperparameters, output_model_id, best_val_accuracy, queued_at)
      select case when i = 0 then ${SERIES_RUN}::uuid else gen_random_uuid() end, ${PROJECT}::uuid, ${modelId(sql`0`)},
        ${DATASET}::uuid, 'default', (array['QUEUED','RUNNING','SUCCEEDED','FAILED'])[1 + i % 4]::run_status, 10, 32, 'adam',
        0.001, 'ALL', i, '{}', gen_random_uuid(), case when i % 3 = 0 then null else (i % 1000) / 1000.0 end,
        timestamptz '2026-01-01' + (i / 2) * interval '1 second'
      from generate_series(0, ${RUNS - 1}::int) as i`),
  );

  await timed(`a ${POINTS}-point metric series`, async () => {
    const chunk = 250_000;
    for (let lo = 1; lo <= POINTS; lo += chunk) {
      const hi = Math.min(lo + chunk - 1, POINTS);
      await db.execute(sql`insert into run_epochs (run_id, epoch, attempt, loss, accuracy, val_loss, val_accuracy,
          learning_rate, duration_ms, samples_per_second, trainable_params, frozen_layers)
        select ${SERIES_RUN}::uuid, e, 1, 1.0 / e + (e % 7) * 0.01, 0.5, 1.0 / e, 0.5, 0.001, 10, 100, 10, 1
        from generate_series(${lo}::int, ${hi}::int) as e`);
    }
  });
  await db.execute(sql`analyze`);
}

async function measure(label: string, work: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 3; i++) await work(i);
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    await work(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  const p95 = at(0.95);
  console.log(
    `  ${label.padEnd(44)} p50 ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${p95.toFixed(1).padStart(7)} ms   p95/target ${(p95 / TARGET_MS).toFixed(2)} (target ${TARGET_MS} ms)`,
  );
}

async function bench(name: string, db: Db): Promise<void> {
  console.log(`\n${name}`);
  await seed(db);
  const { rootId, midId } = await treeIds(db);
  const scope = projectScope(PROJECT);

  // Cursors at random depths, so pages deep in the list are measured, not only the first.
  const positions = rowsOf<{ value: string; id: string }>(
    await db.execute(sql`select queued_at::text as value, id::text as id from runs where project_id = ${PROJECT}::uuid
      order by queued_at desc, id desc offset floor(random() * ${RUNS - 100})::int limit 1`),
  );
  const cursors: (string | null)[] = [null];
  // A real cursor of the order, moved to other rows: cursors are opaque, but the codec is public.
  const first = decodeCursor(String((await runsPage(db, scope, { first: 1 })).pageInfo.endCursor));
  for (let i = 0; i < 9; i++) {
    const [row] = rowsOf<{ value: string; id: string }>(
      await db.execute(sql`select queued_at::text as value, id::text as id from runs tablesample system (1) limit 1`),
    );
    const position = row ?? positions[0];
    if (position) cursors.push(encodeCursor({ ...first, ...position }));
  }

  let pageSize = 0;
  await measure("page of 50 runs (keyset, queuedAt desc)", async (i) => {
    const page = await runsPage(db, scope, { first: 50, after: cursors[i % cursors.length] ?? null });
    pageSize = page.edges.length;
  });
  let subtree = 0;
  await measure("lineage subtree of the root (shape)", async () => {
    subtree = (await descendantNodes(db, scope, rootId)).length;
  });
  await measure("lineage subtree of the root (full rows)", async () => {
    subtree = (await descendants(db, scope, rootId)).length;
  });
  await measure("lineage subtree of the root (summaries)", async () => {
    subtree = (await descendantSummaries(db, scope, rootId)).length;
  });
  let midSubtree = 0;
  await measure("lineage subtree of a depth-2 model (shape)", async () => {
    midSubtree = (await descendantNodes(db, scope, midId)).length;
  });
  await measure("lineage subtree of a depth-2 model (full rows)", async () => {
    midSubtree = (await descendants(db, scope, midId)).length;
  });
  let points = 0;
  await measure(`${POINTS}-point series reduced to 2000`, async () => {
    points = (await reduceEpochSeries(db, SERIES_RUN, "loss", 2000)).length;
  });
  console.log(
    `  (last page held ${pageSize} runs, subtree ${subtree} models, depth-2 subtree ${midSubtree}, series ${points} points)`,
  );
}

/**
 * The dashboard's `Lineage` query (every base with its whole subtree, the fields its graph
 * draws) and the CLI's `ModelTree` of the depth-2 model, sent one at a time to a gateway
 * process over a database holding only the tree (in no project, so the gateway's key sees it).
 */
async function lineageGraphqlBench(name: string, database: { databaseUrl?: string; pgliteDir?: string }) {
  console.log(`\n${name}: GraphQL lineage through a gateway process (response cache off)`);
  const seeded = await createDatabase({ url: database.databaseUrl, pgliteDir: database.pgliteDir });
  let ids: { rootId: string; midId: string };
  try {
    await seedTree(seeded.db, sql`null::uuid`);
    await seeded.db.execute(sql`analyze`);
    ids = await treeIds(seeded.db);
  } finally {
    await seeded.close();
  }
  const gateway = await startGatewayOver(database, process.env.READS_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean));
  try {
    const ask = async (query: string, variables: Record<string, unknown>): Promise<number> => {
      const response = await fetch(gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gateway.apiKey}` },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      const json = JSON.parse(text) as { errors?: unknown[] };
      if (!response.ok || json.errors) throw new Error(`lineage query failed: ${text.slice(0, 500)}`);
      return text.length;
    };
    let bytes = 0;
    await measure("Lineage query (root's 10,000 + bases)", async () => {
      bytes = await ask(String(LineageDocument), {});
    });
    let midBytes = 0;
    await measure("ModelTree of the depth-2 model", async () => {
      midBytes = await ask(String(ModelTreeDocument), { id: ids.midId });
    });
    console.log(`  (answers of ${bytes} and ${midBytes} bytes)`);
  } finally {
    await gateway.stop();
  }
}

/** lineageGraphqlBench on PGlite and, with DATABASE_URL, on PostgreSQL. */
async function lineageGraphqlBenches(): Promise<void> {
  const pgliteDir = await mkdtemp(join(tmpdir(), "graft-reads-lineage-"));
  try {
    await lineageGraphqlBench("PGlite (data directory)", { pgliteDir });
  } finally {
    await rm(pgliteDir, { recursive: true, force: true });
  }
  if (!testPostgresServer()) return;
  const target = await createTestDatabaseTarget("postgres");
  try {
    await lineageGraphqlBench("PostgreSQL (fresh database)", { databaseUrl: target.databaseUrl });
  } finally {
    await target.cleanup();
  }
}

/** Starts a floor or ceiling server (graphql-reads.ts), drives it with `body`, stops it. */
async function driveServer(mode: Parameters<typeof startServerProcess>[0], args: string[], body: string) {
  const server = await startServerProcess(mode, args);
  try {
    return await drive(server.url, body, {}, Number(values.connections), Number(values.seconds));
  } finally {
    await server.stop();
  }
}

async function graphqlBench(name: string, databaseUrls?: { uncached: string; cached: string }): Promise<void> {
  console.log(`\n${name}: GraphQL, ${values.connections} connections, ${values.seconds} s each`);
  const connections = Number(values.connections);
  const seconds = Number(values.seconds);
  const runs = Number(values["graphql-runs"]);
  const everyMs = Number(values["epoch-every-ms"]);
  const nodeArgs = process.env.READS_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const typename = JSON.stringify({ query: "{ __typename }" });
  // With a profiled gateway, each phase's start on the monotonic clock the profile's
  // timestamps use (microseconds), so its window can be cut out of the profile.
  const mark = (phase: string) => {
    if (nodeArgs.length > 0) console.log(`  (${phase} starts at ${process.hrtime.bigint() / 1000n} us)`);
  };
  // Each row is measured against the floor measured with the same gateway (the first or the second).
  const rows: [string, Load, Load][] = [];
  const bare = await startBareApollo();
  try {
    // First the gateway with its response cache off: every request executes the page.
    const uncached = await startSeededGateway({
      databaseUrl: databaseUrls?.uncached,
      runs,
      epochs: 10,
      nodeArgs,
      responseCacheBytes: 0,
    });
    try {
      const auth = { authorization: `Bearer ${uncached.apiKey}` };
      const floor = await drive(bare.url, typename, {}, connections, seconds);
      rows.push(["bare Apollo Server { __typename } (floor)", floor, floor]);
      rows.push(["graphql-yoga hello-world (ceiling)", await driveServer("--yoga", [], typename), floor]);
      mark("gateway { __typename }");
      rows.push([
        "gateway { __typename }, with API key",
        await drive(uncached.url, typename, auth, connections, seconds),
        floor,
      ]);
      mark("runs page, uncached");
      const body = runsPageBody(uncached.baseModelId);
      rows.push([
        `runs page, cache off (${runs} runs)`,
        await drive(uncached.url, body, auth, connections, seconds),
        floor,
      ]);
      mark("end of uncached");
      // The data floor needs the gateway's database from another process: PostgreSQL only.
      if (databaseUrls) {
        const floorArgs = [databaseUrls.uncached, uncached.baseModelId];
        const pageQuery = JSON.stringify({ query: "{ page }" });
        rows.push([
          "data floor: bare Apollo, the page as one SQL",
          await driveServer("--data-floor", floorArgs, pageQuery),
          floor,
        ]);
      }
    } finally {
      await uncached.stop();
    }
    // Then the same, seeded afresh, with the response cache on (the gateway's default).
    const cached = await startSeededGateway({ databaseUrl: databaseUrls?.cached, runs, epochs: 10, nodeArgs });
    try {
      const auth = { authorization: `Bearer ${cached.apiKey}` };
      const body = runsPageBody(cached.baseModelId);
      const floor = await drive(bare.url, typename, {}, connections, seconds);
      rows.push(["bare Apollo { __typename } (floor, again)", floor, floor]);
      // The answer floor: bare Apollo sending the gateway's own page answer from memory.
      const answer = await fetch(cached.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body,
      }).then((r) => r.json() as Promise<{ data: { runs: unknown } }>);
      const answerFile = join(await mkdtemp(join(tmpdir(), "graft-reads-")), "page.json");
      await writeFile(answerFile, JSON.stringify(answer.data.runs));
      const pageQuery = JSON.stringify({ query: "{ page }" });
      rows.push([
        `answer floor: bare Apollo, the page from memory (${JSON.stringify(answer).length} B)`,
        await driveServer("--answer-floor", [answerFile], pageQuery),
        floor,
      ]);
      await rm(dirname(answerFile), { recursive: true, force: true });
      mark("runs page, cached");
      rows.push([`runs page, cache on, no writes`, await drive(cached.url, body, auth, connections, seconds), floor]);
      mark("runs page, cached, live run");
      const stopEpochs = await cached.storeEpochs(everyMs);
      const live = await drive(cached.url, body, auth, connections, seconds);
      const stored = await stopEpochs();
      mark("end");
      rows.push([`runs page, cache on, an epoch every ${everyMs} ms`, live, floor]);
      console.log(`  (${stored} epochs of the live run published while driving the page)`);
    } finally {
      await cached.stop();
    }
  } finally {
    await bare.stop();
  }
  for (const [label, load, floor] of rows) {
    const hits = label.includes("cache on") ? `   hits ${(load.hitRate * 100).toFixed(1)} %` : "";
    console.log(
      `  ${label.padEnd(46)} ${load.reqPerSecond.toFixed(0).padStart(6)} req/s (${(load.reqPerSecond / floor.reqPerSecond).toFixed(3)}x floor)   p50 ${load.p50.toFixed(1).padStart(6)} ms   p99 ${load.p99.toFixed(1).padStart(6)} ms (${(load.p99 / floor.p99).toFixed(1)}x floor)${hits}${load.errors ? `   ${load.errors} ERRORS` : ""}`,
    );
  }
}

if (values.only === "lineage-graphql") {
  await lineageGraphqlBenches();
} else if (values.only !== "graphql") {
  const pglite = await createDatabase();
  try {
    await bench("PGlite (in memory)", pglite.db);
  } finally {
    await pglite.close();
  }

  if (testPostgresServer()) {
    const target = await createTestDatabaseTarget("postgres");
    try {
      const postgres = await createDatabase({ url: target.databaseUrl });
      try {
        await bench("PostgreSQL (DATABASE_URL, fresh database)", postgres.db);
      } finally {
        await postgres.close();
      }
    } finally {
      await target.cleanup();
    }
  }
  await lineageGraphqlBenches();
}

if (values.only === undefined || values.only === "graphql") {
  await graphqlBench("PGlite (gateway process, in memory)");
  if (testPostgresServer()) {
    const uncached = await createTestDatabaseTarget("postgres");
    const cached = await createTestDatabaseTarget("postgres").catch(async (error: unknown) => {
      await uncached.cleanup();
      throw error;
    });
    try {
      if (!uncached.databaseUrl || !cached.databaseUrl) throw new Error("a PostgreSQL target without a URL");
      await graphqlBench("PostgreSQL (gateway process, fresh databases)", {
        uncached: uncached.databaseUrl,
        cached: cached.databaseUrl,
      });
    } finally {
      await uncached.cleanup();
      await cached.cleanup();
    }
  }
}

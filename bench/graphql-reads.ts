/**
 * The GraphQL half of reads.bench.ts: the runs page (50 runs with base model, dataset and best
 * epoch) served by a gateway process, against a bare Apollo Server answering `{__typename}`,
 * each in its own process, driven by the same closed-loop HTTP client in this process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import type { RequestListener } from "node:http";
import { GraftFetcher, RunsDocument } from "@graft/client";
import type { GatewayConfig } from "@graft/gateway";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { imageFolderZip, tinyModel, zipFiles } from "../test/support/fixtures.ts";
import { startGatewayProcess, stopGatewayProcess } from "../test/support/gateway-process.ts";
import { completeRun, lastJob, liveRun } from "../test/support/run-events.ts";

const API_KEY = "graft_reads_bench_key_0123456789abcdef01";
const JOIN_TOKEN = "graft_reads_bench_join_0123456789abcdef01";

/** The dashboard's runs page, exactly as it asks (count, page info, RunSummary per run). */
export const runsPageBody = (baseModelId: string) =>
  JSON.stringify({ query: String(RunsDocument), variables: { filter: { baseModelId }, first: 50 } });

export interface Load {
  reqPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  /** Share of the answers the gateway's response cache served (they carry an `age` header). */
  hitRate: number;
}

/**
 * `connections` loops, each sending its next request when the last one answers, for
 * `seconds` after a one-second warm-up. Every answer is parsed and checked for errors.
 */
export async function drive(
  url: string,
  body: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<Load> {
  let hits = 0;
  const send = async (counted: boolean) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const json = (await response.json()) as { errors?: unknown[] };
    if (counted && response.headers.has("age")) hits++;
    return response.ok && !json.errors;
  };
  const loop = async (until: number, samples: number[] | null) => {
    let errors = 0;
    while (performance.now() < until) {
      const started = performance.now();
      if (!(await send(samples !== null))) errors++;
      samples?.push(performance.now() - started);
    }
    return errors;
  };
  const warm = performance.now() + 1000;
  await Promise.all(Array.from({ length: connections }, () => loop(warm, null)));
  const samples: number[] = [];
  const started = performance.now();
  const errors = await Promise.all(Array.from({ length: connections }, () => loop(started + seconds * 1000, samples)));
  const elapsed = (performance.now() - started) / 1000;
  samples.sort((a, b) => a - b);
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? Number.NaN;
  return {
    reqPerSecond: samples.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    errors: errors.reduce((a, b) => a + b, 0),
    hitRate: hits / samples.length,
  };
}

/**
 * The floors and the ceiling, each a server in its own process (this file run with one of
 * these flags), answering on 127.0.0.1:
 * - `--bare`: a bare Apollo Server, for `{ __typename }`;
 * - `--yoga`: a graphql-yoga hello-world on Node's HTTP server (the ceiling);
 * - `--data-floor <database url> <base model id>`: a bare Apollo Server whose one field,
 *   `{ page }`, runs one hand-written SQL statement that builds the runs page's whole answer
 *   (count, 50 runs with base model, dataset, experiment, trainer, output model and best
 *   epoch) as JSON in PostgreSQL: what the page costs with no per-field work in Node;
 * - `--answer-floor <file>`: a bare Apollo Server whose one field, `{ page }`, returns the
 *   JSON value in `file` (the gateway's own runs page answer) from memory: what sending that
 *   answer costs, the best any response cache can do.
 */
export type ServerMode = "--bare" | "--yoga" | "--data-floor" | "--answer-floor";

/** Starts `mode` as its own process; resolves with its URL. */
export async function startServerProcess(
  mode: ServerMode,
  args: readonly string[] = [],
): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", new URL(import.meta.url).pathname, mode, ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
      const match = /^URL (\S+)$/m.exec(output);
      if (match?.[1]) resolve(match[1]);
    });
    child.once("exit", () => reject(new Error(`${mode} server exited: ${output}`)));
  });
  return {
    url,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** A bare Apollo Server as its own process; resolves with its URL. */
export const startBareApollo = () => startServerProcess("--bare");

/** The data floor's statement: the runs page's answer, built by PostgreSQL as one JSON value. */
const RUNS_PAGE_JSON = `
  select json_build_object(
    'totalCount', (select count(*) from runs where base_model_id = $1),
    'edges', coalesce((
      select json_agg(json_build_object('cursor', r.id, 'node', json_build_object(
        'id', r.id, 'name', r.name, 'status', r.status, 'pool', r.pool,
        'baseModel', json_build_object('id', bm.id, 'name', bm.name),
        'dataset', json_build_object('id', d.id, 'name', d.name),
        'experiment', case when e.id is null then null else json_build_object('id', e.id, 'name', e.name) end,
        'trainer', case when t.id is null then null else json_build_object('id', t.id, 'name', t.name) end,
        'hyperparameters', json_build_object('epochs', r.epochs, 'batchSize', r.batch_size,
          'optimizer', r.optimizer, 'learningRate', r.learning_rate,
          'freezeStrategy', r.freeze_strategy, 'freezeLayers', r.hyperparameters->'freezeLayers'),
        'bestEpoch', (select json_build_object('epoch', x.epoch, 'valAccuracy', x.val_accuracy,
            'valLoss', x.val_loss, 'accuracy', x.accuracy, 'loss', x.loss)
          from run_epochs x where x.run_id = r.id and x.val_accuracy is not null
          order by x.val_accuracy desc nulls last, x.epoch limit 1),
        'attemptCount', r.attempt_count, 'trainingPath', r.training_path,
        'outputModel', case when om.id is null then null else json_build_object('id', om.id, 'name', om.name) end,
        'error', r.error, 'queuedAt', r.queued_at, 'startedAt', r.started_at, 'finishedAt', r.finished_at))
        order by r.queued_at desc, r.id desc)
      from (select * from runs where base_model_id = $1 order by queued_at desc, id desc limit 50) r
      join models bm on bm.id = r.base_model_id
      join datasets d on d.id = r.dataset_id
      left join experiments e on e.id = r.experiment_id
      left join trainers t on t.id = r.trainer_id
      left join models om on om.id = r.output_model_id), '[]'::json)) as page`;

const mode = process.argv.find((arg): arg is ServerMode =>
  ["--bare", "--yoga", "--data-floor", "--answer-floor"].includes(arg),
);
if (mode === "--bare" || mode === "--data-floor" || mode === "--answer-floor") {
  const { ApolloServer } = await import("@apollo/server");
  const { startStandaloneServer } = await import("@apollo/server/standalone");
  let server: InstanceType<typeof ApolloServer>;
  let close = async () => {};
  if (mode === "--bare") {
    server = new ApolloServer({ typeDefs: "type Query { ok: Boolean }", resolvers: {} });
  } else if (mode === "--answer-floor") {
    const { readFile } = await import("node:fs/promises");
    const answer: unknown = JSON.parse(await readFile(process.argv[process.argv.indexOf(mode) + 1] ?? "", "utf8"));
    server = new ApolloServer({
      typeDefs: "scalar JSON type Query { page: JSON }",
      resolvers: { Query: { page: () => answer } },
    });
  } else {
    const [databaseUrl, baseModelId] = process.argv.slice(process.argv.indexOf(mode) + 1);
    const { createDatabase } = await import("@graft/db");
    const { sql } = await import("drizzle-orm");
    const database = await createDatabase({ url: databaseUrl });
    close = () => database.close();
    // The statement's $1 placeholders, each bound to the base model's id.
    const statement = sql.join(
      RUNS_PAGE_JSON.split("$1").map((part) => sql.raw(part)),
      sql`${baseModelId}`,
    );
    server = new ApolloServer({
      // An SDL scalar with no resolver passes its value through: the page goes out as PostgreSQL built it.
      typeDefs: "scalar JSON type Query { page: JSON }",
      resolvers: {
        Query: {
          page: async () => {
            const { rows } = (await database.db.execute(statement)) as unknown as { rows: { page: unknown }[] };
            return rows[0]?.page;
          },
        },
      },
    });
  }
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  console.log(`URL ${url}`);
  process.once("SIGTERM", () => void Promise.all([server.stop(), close()]).finally(() => process.exit(0)));
} else if (mode === "--yoga") {
  // A computed specifier keeps graphql-yoga's types out of the type check: they augment
  // graphql's GraphQLErrorExtensions and the global fetch types for the whole program.
  const yogaPackage = "graphql-yoga";
  const { createSchema, createYoga } = (await import(yogaPackage)) as {
    createSchema(options: { typeDefs: string }): unknown;
    createYoga(options: { schema: unknown; logging: boolean }): RequestListener;
  };
  const { createServer } = await import("node:http");
  const yoga = createYoga({ schema: createSchema({ typeDefs: "type Query { ok: Boolean }" }), logging: false });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  console.log(`URL http://127.0.0.1:${address.port}/graphql`);
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
}

/**
 * A gateway process over a database this process seeded (`databaseUrl`, or a PGlite data
 * directory this process has closed), with its response cache off: what one request's read
 * path costs. No built-in models are seeded, so the database's own bases are the only ones.
 */
export async function startGatewayOver(
  database: { databaseUrl?: string; pgliteDir?: string },
  nodeArgs: readonly string[] = [],
) {
  const { gateway, stop } = await launchGateway({ responseCacheBytes: 0, ...database }, nodeArgs);
  return { url: gateway.url, apiKey: API_KEY, stop };
}

/** A gateway process with the bench's key and join token, no built-in models, on a nats-server of its own. */
async function launchGateway(config: Partial<GatewayConfig>, nodeArgs: readonly string[] = []) {
  const nats = await startNatsServer();
  const gateway = await startGatewayProcess(
    {
      port: 0,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      bootstrapKey: API_KEY,
      joinToken: JOIN_TOKEN,
      builtinModels: [],
      memoryStorage: true,
      ...config,
    },
    "gateway",
    false,
    nodeArgs,
  ).catch(async (error: unknown) => {
    await nats.stop();
    throw error;
  });
  const stop = async () => {
    await stopGatewayProcess(gateway);
    await nats.stop();
  };
  return { gateway, nats, stop };
}

/**
 * A gateway process with `runs` runs of one base model, each with `epochs` epochs stored
 * through the real ingest (a trainer's events over JetStream), and one more run of that
 * base that is still training: `storeEpochs` plays its trainer.
 */
export async function startSeededGateway(options: {
  databaseUrl?: string;
  runs: number;
  epochs: number;
  nodeArgs?: readonly string[];
  /** The gateway's response cache; 0 turns it off. @default the gateway's default */
  responseCacheBytes?: number;
}) {
  const { gateway, nats, stop } = await launchGateway(
    {
      // The per-key limit (1,200 a minute) is what a faster gateway hits first under this load:
      // refused requests are cheap and would pass for throughput.
      requestRate: { requests: 10_000_000, windowMs: 60_000 },
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
      ...(options.responseCacheBytes !== undefined ? { responseCacheBytes: options.responseCacheBytes } : {}),
    },
    options.nodeArgs,
  );
  try {
    const client = new GraftFetcher({ url: gateway.url, apiKey: API_KEY, timeoutMs: null });
    const data = async <T>(query: string, variables: Record<string, unknown> = {}) => {
      const result = await client.execute<T, Record<string, unknown>>(query, variables);
      if (!result.data || result.errors?.length) throw new Error(JSON.stringify(result.errors));
      return result.data;
    };
    const upload = async (bytes: Uint8Array) => {
      const response = await client.send(bytes as Uint8Array<ArrayBuffer>, {
        url: client.uploadsUrl,
        contentType: "application/zip",
      });
      return ((await response.json()) as { uploadId: string }).uploadId;
    };
    const { registerModel } = await data<{
      registerModel: { id: string; layers: Parameters<typeof completeRun>[0]["baseLayers"] };
    }>(
      "mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id layers { name className weightHash params } } }",
      { input: { name: "bench-base", uploadId: await upload(zipFiles(tinyModel().files)), labels: ["a", "b", "c"] } },
    );
    const { createDataset } = await data<{ createDataset: { id: string } }>(
      "mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { id } }",
      { input: { name: "bench-data", uploadId: await upload(imageFolderZip(["p", "q"])) } },
    );
    const { registerTrainer } = await data<{ registerTrainer: { trainer: { id: string } } }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "bench", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
      { t: JOIN_TOKEN },
    );
    const startRun = async (epochs: number) =>
      (
        await data<{ startFineTune: { id: string } }>(
          "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
          { input: { baseModelId: registerModel.id, datasetId: createDataset.id, epochs, pool: "bench" } },
        )
      ).startFineTune;
    for (let i = 0; i < options.runs; i++) {
      const startFineTune = await startRun(options.epochs);
      const job = await lastJob({ nats }, "bench");
      await completeRun({
        nats,
        jobToken: job.jobToken,
        runId: startFineTune.id,
        trainerId: registerTrainer.trainer.id,
        outputModelId: job.outputModelId,
        baseLayers: registerModel.layers,
        featureLayer: "features",
        inputShape: [8, 8, 1],
        labels: ["p", "q"],
        valAccuracies: Array.from({ length: options.epochs }, (_, e) => 0.5 + ((e * 7 + i) % 10) / 25),
      });
    }
    // The live run: queued last, so it is first on the page (newest first).
    const live = await startRun(1000);
    const liveJob = await lastJob({ nats }, "bench");
    // Wait until every run's epochs are stored, so each request reads the same rows.
    for (let i = 0; ; i++) {
      const page = await data<{ runs: { totalCount: number } }>(
        "query ($base: ID!) { runs(filter: { baseModelId: $base, status: [SUCCEEDED] }) { totalCount } }",
        { base: registerModel.id },
      );
      if (page.runs.totalCount === options.runs) break;
      if (i > 600) throw new Error("the ingest never finished the seeded runs");
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      url: gateway.url,
      apiKey: API_KEY,
      natsUrl: nats.url,
      /** Connection options with the gateway's own NATS user (the server requires one). */
      natsConnect: gatewayConnectOptions(nats),
      baseModelId: registerModel.id,
      datasetId: createDataset.id,
      /** Stores an epoch of the live run every `everyMs` (through the ingest) until the returned stop; resolves to how many. */
      async storeEpochs(everyMs: number): Promise<() => Promise<number>> {
        const trainer = await liveRun({
          nats,
          jobToken: liveJob.jobToken,
          runId: live.id,
          trainerId: registerTrainer.trainer.id,
        });
        let epoch = 0;
        let publishing = Promise.resolve();
        const timer = setInterval(() => {
          if (epoch >= 1000) return;
          epoch++;
          publishing = publishing.then(() => trainer.epoch(epoch, 0.5 + (epoch % 50) / 100));
        }, everyMs);
        return async () => {
          clearInterval(timer);
          await publishing;
          await trainer.close();
          return epoch;
        };
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

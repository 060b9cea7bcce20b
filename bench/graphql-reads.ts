/**
 * The GraphQL half of reads.bench.ts: the runs page (50 runs with base model, dataset and best
 * epoch) served by a gateway process, against a bare Apollo Server answering `{__typename}`,
 * each in its own process, driven by the same closed-loop HTTP client in this process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { GraftFetcher, RunsDocument } from "@graft/client";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { imageFolderZip, tinyModel, zipFiles } from "../test/support/fixtures.ts";
import { startGatewayProcess, stopGatewayProcess } from "../test/support/gateway-process.ts";
import { completeRun, lastJob } from "../test/support/run-events.ts";

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
  const send = async () => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
    const json = (await response.json()) as { errors?: unknown[] };
    return response.ok && !json.errors;
  };
  const loop = async (until: number, samples: number[] | null) => {
    let errors = 0;
    while (performance.now() < until) {
      const started = performance.now();
      if (!(await send())) errors++;
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
  };
}

/** A bare Apollo Server as its own process (this file run with `--bare`); resolves with its URL. */
export async function startBareApollo(): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", "tsx", new URL(import.meta.url).pathname, "--bare"],
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
    child.once("exit", () => reject(new Error(`bare Apollo Server exited: ${output}`)));
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

if (process.argv.includes("--bare")) {
  const { ApolloServer } = await import("@apollo/server");
  const { startStandaloneServer } = await import("@apollo/server/standalone");
  const server = new ApolloServer({ typeDefs: "type Query { ok: Boolean }", resolvers: {} });
  const { url } = await startStandaloneServer(server, { listen: { port: 0, host: "127.0.0.1" } });
  console.log(`URL ${url}`);
  process.once("SIGTERM", () => void server.stop().finally(() => process.exit(0)));
}

/**
 * A gateway process with `runs` runs of one base model, each with `epochs` epochs stored
 * through the real ingest (a trainer's events over JetStream).
 */
export async function startSeededGateway(options: {
  databaseUrl?: string;
  runs: number;
  epochs: number;
  nodeArgs?: readonly string[];
}) {
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
      // The per-key limit (1,200 a minute) is what a faster gateway hits first under this load:
      // refused requests are cheap and would pass for throughput.
      requestRate: { requests: 10_000_000, windowMs: 60_000 },
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    },
    "gateway",
    false,
    options.nodeArgs,
  ).catch(async (error: unknown) => {
    await nats.stop();
    throw error;
  });
  const stop = async () => {
    await stopGatewayProcess(gateway);
    await nats.stop();
  };
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
    for (let i = 0; i < options.runs; i++) {
      const { startFineTune } = await data<{ startFineTune: { id: string } }>(
        "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
        {
          input: { baseModelId: registerModel.id, datasetId: createDataset.id, epochs: options.epochs, pool: "bench" },
        },
      );
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
    // Wait until every run's epochs are stored, so each request reads the same rows.
    for (let i = 0; ; i++) {
      const page = await data<{ runs: { edges: { node: { status: string } }[] } }>(
        "query ($base: ID!) { runs(filter: { baseModelId: $base }, first: 50) { edges { node { status } } } }",
        { base: registerModel.id },
      );
      if (page.runs.edges.filter((e) => e.node.status === "SUCCEEDED").length === options.runs) break;
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
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Fan-out against the p99 <= 100 ms target: one run watched by 1,000 graphql-ws subscribers
 * (1,000 websocket connections) of a gateway running as its own process. Latency is from a
 * trainer's JetStream publish of an epoch event to its receipt by each subscriber, through
 * ingest, the database and the core-NATS notification. Publisher and subscribers share this
 * process's clock. PGlite by default; PostgreSQL when DATABASE_URL is set.
 *
 *   npx tsx bench/fanout.bench.ts [--subscribers 1000] [--epochs 30] [--interval 100]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeMessage, type RunEvent, runEventsSubject, runUpdatesSubject } from "@graft/contracts";
import { createTestDatabaseTarget } from "@graft/db";
import { startNatsServer } from "@graft/natsd";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "1000" },
    epochs: { type: "string", default: "30" },
    interval: { type: "string", default: "100" },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const EPOCHS = Number(values.epochs);
const INTERVAL_MS = Number(values.interval);
const API_KEY = "graft_fanout_bench_key_0123456789abcdef";
const root = new URL("..", import.meta.url).pathname;

const nats = await startNatsServer();
const target = await createTestDatabaseTarget();
const home = await mkdtemp(join(tmpdir(), "graft-fanout-"));
let gateway: ChildProcess | undefined;
const clients: Client[] = [];
const trainerNc = await connect({ servers: nats.url });
try {
  const started = await startGatewayProcess({
    GRAFT_HOME: home,
    GATEWAY_PORT: "0",
    NATS_URL: nats.url,
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : { DATABASE_URL: "" }),
    GRAFT_BOOTSTRAP_KEY: API_KEY,
    GRAFT_JOIN_TOKEN: "graft_join_fanout_bench_0123456789",
  });
  gateway = started.child;
  const runId = await startRun(started.url);

  // Subscribers connect in waves so the gateway's API-key checks are not one burst.
  const publishedAt = new Map<number, number>();
  const latencies: number[] = [];
  const heardLog = new Set<number>();
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const client = createClient({
      url: started.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${API_KEY}` },
      retryAttempts: 0,
    });
    clients.push(client);
    client.subscribe<{ runEvents: { kind: string; epoch: { epoch: number } | null } }>(
      { query: "subscription ($id: ID!) { runEvents(runId: $id) { kind epoch { epoch } } }", variables: { id: runId } },
      {
        next: (r) => {
          const event = r.data?.runEvents;
          if (event?.kind === "LOG") heardLog.add(i);
          const sent = event?.epoch ? publishedAt.get(event.epoch.epoch) : undefined;
          if (sent !== undefined) latencies.push(performance.now() - sent);
        },
        error: (e) => console.error(`subscriber ${i}: ${String(e)}`),
        complete: () => {},
      },
    );
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 200));
  }

  // The stored-event notification itself, to split the latency into ingest and fan-out.
  const storedLatencies: number[] = [];
  trainerNc.subscribe(runUpdatesSubject(runId), {
    callback: (_, msg) => {
      const update = JSON.parse(msg.string()) as { epoch: { epoch: number } | null };
      const sent = update.epoch ? publishedAt.get(update.epoch.epoch) : undefined;
      if (sent !== undefined) storedLatencies.push(performance.now() - sent);
    },
  });
  const js = jetstream(trainerNc);
  const trainerId = "00000000-0000-4000-8000-00000000feed";
  const base = { runId, attempt: 1, trainerId };
  const publish = (event: RunEvent) => js.publish(runEventsSubject(runId), encodeMessage(event));
  const readyBy = Date.now() + 120_000;
  while (heardLog.size < SUBSCRIBERS) {
    if (Date.now() > readyBy) throw new Error(`only ${heardLog.size} of ${SUBSCRIBERS} subscribers became live`);
    await publish({ type: "log", ...base, at: new Date().toISOString(), level: "info", message: "warm-up" });
    await new Promise((r) => setTimeout(r, 500));
  }

  for (let epoch = 1; epoch <= EPOCHS; epoch++) {
    publishedAt.set(epoch, performance.now());
    await publish({
      type: "epoch",
      ...base,
      at: new Date().toISOString(),
      epoch,
      metrics: {
        loss: 1 / epoch,
        accuracy: 0.9,
        valLoss: 1 / epoch,
        valAccuracy: 0.9,
        learningRate: 0.001,
        durationMs: 100,
        samplesPerSecond: 1000,
        trainableParams: 1000,
        frozenLayers: 3,
      },
    });
    await new Promise((r) => setTimeout(r, INTERVAL_MS));
  }
  const expected = SUBSCRIBERS * EPOCHS;
  const doneBy = Date.now() + 30_000;
  while (latencies.length < expected && Date.now() < doneBy) await new Promise((r) => setTimeout(r, 50));

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  console.log(
    `database: ${target.driver}; ${SUBSCRIBERS} subscribers x ${EPOCHS} epoch events, ${INTERVAL_MS} ms apart`,
  );
  console.log(`received ${latencies.length} of ${expected}`);
  console.log(
    `publish -> receipt: p50 ${pct(50).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${pct(100).toFixed(1)} ms (target p99 <= 100 ms)`,
  );
  storedLatencies.sort((a, b) => a - b);
  const stored = (p: number) => storedLatencies[Math.floor((p / 100) * (storedLatencies.length - 1))] ?? NaN;
  console.log(
    `of which publish -> stored and announced (ingest): p50 ${stored(50).toFixed(1)} ms, p99 ${stored(99).toFixed(1)} ms`,
  );
  if (latencies.length < expected) process.exitCode = 1;
} finally {
  await Promise.all(clients.map((c) => c.dispose()));
  await trainerNc.close();
  if (gateway && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway?.once("exit", r));
    gateway.kill("SIGTERM");
    const timer = setTimeout(() => gateway?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
  await nats.stop();
  await target.cleanup();
  await rm(home, { recursive: true, force: true });
}

async function startGatewayProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/gateway/src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  gateway = child;
  let output = "";
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 120 s:\n${output}`)), 120_000);
    child.stdout?.on("data", (d: Buffer) => {
      output += d.toString();
      const match = /GraphQL: (\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}):\n${output}`));
    });
  });
  return { url, child };
}

/** A QUEUED run on a built-in model and dataset, made through the public API. */
async function startRun(url: string): Promise<string> {
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, unknown>; errors?: unknown };
    if (body.errors || !body.data) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const listed = (await gql("{ models(first: 10) { edges { node { id name } } } datasets { id name } }")) as {
    models: { edges: { node: { id: string; name: string } }[] };
    datasets: { id: string; name: string }[];
  };
  const model = listed.models.edges[0]?.node;
  const dataset = listed.datasets.find((d) => /mnist/i.test(d.name)) ?? listed.datasets[0];
  if (!model || !dataset) throw new Error("the gateway seeded no built-in model or dataset");
  const created = (await gql("mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }", {
    input: { baseModelId: model.id, datasetId: dataset.id, epochs: EPOCHS, name: "fanout bench" },
  })) as { startFineTune: { id: string } };
  return created.startFineTune.id;
}

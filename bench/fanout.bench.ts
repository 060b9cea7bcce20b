/**
 * Fan-out against the p99 <= 100 ms target: one run watched by 1,000 graphql-ws subscribers
 * (1,000 websocket connections) of a gateway running as its own process. Latency is from a
 * trainer's JetStream publish of an epoch event to its receipt by each subscriber, through
 * ingest, the database and the core-NATS notification. The subscribers live in `--workers`
 * child processes (default 1; more only pay off with cores to spare) so that decoding 1,000
 * messages does not queue behind the publisher's and the measurement's own work; every
 * process stamps with the machine's
 * monotonic clock (process.hrtime), so stamps compare across processes. `--workers 0` keeps
 * all clients in this process (the old layout). The report splits the latency into ingest
 * (publish -> the stored event's core-NATS notification, heard here) and fan-out (that
 * notification -> each receipt), and gives the per-event spread from first to last receipt,
 * which is the gateway's serial per-subscriber cost plus the clients' decode time.
 * PGlite by default; PostgreSQL when DATABASE_URL is set.
 *
 *   npx tsx bench/fanout.bench.ts [--subscribers 1000] [--epochs 30] [--interval 100] [--workers 1]
 *   (FANOUT_GATEWAY_NODE_ARGS adds node flags to the gateway process, e.g. --cpu-prof.)
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encodeMessage, runEventsSubject, runUpdatesSubject } from "@graft/contracts";
import { createTestDatabaseTarget, testPostgresServer } from "@graft/db/testing";
import { jobTokenFor } from "@graft/gateway/testing";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { claimed, type UnclaimedRunEvent } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "1000" },
    epochs: { type: "string", default: "30" },
    interval: { type: "string", default: "100" },
    workers: { type: "string", default: "1" },
    // Internal: run as one client process.
    worker: { type: "string" },
    url: { type: "string" },
    run: { type: "string" },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const EPOCHS = Number(values.epochs);
const INTERVAL_MS = Number(values.interval);
const WORKERS = Number(values.workers);
const API_KEY = "graft_fanout_bench_key_0123456789abcdef";
const root = new URL("..", import.meta.url).pathname;
/** The machine's monotonic clock in ms, comparable across processes. */
const now = () => Number(process.hrtime.bigint()) / 1e6;

type FromWorker =
  /** Subscribers answered with their STATUS snapshot (live), and that heard a warm-up LOG. */
  | { type: "counts"; live: number; heard: number }
  | { type: "receipts"; epochs: number[]; at: number[] }
  | { type: "done" };

/** Subscribers of one client process that are live (answered), and that heard a warm-up LOG. */
class Counts {
  live = 0;
  heard = 0;
}

/** Client side: `count` graphql-ws subscribers; receipt stamps of EPOCH events, per subscriber. */
function startClients(url: string, runId: string, count: number, counts: Counts) {
  const heard = new Set<number>();
  const clients: Client[] = [];
  const epochs: number[] = [];
  const at: number[] = [];
  /** Subscribers whose subscription answered (its STATUS snapshot) or failed. */
  let settled = 0;
  const answered: boolean[] = [];
  const open = async () => {
    for (let i = 0; i < count; i++) {
      const client = createClient({
        url: url.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${API_KEY}` },
        retryAttempts: 0,
      });
      clients.push(client);
      client.subscribe<{ runEvents: { kind: string; epoch: { epoch: number } | null } }>(
        {
          query: "subscription ($id: ID!) { runEvents(runId: $id) { kind epoch { epoch } } }",
          variables: { id: runId },
        },
        {
          next: (r) => {
            const received = now();
            // The first event is the run's STATUS, read after the subscription's feed is
            // attached: from here on, every stored event reaches this subscriber.
            if (!answered[i]) {
              answered[i] = true;
              settled++;
              counts.live++;
            }
            const event = r.data?.runEvents;
            if (event?.kind === "LOG" && !heard.has(i)) {
              heard.add(i);
              counts.heard++;
            }
            if (event?.epoch) {
              epochs.push(event.epoch.epoch);
              at.push(received);
            }
          },
          error: (e) => {
            settled++;
            console.error(`subscriber ${i}: ${describeError(e)}`);
          },
          complete: () => {},
        },
      );
      // Subscribers connect in waves of 100, each once the one before has answered: what is
      // measured is fan-out, not a connection storm (thousands of upgrades at once queue past
      // the gateway's 10 s header timeout on a loaded machine and are refused with 408).
      if (i % 100 === 99) {
        const waitUntil = Date.now() + 30_000;
        while (settled < i + 1 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  return { clients, epochs, at, open, dispose: () => Promise.all(clients.map((c) => c.dispose())) };
}

if (values.worker !== undefined) {
  const count = Number(values.worker);
  const counted = new Counts();
  const side = startClients(String(values.url), String(values.run), count, counted);
  // Counts and receipts stream to the parent as they come, so a worker's end does not lose them.
  let sent = 0;
  let sentCounts = "";
  const flush = () => {
    const counts = { type: "counts", live: counted.live, heard: counted.heard } satisfies FromWorker;
    if (JSON.stringify(counts) !== sentCounts) {
      sentCounts = JSON.stringify(counts);
      process.send?.(counts);
    }
    if (side.epochs.length === sent) return;
    process.send?.({
      type: "receipts",
      epochs: side.epochs.slice(sent),
      at: side.at.slice(sent),
    } satisfies FromWorker);
    sent = side.epochs.length;
  };
  const timer = setInterval(flush, 250);
  process.on("message", async (m: { type: string }) => {
    if (m.type !== "report") return;
    clearInterval(timer);
    flush();
    process.send?.({ type: "done" } satisfies FromWorker, () => process.disconnect());
    await side.dispose();
  });
  await side.open();
} else {
  await main();
}

async function main() {
  const nats = await startNatsServer();
  const target = await createTestDatabaseTarget(testPostgresServer() ? "postgres" : "pglite");
  const home = await mkdtemp(join(tmpdir(), "graft-fanout-"));
  let gateway: ChildProcess | undefined;
  const workers: ChildProcess[] = [];
  let local: ReturnType<typeof startClients> | undefined;
  const trainerNc = await connect(gatewayConnectOptions(nats));
  const authFile = join(home, "nats-auth.json");
  await writeFile(authFile, JSON.stringify(nats.auth), { mode: 0o600 });
  try {
    const started = await startGatewayProcess({
      GRAFT_HOME: home,
      GATEWAY_PORT: "0",
      NATS_URL: nats.url,
      GRAFT_NATS_AUTH: authFile,
      ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : { DATABASE_URL: "" }),
      GRAFT_BOOTSTRAP_KEY: API_KEY,
      GRAFT_JOIN_TOKEN: "graft_join_fanout_bench_0123456789",
      // Every subscription counts against its key's request limit (1,200 a minute by default):
      // the bench's one key opens them all within a minute.
      GRAFT_RATE_LIMIT_PER_MINUTE: String(Math.max(1_200, 2 * SUBSCRIBERS)),
    });
    gateway = started.child;
    const runId = await startRun(started.url);

    // Receipts come back from the clients at the end: [epoch, monotonic ms] pairs.
    const receipts: { epochs: number[]; at: number[] }[] = [];
    const countsIn: Counts[] = [];
    const reported: Promise<void>[] = [];
    if (WORKERS > 0) {
      for (let w = 0; w < WORKERS; w++) {
        const count = Math.floor(SUBSCRIBERS / WORKERS) + (w < SUBSCRIBERS % WORKERS ? 1 : 0);
        const child = spawn(
          process.execPath,
          [
            "--import",
            "tsx",
            new URL(import.meta.url).pathname,
            "--worker",
            String(count),
            "--url",
            started.url,
            "--run",
            runId,
          ],
          { cwd: root, stdio: ["ignore", "inherit", "inherit", "ipc"] },
        );
        workers.push(child);
        const counts = new Counts();
        countsIn.push(counts);
        reported.push(
          new Promise<void>((resolve) => {
            child.on("message", (m: FromWorker) => {
              if (m.type === "counts") Object.assign(counts, { live: m.live, heard: m.heard });
              else if (m.type === "receipts") receipts.push(m);
              else resolve();
            });
            child.once("exit", (code) => {
              if (code) console.error(`client process ${w} exited with ${code}`);
              resolve();
            });
          }),
        );
      }
    } else {
      const counts = new Counts();
      countsIn.push(counts);
      local = startClients(started.url, runId, SUBSCRIBERS, counts);
      void local.open();
    }
    const live = () => countsIn.reduce((a, c) => a + c.live, 0);
    const heard = () => countsIn.reduce((a, c) => a + c.heard, 0);

    // The stored-event notification itself, to split the latency into ingest and fan-out.
    const publishedAt = new Map<number, number>();
    const storedAt = new Map<number, number>();
    trainerNc.subscribe(runUpdatesSubject(runId), {
      callback: (_, msg) => {
        const heardAt = now();
        const { updates } = JSON.parse(msg.string()) as { updates: { epoch: { epoch: number } | null }[] };
        for (const update of updates) if (update.epoch) storedAt.set(update.epoch.epoch, heardAt);
      },
    });
    const js = jetstream(trainerNc);
    const trainerId = "00000000-0000-4000-8000-00000000feed";
    const base = { runId, attempt: 1, trainerId };
    const jobToken = jobTokenFor(nats.auth, runId);
    const publish = (event: UnclaimedRunEvent) =>
      js.publish(runEventsSubject(trainerId, runId), encodeMessage(claimed(event, jobToken)));
    // Connecting goes in waves and slows under load: allow 2 min plus 50 ms a subscriber.
    const connectStarted = now();
    const readyBy = Date.now() + 120_000 + 50 * SUBSCRIBERS;
    let shown = 0;
    while (live() < SUBSCRIBERS) {
      if (Date.now() > readyBy) throw new Error(`only ${live()} of ${SUBSCRIBERS} subscribers became live`);
      if (live() >= shown + 1000) {
        shown = live() - (live() % 1000);
        console.error(`${live()} live after ${((now() - connectStarted) / 1000).toFixed(1)} s`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const connectSeconds = (now() - connectStarted) / 1000;
    // Warm-up: a LOG line to everyone, once they are all live (not one every 500 ms to those
    // already live while the rest connect), again only should one be dropped for a lagging
    // subscriber (LOG lines are droppable).
    while (heard() < SUBSCRIBERS) {
      if (Date.now() > readyBy) throw new Error(`only ${heard()} of ${SUBSCRIBERS} subscribers heard the warm-up`);
      await publish({ type: "log", ...base, at: new Date().toISOString(), level: "info", message: "warm-up" });
      const waitUntil = Date.now() + 5_000;
      while (heard() < SUBSCRIBERS && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 100));
    }

    for (let epoch = 1; epoch <= EPOCHS; epoch++) {
      publishedAt.set(epoch, now());
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
    // Let the last event arrive everywhere before collecting: until every receipt is in, or
    // none has come for 10 s (an overloaded gateway falls seconds behind the publisher).
    const expected = SUBSCRIBERS * EPOCHS;
    const received = () => (local ? local.epochs.length : receipts.reduce((n, r) => n + r.epochs.length, 0));
    for (let last = -1, since = Date.now(); received() < expected && Date.now() - since < 10_000; ) {
      await new Promise((r) => setTimeout(r, 250));
      if (received() !== last) [last, since] = [received(), Date.now()];
    }
    if (local) receipts.push({ epochs: local.epochs, at: local.at });
    else {
      for (const w of workers) w.send({ type: "report" });
      await Promise.race([Promise.all(reported), new Promise((r) => setTimeout(r, 30_000))]);
    }

    const total: number[] = [];
    const fanout: number[] = [];
    const first = new Map<number, number>();
    const last = new Map<number, number>();
    for (const r of receipts) {
      r.epochs.forEach((epoch, k) => {
        const at = r.at[k] as number;
        const sent = publishedAt.get(epoch);
        const stored = storedAt.get(epoch);
        if (sent !== undefined) total.push(at - sent);
        if (stored !== undefined) fanout.push(at - stored);
        first.set(epoch, Math.min(first.get(epoch) ?? Infinity, at));
        last.set(epoch, Math.max(last.get(epoch) ?? -Infinity, at));
      });
    }
    const ingest = [...storedAt].flatMap(([e, at]) => {
      const sent = publishedAt.get(e);
      return sent === undefined ? [] : [at - sent];
    });
    const spread = [...first].map(([e, f]) => (last.get(e) as number) - f);
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN).toFixed(1);
    };
    const line = (xs: number[]) => `p50 ${pct(xs, 50)} ms, p99 ${pct(xs, 99)} ms, max ${pct(xs, 100)} ms`;
    console.log(
      `database: ${target.driver}; ${SUBSCRIBERS} subscribers (${WORKERS > 0 ? `${WORKERS} client processes` : "in the bench process"}) x ${EPOCHS} epoch events, ${INTERVAL_MS} ms apart`,
    );
    console.log(
      `${SUBSCRIBERS} subscribers live in ${connectSeconds.toFixed(1)} s (${(SUBSCRIBERS / connectSeconds).toFixed(0)} a second)`,
    );
    console.log(`received ${total.length} of ${expected}`);
    console.log(`publish -> receipt: ${line(total)} (target p99 <= 100 ms)`);
    console.log(`  publish -> stored and announced (ingest): ${line(ingest)}`);
    console.log(`  announced -> receipt (fan-out): ${line(fanout)}`);
    console.log(`  first -> last receipt of one event (spread): ${line(spread)}`);
    if (total.length < expected) process.exitCode = 1;
  } finally {
    await local?.dispose();
    for (const w of workers) if (w.exitCode === null) w.kill("SIGTERM");
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
}

async function startGatewayProcess(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  // FANOUT_GATEWAY_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the gateway.
  const nodeArgs = process.env.FANOUT_GATEWAY_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", "services/gateway/src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 300 s:\n${output}`)), 300_000);
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
  const listed = (await gql("{ models(first: 50) { edges { node { id name task } } } datasets { id name task } }")) as {
    models: { edges: { node: { id: string; name: string; task: string } }[] };
    datasets: { id: string; name: string; task: string }[];
  };
  const dataset = listed.datasets.find((d) => /mnist/i.test(d.name)) ?? listed.datasets[0];
  // The built-ins include text models now: the base must do the dataset's task.
  const model = listed.models.edges.find((e) => e.node.task === dataset?.task)?.node;
  if (!model || !dataset) throw new Error("the gateway seeded no built-in model or dataset");
  const created = (await gql("mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }", {
    input: { baseModelId: model.id, datasetId: dataset.id, epochs: EPOCHS, name: "fanout bench" },
  })) as { startFineTune: { id: string } };
  return created.startFineTune.id;
}

/** graphql-ws hands a socket's close event or the operation's GraphQL errors to `error`. */
function describeError(error: unknown): string {
  if (Array.isArray(error)) return error.map((e: { message?: string }) => e.message).join("; ");
  const close = error as { code?: number; reason?: string };
  if (typeof close?.code === "number") return `socket closed ${close.code} ${close.reason ?? ""}`;
  const event = error as { message?: string; error?: unknown };
  return event?.message ?? String(event?.error ?? error);
}

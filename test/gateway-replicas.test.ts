import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { encodeMessage, runEventsSubject } from "@graft/contracts";
import { createDatabase, projects, runEpochs } from "@graft/db";
import { createTestDatabaseTarget, describeEachDriver } from "@graft/db/testing";
import { events, seedRun } from "@graft/gateway/testing";
import { startNatsServer } from "@graft/natsd";
import { waitFor } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { eq } from "drizzle-orm";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const root = new URL("..", import.meta.url).pathname;
const API_KEY = "graft_replicas_test_key_0123456789abcdef";

/** A gateway as its own process (`tsx services/gateway/src/main.ts`); resolves with its GraphQL URL. */
async function startReplica(
  env: Record<string, string>,
): Promise<{ url: string; child: ChildProcess; output: string[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/gateway/src/main.ts"], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  child.stderr?.on("data", (d: Buffer) => output.push(d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in 180 s:\n${output.join("")}`)), 180_000);
    child.stdout?.on("data", (d: Buffer) => {
      output.push(d.toString());
      const match = /GraphQL: (\S+)/.exec(output.join(""));
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before it was ready:\n${output.join("")}`));
    });
  });
  return { url, child, output };
}

async function stopReplica(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

const SUBSCRIPTION = `subscription ($runId: ID!) {
  runEvents(runId: $runId) { kind status attempt message at epoch { epoch attempt loss valAccuracy } }
}`;

type Received = { kind: string; status: string; attempt: number | null; message: string | null; epoch: unknown };

describeEachDriver(
  () => {
    // Two processes cannot share a PGlite database: this needs PostgreSQL.
    test("two gateway replicas on one NATS and PostgreSQL each feed their own subscribers the same stored run events", async () => {
      const nats = await startNatsServer();
      const target = await createTestDatabaseTarget("postgres");
      const home = await mkdtemp(join(tmpdir(), "graft-replicas-"));
      const replicas: ChildProcess[] = [];
      const clients: ReturnType<typeof createClient>[] = [];
      const trainerNc = await connect({ servers: nats.url });
      try {
        const env = (name: string) => ({
          GRAFT_HOME: join(home, name),
          GATEWAY_PORT: "0",
          NATS_URL: nats.url,
          DATABASE_URL: target.databaseUrl ?? "",
          GRAFT_BOOTSTRAP_KEY: API_KEY,
          GRAFT_JOIN_TOKEN: "graft_join_replicas_test_0123456789",
        });
        // One after the other: this test is about events, not about racing start-up seeding.
        const a = await startReplica(env("a"));
        replicas.push(a.child);
        const b = await startReplica(env("b"));
        replicas.push(b.child);

        const database = await createDatabase({ url: target.databaseUrl });
        const [project] = await database.db.select().from(projects).where(eq(projects.name, "default"));
        assert.ok(project, "the gateway bootstrapped project `default`");
        const s = await seedRun(database.db, { projectId: project.id });

        const received: Received[][] = [[], []];
        for (const [i, url] of [a.url, b.url].entries()) {
          const client = createClient({
            url: url.replace(/^http/, "ws"),
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${API_KEY}` },
          });
          clients.push(client);
          client.subscribe<{ runEvents: Received }>(
            { query: SUBSCRIPTION, variables: { runId: s.runId } },
            {
              next: (r) => {
                if (r.errors) received[i]?.push({ kind: "ERROR", status: JSON.stringify(r.errors) } as Received);
                if (r.data) received[i]?.push(r.data.runEvents);
              },
              error: (e) => received[i]?.push({ kind: "ERROR", status: String(e) } as Received),
              complete: () => {},
            },
          );
        }

        // A third process (this one) plays the trainer. Log lines until both subscriptions are live.
        const js = jetstream(trainerNc);
        const e = events(s);
        const publish = (event: ReturnType<typeof e.epoch>) =>
          js.publish(runEventsSubject(s.runId), encodeMessage(event));
        await waitFor(
          "both replicas' subscribers to hear a log line",
          async () => {
            await publish(e.log("ping"));
            await new Promise((r) => setTimeout(r, 200));
            return received.every((r) => r.some((x) => x.kind === "LOG"));
          },
          { timeoutMs: 30_000 },
        );
        assert.ok(!received.flat().some((r) => r.kind === "ERROR"), JSON.stringify(received));
        for (const event of [e.assigned(), e.started(), e.epoch(1), e.epoch(2), e.succeeded()]) await publish(event);
        // Each subscription opens with a snapshot of the run as that replica read it (its own
        // moment), then the live events, which both replicas must hear alike.
        for (const r of received) assert.deepEqual([r[0]?.kind, r[0]?.status], ["STATUS", "QUEUED"]);
        const meaningful = (i: number) => (received[i] ?? []).slice(1).filter((r) => r.kind !== "LOG");
        await waitFor("five events on both replicas", () => meaningful(0).length >= 5 && meaningful(1).length >= 5, {
          timeoutMs: 30_000,
        });
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(meaningful(0), meaningful(1));
        // The replicas share the ingest consumer, so one run's events may be stored out of order;
        // every subscriber hears the same stored sequence, whatever that order was.
        const kinds = meaningful(0).map((r) => r.kind);
        assert.deepEqual([...kinds].sort(), ["EPOCH", "EPOCH", "STATUS", "STATUS", "STATUS"]);
        assert.ok(meaningful(0).some((r) => r.kind === "STATUS" && r.status === "SUCCEEDED"));
        const epochs = meaningful(0).flatMap((r) => (r.epoch ? [r.epoch as { epoch: number }] : []));
        epochs.sort((x, y) => x.epoch - y.epoch);
        assert.deepEqual(epochs[0], { epoch: 1, attempt: 1, loss: 1, valAccuracy: 0.41000000000000003 });
        const stored = await database.db.select().from(runEpochs).where(eq(runEpochs.runId, s.runId));
        assert.equal(stored.length, 2, "the shared ingest consumer stored each epoch once");
        await database.close();
      } finally {
        for (const c of clients) await c.dispose();
        await trainerNc.close();
        for (const r of replicas) await stopReplica(r);
        await nats.stop();
        await target.cleanup();
        await rm(home, { recursive: true, force: true });
      }
    });
  },
  { drivers: ["postgres"] },
);

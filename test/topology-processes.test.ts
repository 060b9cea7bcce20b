// The docker-compose topology without Docker: one nats-server, one PostgreSQL database, two
// gateway processes and two trainer processes. A fine-tune submitted through gateway A is
// followed to the end through gateway B's subscription, by the CLI.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { createTestDatabaseTarget, describeEachDriver, type TestDatabaseTarget } from "@graft/db/testing";
import { type NatsServer, natsAuthFile, startNatsServer } from "@graft/natsd";
import { graft } from "./support/cli.ts";
import { startTrainerProcess, stopTrainers, type TrainerProcess } from "./support/trainer.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface GatewayProcess {
  child: ChildProcess;
  url: string;
  output(): string;
}

async function startGatewayProcess(env: Record<string, string>, name: string): Promise<GatewayProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "services/gateway/src/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} printed no GraphQL URL in 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (process.env.GRAFT_TEST_ECHO === "1") process.stderr.write(`[${name}] ${chunk}`);
      const match = /^GraphQL: (\S+)$/m.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, url, output: () => output };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

describeEachDriver(
  () => {
    let nats: NatsServer | undefined;
    let database: TestDatabaseTarget | undefined;
    const gateways: GatewayProcess[] = [];
    const trainers: TrainerProcess[] = [];
    const homes: string[] = [];
    const apiKey = `graft_${randomBytes(24).toString("base64url")}`;
    const joinToken = `graftjoin_${randomBytes(24).toString("base64url")}`;

    before(async () => {
      nats = await startNatsServer();
      database = await createTestDatabaseTarget("postgres");
      assert.ok(database.databaseUrl, "a PostgreSQL database for the topology");
      // One after the other: the first migrates and seeds, the second finds everything in place.
      for (const name of ["gateway-a", "gateway-b"]) {
        const home = mkdtempSync(join(tmpdir(), `graft-${name}-`));
        homes.push(home);
        // Replicas of one deployment share the NATS operator's keys (GRAFT_HOME/nats-auth.json).
        writeFileSync(natsAuthFile(home), JSON.stringify(nats.auth), { mode: 0o600 });
        const env = {
          GRAFT_HOME: home,
          GATEWAY_PORT: "0",
          NATS_URL: nats.url,
          DATABASE_URL: database.databaseUrl,
          GRAFT_BOOTSTRAP_KEY: apiKey,
          GRAFT_JOIN_TOKEN: joinToken,
        };
        gateways.push(await startGatewayProcess(env, name));
      }
      // Each trainer joins through a different gateway, as trainers behind a load balancer would.
      for (const [i, gateway] of gateways.entries()) {
        const trainer = startTrainerProcess({
          gatewayUrl: gateway.url,
          natsUrl: nats.url,
          joinToken,
          name: `topo-${i + 1}`,
        });
        trainers.push(trainer);
        await trainer.waitForOutput(new RegExp(`^Trainer topo-${i + 1} \\(.+\\) on backend`), 120_000);
      }
    });

    after(async () => {
      await stopTrainers(trainers);
      for (const gateway of [...gateways].reverse()) await stopProcess(gateway.child);
      await database?.cleanup();
      await nats?.stop();
      for (const home of homes) rmSync(home, { recursive: true, force: true });
    });

    test("two gateways and two trainers share one NATS and one PostgreSQL", async () => {
      const [a, b] = gateways;
      assert.ok(a && b);
      const viaB = await graft(["trainers", "list", "--json"], { GRAFT_URL: b.url, GRAFT_API_KEY: apiKey });
      assert.equal(viaB.code, 0, viaB.stderr);
      const names = (JSON.parse(viaB.stdout) as { name: string }[]).map((t) => t.name).sort();
      assert.deepEqual(names, ["topo-1", "topo-2"], "gateway B sees the trainer that joined through A");
      const modelsA = await graft(["models", "list", "--json"], { GRAFT_URL: a.url, GRAFT_API_KEY: apiKey });
      const builtins = (JSON.parse(modelsA.stdout) as { name: string }[]).filter((m) => m.name === "digits-cnn");
      assert.equal(builtins.length, 1, "two gateways seeding at once leave one built-in row");
    });

    test("a fine-tune submitted to gateway A finishes, watched live through gateway B", async () => {
      const [a, b] = gateways;
      assert.ok(a && b);
      const started = await graft(
        [
          "finetune",
          "--base",
          "digits-cnn",
          "--dataset",
          "mnist-5-9",
          "--epochs",
          "2",
          "--max-samples",
          "200",
          "--json",
        ],
        { GRAFT_URL: a.url, GRAFT_API_KEY: apiKey },
      );
      assert.equal(started.code, 0, started.stderr);
      const runId = (JSON.parse(started.stdout) as { id: string }).id;

      const watched = await graft(["runs", "watch", runId, "--json"], { GRAFT_URL: b.url, GRAFT_API_KEY: apiKey });
      assert.equal(watched.code, 0, `${watched.stdout}\n${watched.stderr}`);
      const lines = watched.stdout
        .trim()
        .split("\n")
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              epoch?: number;
              run?: { status: string; trainer: { name: string } | null };
            },
        );
      assert.deepEqual(
        lines.filter((l) => l.type === "epoch").map((l) => l.epoch),
        [1, 2],
      );
      const final = lines.at(-1)?.run;
      assert.equal(final?.status, "SUCCEEDED");
      assert.match(final?.trainer?.name ?? "", /^topo-[12]$/);

      const viaA = await graft(["runs", "show", runId, "--json"], { GRAFT_URL: a.url, GRAFT_API_KEY: apiKey });
      const run = JSON.parse(viaA.stdout) as { status: string; epochs: { epoch: number }[] };
      assert.equal(run.status, "SUCCEEDED");
      assert.deepEqual(
        run.epochs.map((e) => e.epoch),
        [1, 2],
        "every epoch stored exactly once though two gateways consume events",
      );
    });
  },
  { drivers: ["postgres"] },
);

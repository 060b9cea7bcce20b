import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import type { BuiltinModelKey } from "@graft/catalog";
import { freePort, type NatsServer, startNatsServer } from "@graft/natsd";
import { waitFor } from "@graft/testkit";
import { type GatewayProcess, startGatewayProcess, stopGatewayProcess } from "./gateway-process.ts";
import type { PrivatePostgres } from "./private-postgres.ts";
import { PLATFORM_WAIT } from "./stack.ts";
import {
  builtinIds,
  graphql,
  type RunView,
  startTrainerProcess,
  stopTrainers,
  type TrainerProcess,
} from "./trainer.ts";

/**
 * The platform as separate processes, for fault injection: a nats-server with a file store
 * (restartable on the same store), a gateway process on a fixed port (kill -9 and start it
 * again: same URL, same PGlite dir or PostgreSQL), and trainer processes. Production
 * settings where they matter: the default 30 s ack wait, so a job only comes back early
 * when the gateway hands it back.
 */
export interface ChaosStack {
  ready: Promise<void>;
  nats: NatsServer;
  gateway: GatewayProcess;
  ids: { digitsCnn: string; mnist59: string };
  trainer(name: string): TrainerProcess & { id: string };
  startTrainer(name: string): Promise<TrainerProcess & { id: string }>;
  /** Starts a new gateway process on the same port and database (after a kill). */
  restartGateway(): Promise<GatewayProcess>;
  /** Stops nats-server, leaves it down `downMs`, and starts it again on the same port and store. */
  restartNats(downMs: number): Promise<void>;
  /** Output of every gateway process of the stack, in order. */
  gatewayLog(): string;
}

/** A trainer silent this long is OFFLINE and its runs are handed back (trainers beat every second). */
export const CHAOS_OFFLINE_AFTER_MS = 5_000;

export interface ChaosOptions {
  trainers: string[];
  /** Run the gateway on this PostgreSQL instead of PGlite. */
  postgres?: () => Promise<PrivatePostgres>;
  /** Echo every process's output to stderr. @default GRAFT_TEST_ECHO=1 */
  echo?: boolean;
  /** @default CHAOS_OFFLINE_AFTER_MS */
  offlineAfterMs?: number;
  /** Trainers' heartbeat interval. @default 1000 */
  heartbeatMs?: number;
  /** Built-in base models the gateway seeds. @default ["digits-cnn"] */
  builtinModels?: BuiltinModelKey[];
}

/** The stack for one test file: started in a `before` hook, stopped in `after`. */
export function withChaosStack(options: ChaosOptions): ChaosStack & { postgres(): PrivatePostgres | undefined } {
  let running: RunningChaosStack | undefined;
  let resolveReady: (p: Promise<void>) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });
  ready.catch(() => {});
  before(async () => {
    const starting = startChaosStack(options).then((s) => {
      running = s;
    });
    resolveReady(starting);
    await starting;
  });
  after(async () => {
    await running?.stop();
  });
  const r = () => required(running, "the stack");
  return {
    ready,
    get nats() {
      return r().nats;
    },
    get gateway() {
      return r().gateway;
    },
    get ids() {
      return r().ids;
    },
    postgres: () => r().postgres(),
    trainer: (name) => r().trainer(name),
    startTrainer: (name) => r().startTrainer(name),
    restartGateway: () => r().restartGateway(),
    restartNats: (downMs) => r().restartNats(downMs),
    gatewayLog: () => r().gatewayLog(),
  };
}

export interface RunningChaosStack extends Omit<ChaosStack, "ready"> {
  postgres(): PrivatePostgres | undefined;
  stop(): Promise<void>;
}

/** Starts the stack (bench/failover.bench.ts uses this directly); `stop()` ends every process. */
export async function startChaosStack(options: ChaosOptions): Promise<RunningChaosStack> {
  const echo = options.echo ?? process.env.GRAFT_TEST_ECHO === "1";
  let nats: NatsServer | undefined;
  let gateway: GatewayProcess | undefined;
  let postgres: PrivatePostgres | undefined;
  let ids: ChaosStack["ids"] | undefined;
  const previousLogs: string[] = [];
  const started: TrainerProcess[] = [];
  const current = new Map<string, TrainerProcess & { id: string }>();
  const secrets = {
    bootstrapKey: `graft_${randomBytes(24).toString("base64url")}`,
    joinToken: `graftjoin_${randomBytes(24).toString("base64url")}`,
  };
  const home = mkdtempSync(join(tmpdir(), "graft-chaos-"));
  let port = 0;

  const launchGateway = async () => {
    gateway = await startGatewayProcess(
      {
        port,
        natsUrl: required(nats, "nats").url,
        natsAuth: required(nats, "nats").auth,
        ...(postgres ? { databaseUrl: postgres.databaseUrl } : { pgliteDir: join(home, "pglite") }),
        builtinModels: options.builtinModels ?? ["digits-cnn"],
        trainerOfflineAfterMs: options.offlineAfterMs ?? CHAOS_OFFLINE_AFTER_MS,
        ...secrets,
      },
      "gateway",
      echo,
    );
    return gateway;
  };

  const stop = async () => {
    await stopTrainers(started);
    if (gateway) await stopGatewayProcess(gateway);
    postgres?.remove();
    await nats?.stop();
    rmSync(home, { recursive: true, force: true });
  };

  const stack: RunningChaosStack = {
    get nats() {
      return required(nats, "nats");
    },
    get gateway() {
      return required(gateway, "gateway");
    },
    get ids() {
      return required(ids, "ids");
    },
    postgres: () => postgres,
    trainer(name) {
      return required(current.get(name), `trainer ${name}`);
    },
    async startTrainer(name) {
      const child = startTrainerProcess({
        gatewayUrl: stack.gateway.url,
        natsUrl: stack.nats.url,
        joinToken: secrets.joinToken,
        name,
        env: { TRAINER_HEARTBEAT_MS: String(options.heartbeatMs ?? 1_000) },
        echo,
      });
      started.push(child);
      const line = await child.waitForOutput(/^Trainer \S+ \((.+)\) on backend \S+/, 120_000);
      const trainer = Object.assign(child, { id: /\((.+)\) on backend/.exec(line)?.[1] ?? "" });
      current.set(name, trainer);
      return trainer;
    },
    async restartGateway() {
      if (gateway) previousLogs.push(gateway.output());
      return await launchGateway();
    },
    async restartNats(downMs) {
      const old = stack.nats;
      await old.stop();
      await new Promise((r) => setTimeout(r, downMs));
      nats = await old.restart();
    },
    gatewayLog: () => [...previousLogs, gateway?.output() ?? ""].join("\n"),
    stop,
  };

  try {
    nats = await startNatsServer({ storeDir: join(home, "nats") });
    if (options.postgres) postgres = await options.postgres();
    port = await freePort();
    await launchGateway();
    ids = await builtinIds(stack.gateway);
    await Promise.all(options.trainers.map((name) => stack.startTrainer(name)));
  } catch (error) {
    await stop();
    throw error;
  }
  return stack;
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`chaos stack: ${what} is not running (await stack.ready in before hooks)`);
  return value;
}

/**
 * The run's promise: every epoch 1..N stored exactly once, and every epoch after the last
 * attempt's resume point stored by that attempt (a superseded holder got nothing in).
 */
export function assertEpochsExactlyOnce(run: RunView, epochs: number): void {
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    Array.from({ length: epochs }, (_, i) => i + 1),
    `epochs of run ${run.id}`,
  );
  const attempts = new Set(run.attempts.map((a) => a.attempt));
  for (const e of run.epochs) assert.ok(attempts.has(e.attempt), `epoch ${e.epoch} names attempt ${e.attempt}`);
  const last = run.attempts.find((a) => a.attempt === run.attemptCount);
  assert.ok(last, `run ${run.id} has its attempt ${run.attemptCount}`);
  for (const e of run.epochs.filter((e) => e.epoch > last.resumedFromEpoch)) {
    assert.equal(e.attempt, last.attempt, `epoch ${e.epoch} after the resume point is the last attempt's`);
  }
}

/** Waits until `names` are IDLE (a restarted gateway or NATS needs a heartbeat or two to know). */
export async function waitForIdle(gateway: { url: string; apiKey: string }, names: string[]): Promise<void> {
  await waitFor(
    `${names.join(", ")} to be idle`,
    async () => {
      const { trainers } = await graphql<{ trainers: { name: string; status: string }[] }>(
        gateway,
        "{ trainers { name status } }",
      );
      return names.every((n) => trainers.some((t) => t.name === n && t.status === "IDLE"));
    },
    PLATFORM_WAIT,
  );
}

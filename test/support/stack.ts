import { after, before } from "node:test";
import type { BuiltinModelKey } from "@graft/catalog";
import { createTestDatabaseTarget, type TestDatabaseTarget } from "@graft/db/testing";
import { type Gateway, startGateway } from "@graft/gateway";
import { type NatsServer, startNatsServer } from "@graft/natsd";
import { builtinIds, startTrainerProcess, stopTrainers, type TrainerProcess } from "./trainer.ts";

/**
 * Shorter ack wait for tests: a killed trainer's job comes back after 12 s instead of 30 s.
 * Not shorter: on a box with many busy processes, TensorFlow's synchronous stretches can
 * starve in-progress acks for seconds, and a live trainer would lose its job.
 */
export const TEST_ACK_WAIT_MS = 12_000;

/** The stack's gateway marks a trainer OFFLINE after this long without a heartbeat. */
export const TEST_OFFLINE_AFTER_MS = 6_000;

/** Waiting on a condition across processes: generous, for a loaded 2-core machine. */
export const PLATFORM_WAIT = { timeoutMs: 60_000, intervalMs: 250 } as const;

/** A trainer process of the stack, with the id it registered under. */
export interface StackTrainer extends TrainerProcess {
  id: string;
}

export interface Stack {
  /**
   * Resolves once the stack runs. Node 20 starts a file's root-level before() hooks together,
   * so a hook of the test file that uses the stack awaits this first.
   */
  ready: Promise<void>;
  nats: NatsServer;
  gateway: Gateway;
  /** The built-in base model and dataset the trainer tests fine-tune. */
  ids: { digitsCnn: string; mnist59: string };
  /** Environment for trainers of this stack (short ack wait and heartbeat). */
  trainerEnv: Record<string, string>;
  /** The running trainer called `name` (the last one started under that name). */
  trainer(name: string): StackTrainer;
  /** Starts a trainer and resolves once it has registered and printed its backend. */
  startTrainer(name: string, options?: { pool?: string; env?: Record<string, string> }): Promise<StackTrainer>;
}

/**
 * The whole platform for one test file, started in a `before` hook and stopped in `after`:
 * a nats-server, a gateway on PGlite with the built-in datasets and digits-cnn (or the given
 * `builtinModels`) seeded, and the
 * named trainers as child processes (so `kill -9` is a real crash), each registered before
 * the first test runs. Trainer-level tests are not database-sensitive (the database suites
 * run on every driver), so the stack uses PGlite, as `npm start` does.
 *
 *   const stack = withStack({ trainers: ["alpha"] });
 *   test("...", async () => { await startFineTune(stack.gateway, ...); stack.trainer("alpha").output(); });
 */
export function withStack(options: { trainers?: string[]; builtinModels?: BuiltinModelKey[] } = {}): Stack {
  let state: RunningStack | undefined;
  let started: (value: Promise<void>) => void = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  // A failed start fails the before() hook below; this only keeps an unawaited `ready` quiet.
  ready.catch(() => {});
  before(async () => {
    const starting = (async () => {
      state = await startStack(options.builtinModels ?? ["digits-cnn"]);
      await Promise.all((options.trainers ?? []).map((name) => state?.startTrainer(name)));
    })();
    started(starting);
    await starting;
  });
  after(async () => {
    await state?.stop();
  });
  const running = (): RunningStack => {
    if (state === undefined) {
      throw new Error(
        "withStack: the stack is not running yet (a before() hook that uses it must `await stack.ready`)",
      );
    }
    return state;
  };
  return {
    ready,
    get nats() {
      return running().nats;
    },
    get gateway() {
      return running().gateway;
    },
    get ids() {
      return running().ids;
    },
    get trainerEnv() {
      return running().trainerEnv;
    },
    trainer: (name) => running().trainer(name),
    startTrainer: (name, trainerOptions) => running().startTrainer(name, trainerOptions),
  };
}

interface RunningStack extends Omit<Stack, "ready"> {
  stop(): Promise<void>;
}

async function startStack(builtinModels: BuiltinModelKey[]): Promise<RunningStack> {
  const nats = await startNatsServer();
  let target: TestDatabaseTarget | undefined;
  let gateway: Gateway;
  try {
    target = await createTestDatabaseTarget("pglite");
    gateway = await startGateway({
      port: 0,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      jobAckWaitMs: TEST_ACK_WAIT_MS,
      pgliteDir: target.pgliteDir,
      builtinModels,
      memoryStorage: true,
      trainerOfflineAfterMs: TEST_OFFLINE_AFTER_MS,
    });
  } catch (error) {
    await target?.cleanup();
    await nats.stop();
    throw error;
  }
  // The ack wait is the gateway's (it makes the pools' consumers); trainers read it from there.
  const trainerEnv = { TRAINER_HEARTBEAT_MS: "1000" };
  const started: TrainerProcess[] = [];
  const current = new Map<string, StackTrainer>();
  try {
    const ids = await builtinIds(gateway);
    return {
      nats,
      gateway,
      ids,
      trainerEnv,
      trainer(name) {
        const trainer = current.get(name);
        if (trainer === undefined) throw new Error(`no trainer ${name} was started in this stack`);
        return trainer;
      },
      async startTrainer(name, trainerOptions = {}) {
        const child = startTrainerProcess({
          gatewayUrl: gateway.url,
          natsUrl: nats.url,
          joinToken: gateway.joinToken,
          name,
          pool: trainerOptions.pool,
          env: { ...trainerEnv, ...trainerOptions.env },
          echo: process.env.GRAFT_TEST_ECHO === "1",
        });
        started.push(child);
        // Loading TensorFlow.js and registering took over 60 s on a 2-core machine at load 20.
        const line = await child.waitForOutput(
          new RegExp(`^Trainer ${escapeRegExp(name)} \\((.+)\\) on backend \\S+`),
          180_000,
        );
        const id = /\((.+)\) on backend/.exec(line)?.[1] ?? "";
        const trainer: StackTrainer = Object.assign(child, { id });
        current.set(name, trainer);
        return trainer;
      },
      async stop() {
        await stopTrainers(started);
        await gateway.stop();
        await target?.cleanup();
        await nats.stop();
      },
    };
  } catch (error) {
    await gateway.stop();
    await target.cleanup();
    await nats.stop();
    throw error;
  }
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

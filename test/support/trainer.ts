import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { GraftFetcher } from "@graft/client";
import { waitFor } from "@graft/testkit";

/**
 * Test helpers for trainer nodes: a real trainer as a child process (so `kill -9` is a real
 * crash), and a tiny GraphQL client for driving the gateway the way users do. The whole
 * platform for a test file is `withStack()` in stack.ts.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The trainer's own bin (`graft-trainer`), as the CLI's `graft trainer start` runs it. */
const TRAINER_BIN = fileURLToPath(import.meta.resolve("@graft/trainer/bin"));
/** Trainers' state dirs (outbox, token, feature cache) for this test process; removed when it exits. */
const TRAINER_STATE_ROOT = join(tmpdir(), `graft-test-trainers-${process.pid}`);
let removeStateOnExit = false;

export interface TrainerProcessOptions {
  gatewayUrl: string;
  natsUrl: string;
  joinToken: string;
  name: string;
  /** @default "default" */
  pool?: string;
  /** Extra environment (TRAINER_JOB_ACK_WAIT_MS, TRAINER_HEARTBEAT_MS, ...). */
  env?: Record<string, string>;
  /** Echo the trainer's output to the test's stderr (handy when a test fails). @default false */
  echo?: boolean;
}

export interface TrainerProcess {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  /** Exit code; 128 + signal number when killed by a signal. */
  stopped: Promise<number>;
  output(): string;
  /** Resolves with the first output line matching `pattern`, or rejects after `timeoutMs` showing the output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

export function startTrainerProcess(options: TrainerProcessOptions): TrainerProcess {
  if (!removeStateOnExit) {
    removeStateOnExit = true;
    process.once("exit", () => rmSync(TRAINER_STATE_ROOT, { recursive: true, force: true }));
  }
  const child: ChildProcess = spawn(process.execPath, [TRAINER_BIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      GATEWAY_URL: options.gatewayUrl,
      NATS_URL: options.natsUrl,
      GRAFT_JOIN_TOKEN: options.joinToken,
      TRAINER_NAME: options.name,
      TRAINER_POOL: options.pool ?? "default",
      // One state dir per trainer name and test process: a restarted trainer finds its outbox,
      // and test files running side by side never share one.
      TRAINER_STATE_DIR: join(TRAINER_STATE_ROOT, options.name),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    if (options.echo) process.stderr.write(`[${options.name}] ${chunk}`);
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const stopped = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
      for (const listener of listeners) listener();
    });
  });
  if (child.pid === undefined) throw new Error(`could not start the trainer ${options.name}`);

  return {
    pid: child.pid,
    kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    stopped,
    output: () => output,
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.split("\n").find((l) => pattern.test(l));
          if (line !== undefined) return finish(() => resolve(line));
          if (child.exitCode !== null || child.signalCode !== null) {
            finish(() => reject(new Error(`trainer ${options.name} exited before printing ${pattern}:\n${output}`)));
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(new Error(`trainer ${options.name} printed no ${pattern} in ${timeoutMs} ms:\n${output}`)),
            ),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Stops trainers: SIGTERM, then SIGKILL for any still alive after `graceMs`. */
export async function stopTrainers(trainers: TrainerProcess[], graceMs = 15_000): Promise<void> {
  for (const trainer of trainers) trainer.kill("SIGTERM");
  await Promise.all(
    trainers.map(async (trainer) => {
      const timer = setTimeout(() => trainer.kill("SIGKILL"), graceMs);
      await trainer.stopped;
      clearTimeout(timer);
    }),
  );
}

/** A gateway to talk to: in-process (`Gateway`) or a process of a chaos stack. */
export type GatewayRef = { url: string; apiKey: string };

/** POSTs one GraphQL operation with the API key through @graft/client; returns `data` or throws GraftApiError. */
export function graphql<T = Record<string, unknown>>(
  gateway: GatewayRef,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<T> {
  return new GraftFetcher({ url: gateway.url, apiKey: gateway.apiKey, timeoutMs: null }).request<T, unknown>(
    query,
    variables,
  );
}

/** The ids of the built-ins most tests train with: digits-cnn and the MNIST 5-9 dataset. */
export async function builtinIds(gateway: GatewayRef): Promise<{ digitsCnn: string; mnist59: string }> {
  const data = await graphql<{
    models: { edges: { node: { id: string; name: string } }[] };
    datasets: { id: string; name: string }[];
  }>(gateway, "{ models(first: 50) { edges { node { id name } } } datasets { id name } }");
  const digitsCnn = data.models.edges.find((e) => e.node.name === "digits-cnn")?.node.id;
  const mnist59 = data.datasets.find((d) => d.name === "MNIST 5-9")?.id;
  if (!digitsCnn || !mnist59) throw new Error(`built-ins not seeded: ${JSON.stringify(data)}`);
  return { digitsCnn, mnist59 };
}

export const RUN_FIELDS = `id status attemptCount trainingPath
  trainer { id name }
  epochs { epoch attempt loss accuracy valAccuracy }
  attempts { attempt status resumedFromEpoch error trainer { name } }
  error { code message }
  outputModel { id kind verifiedLineage parent { id } layers { name trainable weightHash } }`;

export interface RunView {
  id: string;
  status: string;
  attemptCount: number;
  trainingPath: string | null;
  trainer: { id: string; name: string } | null;
  epochs: { epoch: number; attempt: number; loss: number; accuracy: number | null; valAccuracy: number | null }[];
  attempts: {
    attempt: number;
    status: string;
    resumedFromEpoch: number;
    error: string | null;
    trainer: { name: string } | null;
  }[];
  error: { code: string; message: string } | null;
  outputModel: {
    id: string;
    kind: string;
    verifiedLineage: boolean | null;
    parent: { id: string } | null;
    layers: { name: string; trainable: boolean; weightHash: string | null }[];
  } | null;
}

export async function startFineTune(gateway: GatewayRef, input: Record<string, unknown>): Promise<RunView> {
  const data = await graphql<{ startFineTune: RunView }>(
    gateway,
    `mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { ${RUN_FIELDS} } }`,
    { input },
  );
  return data.startFineTune;
}

export async function getRun(gateway: GatewayRef, id: string): Promise<RunView> {
  const data = await graphql<{ run: RunView | null }>(gateway, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, {
    id,
  });
  if (!data.run) throw new Error(`run ${id} not found`);
  return data.run;
}

const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** Waits until the run has ended and returns it. */
export async function waitForRunEnd(gateway: GatewayRef, id: string, timeoutMs = 120_000): Promise<RunView> {
  return await waitFor(
    `run ${id} to end`,
    async () => {
      const run = await getRun(gateway, id);
      return TERMINAL.has(run.status) ? run : undefined;
    },
    { timeoutMs, intervalMs: 500 },
  );
}

/**
 * A StartFineTuneInput that trains in seconds: `epochs` 2 on 200 samples of `datasetId`,
 * every base layer frozen (the feature cache path); `overrides` win.
 */
export function fineTuneInput(
  ids: { digitsCnn: string; mnist59: string },
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    baseModelId: ids.digitsCnn,
    datasetId: ids.mnist59,
    epochs: 2,
    batchSize: 32,
    maxSamples: 200,
    freeze: { strategy: "ALL_BASE" },
    ...overrides,
  };
}

import { tmpdir } from "node:os";
import { join } from "node:path";
import { readEnv } from "./env.ts";
import { startTrainerNode } from "./node/node.ts";

/**
 * `graft-trainer` (bin/graft-trainer.mjs) and `npm run trainer`: one trainer node configured
 * from the environment. SIGTERM/SIGINT stop it gracefully (running jobs finish their epoch and
 * go back to the pool); a second signal exits at once.
 */
const log = (line: string) => console.log(`[trainer] ${line}`);

/** A trainer name as one safe path segment. */
const stateDirName = (name: string) => name.replace(/[^A-Za-z0-9_.-]/g, "_").replace(/^\.+/, "_");

async function main(): Promise<number> {
  const env = readEnv();
  const stateDir = env.TRAINER_STATE_DIR ?? join(tmpdir(), "graft-trainer", stateDirName(env.TRAINER_NAME));
  const node = await startTrainerNode({
    gatewayUrl: env.GATEWAY_URL,
    natsUrl: env.NATS_URL,
    joinToken: env.GRAFT_JOIN_TOKEN,
    name: env.TRAINER_NAME,
    pool: env.TRAINER_POOL,
    labels: env.TRAINER_LABELS,
    maxConcurrentRuns: env.TRAINER_MAX_CONCURRENT_RUNS,
    backend: env.TRAINER_BACKEND,
    heartbeatMs: env.TRAINER_HEARTBEAT_MS,
    ...(env.TRAINER_JOB_ACK_WAIT_MS ? { jobAckWaitMs: env.TRAINER_JOB_ACK_WAIT_MS } : {}),
    outboxDir: join(stateDir, "outbox"),
    identityFile: join(stateDir, "trainer-token"),
    ...(env.TRAINER_FEATURE_CACHE_MB > 0
      ? { featureCache: { dir: join(stateDir, "feature-cache"), maxBytes: env.TRAINER_FEATURE_CACHE_MB * 1024 ** 2 } }
      : {}),
    log,
  });
  console.log(`Trainer ${node.name} (${node.id}) on backend ${node.backend}`);

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      log(`${signal} again: exiting now`);
      process.exit(1);
    }
    log(`${signal}: finishing the current epoch, then leaving (at most ${env.TRAINER_STOP_GRACE_MS} ms)`);
    void node.stop();
    // Bounded even mid-epoch or with NATS gone: end the training threads, then leave.
    setTimeout(() => {
      log("stop grace over: ending training now; the jobs resume elsewhere from their checkpoints");
      const exit = setTimeout(() => process.exit(1), 5_000);
      void node.terminate().finally(() => {
        clearTimeout(exit);
        process.exit(1);
      });
    }, env.TRAINER_STOP_GRACE_MS).unref();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  await node.closed;
  return 0;
}

// A job's stray rejection is logged, never fatal: other runs on this node keep going.
process.on("unhandledRejection", (reason) =>
  log(`unhandled rejection: ${reason instanceof Error ? reason.stack : reason}`),
);

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`[trainer] ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    process.exit(1);
  },
);

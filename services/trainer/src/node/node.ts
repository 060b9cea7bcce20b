import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { cpus, hostname, totalmem } from "node:os";
import { dirname } from "node:path";
import {
  DEFAULT_JOB_ACK_WAIT_MS,
  JOBS_STREAM,
  jobsConsumerName,
  type TrainerStatus,
  trainerControlSchema,
  trainerControlSubject,
  trainerEventsWildcard,
  trainerInboxPrefix,
} from "@graft/contracts";
import { jetstream } from "@nats-io/jetstream";
import { connect, credsAuthenticator } from "@nats-io/transport-node";
import { type Engine, inProcessEngine } from "./engine-port.ts";
import { gatewayArtifactStore } from "./gateway-artifacts.ts";
import { startHeartbeats } from "./heartbeat.ts";
import { startJobWorker } from "./job-worker.ts";
import { Outbox } from "./outbox.ts";
import { registerTrainer } from "./register.ts";
import { threadedEngine } from "./training-thread.ts";

export interface TrainerNodeConfig {
  /** GraphQL endpoint of the gateway, e.g. http://127.0.0.1:4000/graphql. */
  gatewayUrl: string;
  natsUrl: string;
  /** Buys this node's own NATS credentials (and nothing else) at registration. */
  joinToken: string;
  /** @default `${hostname}-${pid}` */
  name?: string;
  /** @default "default" */
  pool?: string;
  labels?: string[];
  /** @default 1 */
  maxConcurrentRuns?: number;
  /** Force a TensorFlow backend ("tensorflow-gpu" | "tensorflow" | "wasm" | "cpu"); the engine picks when unset. */
  backend?: string;
  /** @default 2_000 */
  heartbeatMs?: number;
  /** Must equal the jobs consumer's ack wait (the gateway sets it). @default read from the consumer */
  jobAckWaitMs?: number;
  /** How long to keep retrying registration while the gateway is not up. @default 120_000 */
  registerDeadlineMs?: number;
  /**
   * Directory of this trainer's outbox: epochs and outcomes wait there, on disk, until
   * JetStream acknowledges them, and a restarted trainer of the same name sends what its
   * predecessor could not. Unset: events are published directly (retried for a few seconds).
   */
  outboxDir?: string;
  /**
   * File (mode 0600) where this node keeps the token of its last registration, so that a
   * restarted node may replace its own registration while that is still live. Unset: not
   * kept (a restart then waits until the old registration is OFFLINE).
   */
  identityFile?: string;
  /**
   * Where frozen fine-tunes keep extracted features across runs (see the engine's
   * FeatureCache), at most `maxBytes`. Unset: every run extracts its own. Not used with `engine`.
   */
  featureCache?: { dir: string; maxBytes: number };
  /** Train on this engine in this thread; when omitted, the real engine (../engine) in a worker thread per job. */
  engine?: Engine;
  log?: (line: string) => void;
}

export interface TrainerNode {
  id: string;
  name: string;
  pool: string;
  backend: string;
  devices: string[];
  status(): TrainerStatus;
  currentRuns(): string[];
  /** Takes no new jobs (as a `drain` control message does); running ones finish. */
  drain(): void;
  /**
   * Graceful stop: no new jobs, running jobs finish their current epoch and go back to the
   * pool (resumable from the checkpoint) unless it is their last; then leaves NATS.
   */
  stop(): Promise<void>;
  /** Ends every job's training thread now (mid-batch) and hands the jobs back; for a stop that must be bounded. */
  terminate(): Promise<void>;
  /** Settles when the node has stopped (by stop() or because its NATS connection closed). */
  closed: Promise<void>;
}

/** Joins the fleet: registers with the gateway, heartbeats, and runs jobs from its pool. */
export async function startTrainerNode(config: TrainerNodeConfig): Promise<TrainerNode> {
  const log = config.log ?? ((line: string) => console.log(line));
  const name = config.name ?? `${hostname()}-${process.pid}`;
  const pool = config.pool ?? "default";
  const maxConcurrentRuns = config.maxConcurrentRuns ?? 1;

  // Training runs in a worker thread per job, so this thread stays free for heartbeats,
  // in-progress acks and control messages.
  const engine = config.engine
    ? inProcessEngine(config.engine)
    : threadedEngine(config.featureCache ? { featureCache: config.featureCache } : {});
  const { backend, devices } = await engine.initBackend(config.backend);

  // Registration comes first: the gateway answers with this node's own NATS user, allowed
  // only its pool's jobs and its own subjects.
  const registration = await registerTrainer(
    config.gatewayUrl,
    {
      joinToken: config.joinToken,
      name,
      host: hostname(),
      pool,
      backend,
      devices,
      labels: config.labels ?? [],
      cpuCount: cpus().length,
      memoryBytes: totalmem(),
      maxConcurrentRuns,
      ...previousToken(config.identityFile),
    },
    { deadlineMs: config.registerDeadlineMs, log },
  );
  if (config.identityFile) keepToken(config.identityFile, registration.trainerToken);
  const id = registration.id;
  const nc = await connect({
    servers: config.natsUrl,
    name: `graft-trainer-${name}`,
    maxReconnectAttempts: -1,
    authenticator: credsAuthenticator(new TextEncoder().encode(registration.natsCredentials)),
    inboxPrefix: trainerInboxPrefix(id),
  });
  try {
    // The gateway made the pool's consumer at registration; a trainer administers nothing.
    const js = jetstream(nc);
    const consumer = await js.consumers.get(JOBS_STREAM, jobsConsumerName(pool));
    const { config: consumerConfig } = await consumer.info(true);
    const configured = consumerConfig.max_deliver ?? -1;
    const maxDeliver = configured > 0 ? configured : Number.POSITIVE_INFINITY;
    const ackWaitMs =
      config.jobAckWaitMs ?? (consumerConfig.ack_wait ? consumerConfig.ack_wait / 1_000_000 : DEFAULT_JOB_ACK_WAIT_MS);

    const eventsOfThisTrainer = `${trainerEventsWildcard(id).slice(0, -1)}`;
    const outbox = config.outboxDir
      ? new Outbox({
          dir: config.outboxDir,
          js,
          // Only what this identity may publish: another id's subjects would be refused forever.
          accepts: (entry) => entry.subject.startsWith(eventsOfThisTrainer),
          log,
        })
      : undefined;
    let stopping = false;
    let heartbeats: ReturnType<typeof startHeartbeats> | undefined;
    const worker = startJobWorker({
      nc,
      js,
      storeFor: (job) => gatewayArtifactStore(config.gatewayUrl, job),
      engine,
      trainerId: id,
      backend,
      ackWaitMs,
      maxDeliver,
      log,
      ...(outbox ? { outbox } : {}),
      pool,
      maxConcurrentRuns,
      onChange: () => heartbeats?.beat(),
    });
    const status = (): TrainerStatus => (stopping || worker.draining ? "DRAINING" : worker.busy() ? "BUSY" : "IDLE");

    const control = nc.subscribe(trainerControlSubject(id), {
      callback: (error, message) => {
        if (error) return;
        let parsed: ReturnType<typeof trainerControlSchema.safeParse>;
        try {
          parsed = trainerControlSchema.safeParse(message.json());
        } catch {
          log("ignored a control message that is not JSON");
          return;
        }
        if (!parsed.success || parsed.data.trainerId !== id) {
          log("ignored an invalid control message");
          return;
        }
        log(parsed.data.type === "drain" ? "draining: taking no new jobs" : "resuming: taking jobs again");
        worker.setDraining(parsed.data.type === "drain");
      },
    });
    heartbeats = startHeartbeats(nc, id, config.heartbeatMs ?? 2_000, { status, currentRuns: worker.currentRuns });

    let stopped: Promise<void> | undefined;
    const stop = () => {
      stopped ??= (async () => {
        stopping = true;
        heartbeats?.beat();
        await worker.stop();
        heartbeats?.stop();
        control.unsubscribe();
        // Give held events a moment to land (bounded: NATS may be gone); the rest stays on disk for the next start.
        const deadline = Date.now() + 2_000;
        while (outbox && outbox.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
        await outbox?.close();
        await nc.drain().catch(() => undefined);
      })();
      return stopped;
    };
    const closed = nc.closed().then(() => undefined);

    return {
      id,
      name: registration.name,
      pool,
      backend,
      devices,
      status,
      currentRuns: worker.currentRuns,
      drain: () => worker.setDraining(true),
      stop,
      terminate: () => worker.terminate(),
      closed,
    };
  } catch (error) {
    await nc.close().catch(() => undefined);
    throw error;
  }
}

/** The token kept by this node's last registration, when there is one. */
function previousToken(file: string | undefined): { previousTrainerToken?: string } {
  if (!file) return {};
  try {
    const token = readFileSync(file, "utf8").trim();
    return token ? { previousTrainerToken: token } : {};
  } catch {
    return {};
  }
}

/** Written whole (temporary file, then rename), readable by this user only. */
function keepToken(file: string, token: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, token, { mode: 0o600 });
  renameSync(temporary, file);
}

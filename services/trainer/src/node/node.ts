import { cpus, hostname, totalmem } from "node:os";
import { type ArtifactStore, openArtifactStore } from "@graft/artifacts";
import {
  DEFAULT_JOB_ACK_WAIT_MS,
  DEFAULT_JOB_MAX_DELIVER,
  ensureJobsConsumer,
  ensureStreams,
  JOBS_STREAM,
  jobsConsumerName,
  RUN_EVENTS_STREAM,
  type TrainerStatus,
  trainerControlSchema,
  trainerControlSubject,
} from "@graft/contracts";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type Engine, inProcessEngine } from "./engine-port.ts";
import { startHeartbeats } from "./heartbeat.ts";
import { startJobWorker } from "./job-worker.ts";
import { registerTrainer } from "./register.ts";
import { threadedEngine } from "./training-thread.ts";

export interface TrainerNodeConfig {
  /** GraphQL endpoint of the gateway, e.g. http://127.0.0.1:4000/graphql. */
  gatewayUrl: string;
  natsUrl: string;
  /** NATS user and password, when the server requires them (docker-compose does). */
  natsCredentials?: { user: string; pass: string };
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
  /** Must equal the jobs consumer's ack wait. @default DEFAULT_JOB_ACK_WAIT_MS */
  jobAckWaitMs?: number;
  /** How long to keep retrying registration while the gateway is not up. @default 120_000 */
  registerDeadlineMs?: number;
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
  const ackWaitMs = config.jobAckWaitMs ?? DEFAULT_JOB_ACK_WAIT_MS;

  // Training runs in a worker thread per job, so this thread stays free for heartbeats,
  // in-progress acks and control messages.
  const engine = config.engine ? inProcessEngine(config.engine) : threadedEngine();
  const { backend, devices } = await engine.initBackend(config.backend);

  const nc = await connect({
    servers: config.natsUrl,
    name: `graft-trainer-${name}`,
    maxReconnectAttempts: -1,
    ...config.natsCredentials,
  });
  try {
    const jsm = await prepareJetStream(nc, pool, ackWaitMs);
    const consumerInfo = await jsm.consumers.info(JOBS_STREAM, jobsConsumerName(pool));
    const configured = consumerInfo.config.max_deliver ?? -1;
    const maxDeliver = configured > 0 ? configured : Number.POSITIVE_INFINITY;
    const store = await openStore(nc);

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
      },
      { deadlineMs: config.registerDeadlineMs, log },
    );
    const id = registration.id;

    let stopping = false;
    let heartbeats: ReturnType<typeof startHeartbeats> | undefined;
    const worker = startJobWorker({
      nc,
      js: jetstream(nc),
      store,
      engine,
      trainerId: id,
      backend,
      ackWaitMs,
      maxDeliver,
      log,
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

/**
 * Streams and the pool's consumer. The gateway usually created the streams already (maybe
 * with another storage type, which cannot be changed): then they are used as they are.
 */
async function prepareJetStream(nc: NatsConnection, pool: string, ackWaitMs: number): Promise<JetStreamManager> {
  let jsm: JetStreamManager;
  try {
    jsm = await ensureStreams(nc);
  } catch (error) {
    jsm = await jetstreamManager(nc);
    const present = await Promise.all(
      [JOBS_STREAM, RUN_EVENTS_STREAM].map((s) =>
        jsm.streams.info(s).then(
          () => true,
          () => false,
        ),
      ),
    );
    if (!present.every(Boolean)) throw error;
  }
  await ensureJobsConsumer(jsm, pool, { jobAckWaitMs: ackWaitMs, jobMaxDeliver: DEFAULT_JOB_MAX_DELIVER });
  return jsm;
}

async function openStore(nc: NatsConnection): Promise<ArtifactStore> {
  try {
    return await openArtifactStore(nc);
  } catch {
    // The bucket exists with memory storage (tests): open it as it is.
    return await openArtifactStore(nc, { storage: "memory" });
  }
}

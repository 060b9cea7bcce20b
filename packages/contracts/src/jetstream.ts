import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { ALL_JOBS, ALL_RUN_EVENTS, jobsSubject, subjectToken } from "./subjects.ts";

/** Stream, consumer and bucket names; part of the contract between gateway and trainers. */
export const JOBS_STREAM = "GRAFT_JOBS";
export const RUN_EVENTS_STREAM = "GRAFT_RUN_EVENTS";
export const GATEWAY_INGEST_CONSUMER = "gateway-ingest";
export const jobsConsumerName = (pool: string) => `jobs-${subjectToken(pool, "pool")}`;

const nanos = (ms: number) => ms * 1_000_000;

export interface JetStreamOptions {
  /**
   * How long a trainer may stay silent on a job before JetStream hands it to another.
   * Trainers send in-progress acks well inside it.
   * @default 30_000
   */
  jobAckWaitMs?: number;
  /** Deliveries of a job before JetStream gives up; the trainer ends the run FAILED on the last. @default 5 */
  jobMaxDeliver?: number;
  /** How long run events are kept in the stream (the database has them once ingested). @default 7 days */
  runEventsMaxAgeMs?: number;
  /** Size cap of the run-events stream; the oldest events go first. @default 1 GiB */
  runEventsMaxBytes?: number;
  /** Size cap of the jobs stream; a full queue refuses new jobs (they wait in the gateway's outbox) rather than dropping queued ones. @default 256 MiB */
  jobsMaxBytes?: number;
  /** Storage of both streams; memory is for tests only. @default "file" */
  storage?: "file" | "memory";
}

export const DEFAULT_JOB_ACK_WAIT_MS = 30_000;
export const DEFAULT_JOB_MAX_DELIVER = 5;

/** Creates (or updates to this configuration) the streams Graft needs. Safe to call from every process at start. */
export async function ensureStreams(nc: NatsConnection, options: JetStreamOptions = {}): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  const storage = options.storage === "memory" ? StorageType.Memory : StorageType.File;
  await upsertStream(jsm, {
    name: JOBS_STREAM,
    subjects: [ALL_JOBS],
    retention: RetentionPolicy.Workqueue,
    storage,
    max_bytes: options.jobsMaxBytes ?? 256 * 2 ** 20,
    discard: DiscardPolicy.New,
    // A job message is a few KB; nothing legitimate comes near this.
    max_msg_size: 2 ** 20,
    // Queued jobs wait as long as it takes for a trainer of their pool; 30 days bounds an abandoned pool.
    max_age: nanos(30 * 24 * 3_600_000),
    // Dedup window for Nats-Msg-Id = `${runId}.${dispatch}`: a retried publish never queues a job twice.
    duplicate_window: nanos(10 * 60_000),
  });
  await upsertStream(jsm, {
    name: RUN_EVENTS_STREAM,
    subjects: [ALL_RUN_EVENTS],
    retention: RetentionPolicy.Limits,
    storage,
    max_age: nanos(options.runEventsMaxAgeMs ?? 7 * 24 * 3_600_000),
    max_bytes: options.runEventsMaxBytes ?? 2 ** 30,
    discard: DiscardPolicy.Old,
    // The largest legitimate event (`succeeded` with a few thousand layer records) stays well under 1 MiB.
    max_msg_size: 2 ** 20,
    duplicate_window: nanos(2 * 60_000),
  });
  return jsm;
}

/** The durable pull consumer a pool's trainers share. Idempotent. */
export async function ensureJobsConsumer(jsm: JetStreamManager, pool: string, options: JetStreamOptions = {}) {
  const config = {
    durable_name: jobsConsumerName(pool),
    filter_subject: jobsSubject(pool),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(options.jobAckWaitMs ?? DEFAULT_JOB_ACK_WAIT_MS),
    max_deliver: options.jobMaxDeliver ?? DEFAULT_JOB_MAX_DELIVER,
    // One job per trainer slot: trainers fetch only as many as they can run.
    max_ack_pending: 10_000,
  };
  try {
    return await jsm.consumers.add(JOBS_STREAM, config);
  } catch {
    return await jsm.consumers.update(JOBS_STREAM, config.durable_name, config);
  }
}

/** The durable consumer that all gateway replicas share to persist run events. Idempotent. */
export async function ensureIngestConsumer(jsm: JetStreamManager) {
  const config = {
    durable_name: GATEWAY_INGEST_CONSUMER,
    filter_subject: ALL_RUN_EVENTS,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 10_000,
  };
  try {
    return await jsm.consumers.add(RUN_EVENTS_STREAM, config);
  } catch {
    try {
      return await jsm.consumers.update(RUN_EVENTS_STREAM, config.durable_name, config);
    } catch {
      // A consumer from before the events subjects moved cannot change its filter (nats-server
      // 2.9): recreate it. It delivers the stream again; ingest writes idempotently.
      await jsm.consumers.delete(RUN_EVENTS_STREAM, config.durable_name);
      return await jsm.consumers.add(RUN_EVENTS_STREAM, config);
    }
  }
}

async function upsertStream(jsm: JetStreamManager, config: Parameters<JetStreamManager["streams"]["add"]>[0]) {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    // Exists with another configuration: bring it to this one.
    if (!(error instanceof Error) || !/already in use/i.test(error.message)) throw error;
    await jsm.streams.update(config.name as string, config);
  }
}

/** The Nats-Msg-Id a run's job is published with (one dispatch per run; dedups a retried publish). */
export const jobMessageId = (runId: string) => `${runId}.1`;

/**
 * The jobs still in `pool`'s work queue (queued or held, not yet acked), oldest first, as
 * stream sequence and Nats-Msg-Id. Scans the pool's subject, at most 10,000 messages.
 */
export async function* queuedJobIds(
  jsm: JetStreamManager,
  pool: string,
): AsyncGenerator<{ seq: number; msgId: string | undefined }> {
  const subject = jobsSubject(pool);
  let seq = 0;
  for (let scanned = 0; scanned < 10_000; scanned++) {
    // next_by_subj: first message on the subject at or after seq (STREAM.MSG.GET). nats.js
    // answers null past the last one; any other failure (a timeout under load) is retried and
    // then thrown, never read as the end of the queue: a cancel would leave its job queued.
    const msg = await withRetries(() =>
      jsm.streams.getMessage(JOBS_STREAM, { seq, next_by_subj: subject } as unknown as { seq: number }),
    );
    if (!msg) return;
    yield { seq: msg.seq, msgId: msg.header?.get("Nats-Msg-Id") };
    seq = msg.seq + 1;
  }
}

async function withRetries<T>(call: () => Promise<T>, tries = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (attempt >= tries) throw error;
    }
  }
}

/** The stream sequence of a run's job while it is still in the work queue, or undefined. */
export async function findJobSeq(jsm: JetStreamManager, pool: string, runId: string): Promise<number | undefined> {
  for await (const job of queuedJobIds(jsm, pool)) if (job.msgId === jobMessageId(runId)) return job.seq;
  return undefined;
}

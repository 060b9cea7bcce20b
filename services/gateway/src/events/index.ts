/**
 * Public API of the gateway's event plane: everything that flows from NATS into the gateway.
 * Run events are persisted (fenced, idempotent) through the shared ingest consumer, then
 * announced on core NATS so every replica's GraphQL subscribers hear only stored events;
 * trainer heartbeats keep the fleet's liveness.
 */
import type { ArtifactStore } from "@graft/artifacts";
import { isUuid, type JetStreamOptions, type RunEvent, type RunUpdate, runUpdatesSubject } from "@graft/contracts";
import { type Db, runs } from "@graft/db";
import type { NatsConnection } from "@nats-io/transport-node";
import { eq } from "drizzle-orm";
import { RunFanout, TrainerFanout } from "./fanout.ts";
import { type Ingest, startIngest } from "./ingest.ts";
import { startLiveness } from "./liveness.ts";
import { publishRunUpdates } from "./notify.ts";
import { type RunEventPayload, runEventFromWire, runEventToWire, type TrainerEventPayload } from "./payloads.ts";

export { Mailbox, SlowSubscriberError } from "./mailbox.ts";
export { publishTrainerUpdate } from "./notify.ts";
export type { EpochPayload, RunEventPayload, TrainerEventPayload } from "./payloads.ts";

export interface EventPlaneOptions {
  db: Db;
  nc: NatsConnection;
  /** The artifact store, to read trainers' outputs back and verify their lineage. */
  store: ArtifactStore;
  /** Checks an event's claim against its run's job token (TrainerPlane.verifyClaim). */
  verifyClaim: (event: RunEvent) => boolean;
  log?: (line: string) => void;
  /** A trainer silent this long is marked OFFLINE. @default 10_000 */
  trainerOfflineAfterMs?: number;
  /** Passed to ensureStreams when this process is the first to create them. */
  jetStream?: JetStreamOptions;
  /** Largest number of run events stored in one transaction. @default 1000 */
  ingestMaxBatch?: number;
  /** Deliveries after which an event that fails on its own (database up) is dead-lettered. @default 8 */
  deadLetterAfter?: number;
}

export interface EventPlane {
  /**
   * Stored events of one run, live; ends cleanly on `return()`. The first event is a STATUS
   * snapshot of the run read after the live feed is attached, so a subscriber that then reads
   * the run's stored epochs misses nothing. Throws InvalidSubjectTokenError for a malformed id.
   */
  subscribeRunEvents(runId: string): AsyncIterableIterator<RunEventPayload>;
  /**
   * Stored events of several runs (a study's), live, in one stream. The first item is `null`,
   * handed out once every run's feed is attached: state read after it misses nothing.
   */
  subscribeRunsEvents(runIds: readonly string[]): AsyncIterableIterator<RunEventPayload | null>;
  /** Changes of every trainer, live. */
  subscribeTrainerEvents(): AsyncIterableIterator<TrainerEventPayload>;
  /**
   * Tells every replica's subscribers about a change the domain made itself (run queued,
   * cancelled while queued). Without a payload, announces the run's stored status.
   */
  publishRunUpdate(runId: string, payload?: RunEventPayload): Promise<void>;
  stop(): Promise<void>;
}

export async function startEventPlane(options: EventPlaneOptions): Promise<EventPlane> {
  const { db, nc } = options;
  const log = options.log ?? (() => {});
  const runFanout = new RunFanout(nc, log);
  const trainerFanout = new TrainerFanout(nc, log);
  let ingest: Ingest | undefined;
  try {
    ingest = await startIngest({
      db,
      nc,
      store: options.store,
      verifyClaim: options.verifyClaim,
      log,
      onStored: (updates) => publishRunUpdates(nc, updates),
      jetStream: options.jetStream,
      maxBatch: options.ingestMaxBatch,
      ...(options.deadLetterAfter ? { deadLetterAfter: options.deadLetterAfter } : {}),
    });
  } catch (error) {
    runFanout.close();
    trainerFanout.close();
    throw error;
  }
  const liveness = startLiveness({ db, nc, log, offlineAfterMs: options.trainerOfflineAfterMs ?? 10_000 });

  return {
    subscribeRunEvents: (runId) =>
      runFanout.subscribe(runId, async () => {
        const snapshot = await currentStatus(db, runId);
        return snapshot ? runEventFromWire(snapshot) : undefined;
      }),
    subscribeRunsEvents: (runIds) => runFanout.subscribeMany(runIds, async () => null),
    subscribeTrainerEvents: () => trainerFanout.subscribe(),
    async publishRunUpdate(runId, payload) {
      runUpdatesSubject(runId);
      const update = payload ? runEventToWire(payload) : await currentStatus(db, runId);
      if (!update) return;
      publishRunUpdates(nc, [update]);
      await nc.flush();
    },
    async stop() {
      await liveness.stop();
      await ingest?.stop();
      runFanout.close();
      trainerFanout.close();
    },
  };
}

async function currentStatus(db: Db, runId: string): Promise<RunUpdate | undefined> {
  // Not a UUID: no such run (and PostgreSQL would reject the comparison).
  if (!isUuid(runId)) return undefined;
  const [run] = await db
    .select({ status: runs.status, attempt: runs.currentAttempt, error: runs.error })
    .from(runs)
    .where(eq(runs.id, runId));
  if (!run) return undefined;
  return {
    kind: "STATUS",
    runId,
    status: run.status,
    attempt: run.attempt === 0 ? null : run.attempt,
    epoch: null,
    message: run.error?.message ?? null,
    at: new Date().toISOString(),
  };
}

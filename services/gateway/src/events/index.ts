/**
 * Public API of the gateway's event plane: everything that flows from NATS into the gateway.
 * Run events are persisted (fenced, idempotent) through the shared ingest consumer, then
 * announced on core NATS so every replica's GraphQL subscribers hear only stored events;
 * trainer heartbeats keep the fleet's liveness.
 */
import type { ArtifactStore } from "@graft/artifacts";
import {
  encodeMessage,
  isUuid,
  type JetStreamOptions,
  parseMessage,
  type RunEvent,
  type RunStatus,
  type RunUpdate,
  runUpdatesSubject,
  type SweepStatus,
  sweepUpdateSchema,
  sweepUpdatesSubject,
} from "@graft/contracts";
import { type Db, runs } from "@graft/db";
import type { NatsConnection } from "@nats-io/transport-node";
import { eq } from "drizzle-orm";
import { RunFanout, TrainerFanout } from "./fanout.ts";
import { FreshReads } from "./fresh-reads.ts";
import { type Ingest, startIngest } from "./ingest.ts";
import { startLiveness } from "./liveness.ts";
import { Mailbox } from "./mailbox.ts";
import { publishRunUpdates } from "./notify.ts";
import {
  type ProgressPayload,
  type RunEventPayload,
  runEventFromWire,
  runEventToWire,
  type TrainerEventPayload,
} from "./payloads.ts";
import { ProgressBoard } from "./progress-board.ts";

export { Mailbox, SlowSubscriberError } from "./mailbox.ts";
export { publishTrainerUpdate } from "./notify.ts";
export type { EpochPayload, ProgressPayload, RunEventPayload, TrainerEventPayload } from "./payloads.ts";

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
  /** Also told of every stored batch, after commit (the sweep scheduler judges rungs and fills slots). */
  onStored?: (updates: RunUpdate[]) => void;
  /** Refused or dead-lettered events recorded per trainer per 24 h. @default 1000 */
  maxDropsPerTrainer?: number;
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
   * Notices that a sweep changed, live; the first is sent once the feed is attached, so a
   * subscriber that re-reads the sweep on each misses nothing. Notices carry no state: read it.
   */
  subscribeSweepUpdates(sweepId: string): AsyncIterableIterator<{ sweepId: string }>;
  publishSweepUpdate(sweepId: string, status: string): void;
  /**
   * Tells every replica's subscribers about a change the domain made itself (run queued,
   * cancelled while queued). Without a payload, announces the run's stored status.
   */
  publishRunUpdate(runId: string, payload?: RunEventPayload): Promise<void>;
  /** The latest progress of the run's current attempt while it is ASSIGNED or RUNNING (see ProgressBoard). */
  progressOf(run: { id: string; status: RunStatus; currentAttempt: number }): ProgressPayload | null;
  stop(): Promise<void>;
}

export async function startEventPlane(options: EventPlaneOptions): Promise<EventPlane> {
  const { db, nc } = options;
  const log = options.log ?? (() => {});
  const runFanout = new RunFanout(nc, log);
  const trainerFanout = new TrainerFanout(nc, log);
  const progress = new ProgressBoard(nc, log);
  let ingest: Ingest | undefined;
  try {
    ingest = await startIngest({
      db,
      nc,
      store: options.store,
      verifyClaim: options.verifyClaim,
      log,
      onStored: (updates) => {
        publishRunUpdates(nc, updates);
        options.onStored?.(updates);
      },
      jetStream: options.jetStream,
      maxBatch: options.ingestMaxBatch,
      ...(options.deadLetterAfter ? { deadLetterAfter: options.deadLetterAfter } : {}),
      ...(options.maxDropsPerTrainer ? { maxDropsPerTrainer: options.maxDropsPerTrainer } : {}),
    });
  } catch (error) {
    runFanout.close();
    trainerFanout.close();
    progress.close();
    throw error;
  }
  const statusReads = new FreshReads<string, RunEventPayload | undefined>();
  const liveness = startLiveness({ db, nc, log, offlineAfterMs: options.trainerOfflineAfterMs ?? 10_000 });

  return {
    // The prelude runs once the subscriber's feed is attached, and a shared read starts after
    // it asks: subscribers connecting together share one status read (and, being handed the
    // same payload, one execution of it), and none misses an update.
    subscribeRunEvents: (runId) =>
      runFanout.subscribe(runId, () =>
        statusReads.read(runId, async () => {
          const snapshot = await currentStatus(db, runId);
          return snapshot ? runEventFromWire(snapshot) : undefined;
        }),
      ),
    subscribeRunsEvents: (runIds) => runFanout.subscribeMany(runIds, async () => null),
    subscribeTrainerEvents: () => trainerFanout.subscribe(),
    progressOf: (run) => progress.get(run),
    subscribeSweepUpdates(sweepId) {
      const subject = sweepUpdatesSubject(sweepId);
      // One NATS subscription per subscriber: a sweep page has few watchers, and notices are
      // coalescable (any one says "re-read"), so a lagging subscriber loses nothing by drops.
      const sub = nc.subscribe(subject, {
        callback: (error, msg) => {
          if (error) return log(`sweep updates: ${subject}: ${error.message}`);
          try {
            box.push({ sweepId: parseMessage(sweepUpdateSchema, msg.subject, msg.data).sweepId });
          } catch (e) {
            log(`sweep updates: rejected notice: ${(e as Error).message}`);
          }
        },
      });
      const ready = nc.flush();
      ready.catch(() => {});
      const box: Mailbox<{ sweepId: string }> = new Mailbox({
        droppable: () => true,
        ready,
        prelude: async () => ({ sweepId }),
        onClose: () => sub.unsubscribe(),
      });
      return box;
    },
    publishSweepUpdate(sweepId, status) {
      nc.publish(
        sweepUpdatesSubject(sweepId),
        encodeMessage({ sweepId, status: status as SweepStatus, at: new Date().toISOString() }),
      );
    },
    async publishRunUpdate(runId, payload) {
      runUpdatesSubject(runId);
      // A given payload is published synchronously (no await before it): callers rely on its
      // order against notices they publish later.
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
      progress.close();
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
    progress: null,
    at: new Date().toISOString(),
  };
}

import {
  encodeMessage,
  findJobSeq,
  type Hyperparameters,
  JOBS_STREAM,
  type JobMessage,
  jobMessageId,
  jobMessageSchema,
  jobsSubject,
  TERMINAL_RUN_STATUSES,
} from "@graft/contracts";
import { type Db, jobOutbox, rowsOf, runs } from "@graft/db";
import { type JetStreamClient, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { z } from "zod";
import type { DatasetRow, ModelRow, RunRow } from "./rows.ts";

/**
 * The transactional outbox of job publishes. A run's job is written to `job_outbox` in the
 * transaction that stores the run (`enqueueJobs`); `JobPublisher` puts it on JetStream right
 * after that commit, and again on start, on a timer and when NATS comes back for anything left,
 * and deletes the entry only after JetStream's ack. Every publish of a run's job carries the
 * same Nats-Msg-Id, so a retry or two replicas publishing one entry queue one job.
 */

type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

/**
 * A job as the outbox keeps it: all of it but the token, which is a capability and derived
 * again at publish, and `enqueuedAt`, which is the entry's `createdAt` (the outbox entry is
 * written with its run, so both are the transaction's `now()`, the run's `queuedAt`).
 */
const storedJobSchema = jobMessageSchema.omit({ jobToken: true, enqueuedAt: true });
type StoredJob = z.infer<typeof storedJobSchema>;

/** What a run's job names of the run (its row, or the values about to be inserted). */
type JobRun = Pick<RunRow, "id" | "projectId" | "pool" | "outputModelId" | "hyperparameters"> &
  Partial<Pick<RunRow, "forkedFromRunId" | "forkedFromEpoch">>;

/** A run and the rows its job names. */
export interface JobSource {
  run: JobRun;
  base: ModelRow;
  dataset: DatasetRow;
}

/** The job message of a run, as stored. Throws (a bug, not bad input) when it does not fit the contract. */
function storedJob({ run, base, dataset }: JobSource): StoredJob {
  return storedJobSchema.parse({
    runId: run.id,
    projectId: run.projectId,
    pool: run.pool,
    outputModelId: run.outputModelId,
    baseModel: {
      id: base.id,
      name: base.name,
      artifactKey: base.artifactKey,
      inputShape: base.inputShape,
      labels: base.labels,
      preprocessing: base.preprocessing,
      featureLayer: base.featureLayer,
    },
    // The row stores any built-in key; the parse checks it names a built-in trainers know.
    dataset: {
      id: dataset.id,
      name: dataset.name,
      source: dataset.source as JobMessage["dataset"]["source"],
      labels: dataset.labels,
    },
    hyperparameters: run.hyperparameters as Hyperparameters,
    forkedFrom:
      run.forkedFromRunId && run.forkedFromEpoch ? { runId: run.forkedFromRunId, epoch: run.forkedFromEpoch } : null,
  } satisfies StoredJob);
}

/**
 * How long the gateway that stored a job has to publish it right after commit before the
 * periodic pass of any replica takes it too (a second publish would only be deduplicated).
 */
const FAST_PATH_LEASE_MS = 15_000;

const outboxValues = (items: readonly JobSource[]) =>
  items.map((item) => ({
    runId: item.run.id,
    message: storedJob(item),
    nextTryAt: sql`now() + ${FAST_PATH_LEASE_MS} * interval '1 millisecond'`,
  }));

/**
 * Writes the jobs of runs just inserted in `tx` to the outbox, in that same transaction: the
 * run and its job commit together or not at all. Publish them after commit with
 * `JobPublisher.publishNow`.
 */
export async function enqueueJobs(tx: Tx, items: readonly JobSource[]): Promise<OutboxEntry[]> {
  if (items.length === 0) return [];
  return await tx.insert(jobOutbox).values(outboxValues(items)).returning();
}

/** A run to store QUEUED (its row's values) and the rows its job names. */
export interface RunToQueue extends JobSource {
  run: typeof runs.$inferInsert & JobRun;
}

/**
 * Stores runs QUEUED and their jobs in the outbox in one statement (two inserts as
 * data-modifying CTEs): they commit together or not at all, with one round trip and, outside a
 * transaction, one commit. Returns the rows in `items`' order. Publish the jobs after commit
 * with `JobPublisher.publishNow`.
 */
export async function insertQueuedRuns(
  db: Db | Tx,
  items: readonly RunToQueue[],
): Promise<{ runs: RunRow[]; jobs: OutboxEntry[] }> {
  if (items.length === 0) return { runs: [], jobs: [] };
  const stored = db.$with("stored_runs").as(
    db
      .insert(runs)
      .values(items.map((item) => item.run))
      .returning(),
  );
  const queued = db.$with("queued_jobs").as(db.insert(jobOutbox).values(outboxValues(items)).returning());
  const rows = await db.with(stored, queued).select().from(stored).innerJoin(queued, eq(queued.runId, stored.id));
  const byId = new Map(rows.map((row) => [row.stored_runs.id, row]));
  const inOrder = items.map((item) => {
    const row = byId.get(item.run.id);
    if (!row) throw new Error(`insert of run ${item.run.id} with its job returned nothing`);
    return row;
  });
  return { runs: inOrder.map((row) => row.stored_runs), jobs: inOrder.map((row) => row.queued_jobs) };
}

export interface JobPublisherOptions {
  /** How often the outbox is looked at for entries not published right after commit. @default 3_000 */
  everyMs: number;
  /** Publishes the server may refuse (e.g. a message too large) before the run fails DISPATCH_FAILED. @default 5 */
  maxTries: number;
  /** How long a replica holds the entries it took from the outbox while it publishes them. @default 30_000 */
  leaseMs: number;
  /** Deadline of one publish's ack. @default 5_000 */
  publishTimeoutMs: number;
}

export const DEFAULT_JOB_PUBLISHER_OPTIONS: JobPublisherOptions = {
  everyMs: 3_000,
  maxTries: 5,
  leaseMs: 30_000,
  publishTimeoutMs: 5_000,
};

/** The stream's duplicate window (`ensureStreams`); past half of it a retry first looks for an earlier copy. */
const DEDUP_TRUST_MS = 5 * 60_000;
type Acked = { runId: string; pool: string; seq: number };

/** Entries one pass takes at most (a pass repeats while it finds a full batch). */
const BATCH = 100;

/**
 * How long jobs published on the fast path wait for their entries' clean-up, so the jobs of a
 * burst of mutations leave the outbox in one statement, after their answers. Far below
 * FAST_PATH_LEASE_MS: no periodic pass takes them meanwhile.
 */
const SETTLE_AFTER_MS = 200;

export type OutboxEntry = typeof jobOutbox.$inferSelect;
type Entry = OutboxEntry;

export interface JobPublisherDeps {
  db: Db;
  nc: NatsConnection;
  js: JetStreamClient;
  /** The job token of a run (see TrainerPlane.jobToken). */
  jobToken: (runId: string) => string;
  /** Tells subscribers a run's status changed (a run failed to dispatch). */
  announce: (runId: string) => Promise<void>;
  log: (line: string) => void;
}

/**
 * Errors that say NATS (or JetStream) did not answer: the entry waits for it without using up
 * a try. Any other error is the server or client refusing this message, which may never pass.
 */
const UNREACHABLE = new Set([
  "TimeoutError",
  "NoRespondersError",
  "ClosedConnectionError",
  "DrainingConnectionError",
  "ConnectionError",
  "JetStreamNotEnabled",
  "NotConnectedError",
]);

function isUnreachable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (UNREACHABLE.has(e.name)) return true;
  }
  return false;
}

class NotConnectedError extends Error {
  override name = "NotConnectedError";
  constructor() {
    super("not connected to NATS");
  }
}

/** Publishes outbox entries to JetStream; one per gateway replica, any number may run at once. */
export class JobPublisher {
  private readonly options: JobPublisherOptions;
  private timer: NodeJS.Timeout | undefined;
  private pass: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private connected = true;
  /** Fast-path jobs acked and not yet settled (`settleSoon`). */
  private toSettle: Acked[] = [];
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: JobPublisherDeps,
    options: Partial<JobPublisherOptions> = {},
  ) {
    this.options = { ...DEFAULT_JOB_PUBLISHER_OPTIONS, ...options };
  }

  /** Publishes everything the outbox holds (a gateway that died may have left entries), then keeps watching. */
  start(): void {
    void this.followConnection();
    this.timer = setInterval(() => void this.drain(), this.options.everyMs);
    this.timer.unref();
    void this.drain({ all: true });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.pass;
    await Promise.all(this.inFlight);
    await this.settlePending();
  }

  /**
   * Publishes these entries, just committed by this replica with their QUEUED runs
   * (`enqueueJobs`). Never throws: what does not go out now stays in the outbox for a later
   * pass. Without a NATS connection it does not wait for one (the runs are stored QUEUED;
   * their jobs go out when NATS is back).
   */
  async publishNow(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0 || this.stopped) return;
    await this.track(this.publish(entries, { fresh: true }), `publishing ${entries.map((e) => e.runId).join(", ")}`);
  }

  /** Work `stop` waits for; a failure is logged, never thrown. */
  private track(work: Promise<unknown>, what: string): Promise<void> {
    const tracked = work.then(
      () => undefined,
      (error: unknown) => this.deps.log(`job outbox: ${what}: ${String(error)}`),
    );
    this.inFlight.add(tracked);
    return tracked.finally(() => this.inFlight.delete(tracked));
  }

  /**
   * One pass over the outbox: entries due (or, with `all`, every entry) are leased to this
   * replica (`FOR UPDATE SKIP LOCKED`: concurrent passes of other replicas take other entries)
   * and published. Passes of one replica do not overlap.
   */
  drain(options: { all?: boolean } = {}): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.pass ??= (async () => {
      try {
        // Further batches only while the previous one went out: entries waiting for NATS wait for the next pass.
        for (let all = options.all ?? false; ; all = false) {
          const taken = await this.take(all);
          const done = await this.publish(taken);
          if (taken.length < BATCH || done === 0 || this.stopped) break;
        }
      } catch (error) {
        this.deps.log(`job outbox: ${String(error)}`);
      } finally {
        this.pass = null;
      }
    })();
    return this.pass;
  }

  private async take(all: boolean): Promise<Entry[]> {
    const { db } = this.deps;
    const due = db
      .select({ runId: jobOutbox.runId })
      .from(jobOutbox)
      .where(all ? undefined : lte(jobOutbox.nextTryAt, sql`now()`))
      .orderBy(asc(jobOutbox.nextTryAt))
      .limit(BATCH)
      .for("update", { skipLocked: true });
    return await db
      .update(jobOutbox)
      .set({ nextTryAt: sql`now() + ${this.options.leaseMs} * interval '1 millisecond'` })
      .where(inArray(jobOutbox.runId, due))
      .returning();
  }

  /**
   * Publishes entries; returns how many left (or are leaving) the outbox. `fresh`: just
   * committed with their QUEUED runs, so their runs need no look first (a cancel since is
   * caught after the ack).
   */
  private async publish(entries: readonly Entry[], options: { fresh?: boolean } = {}): Promise<number> {
    if (entries.length === 0) return 0;
    const settled = options.fresh ? [] : await this.alreadySettled(entries);
    const acked: Acked[] = [];
    for (const entry of entries) {
      if (settled.includes(entry.runId)) continue;
      try {
        acked.push(await this.publishOne(entry));
      } catch (error) {
        await this.refused(entry, error);
      }
    }
    if (settled.length > 0) await this.deps.db.delete(jobOutbox).where(inArray(jobOutbox.runId, settled));
    // On the fast path the caller (a mutation) goes on once JetStream has the jobs: the clean-up
    // is a commit of its own, and until it lands an entry is at worst published again (deduplicated).
    if (options.fresh) this.settleSoon(acked);
    else await this.settleAcked(acked);
    return settled.length + acked.length;
  }

  /** Settles these fast-path jobs a moment later, together with any others acked meanwhile. */
  private settleSoon(acked: readonly Acked[]): void {
    if (acked.length === 0) return;
    this.toSettle.push(...acked);
    this.settleTimer ??= setTimeout(() => void this.settlePending(), SETTLE_AFTER_MS);
  }

  private settlePending(): Promise<void> {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    const acked = this.toSettle.splice(0);
    return this.track(this.settleAcked(acked), "settling published jobs");
  }

  /** Entries with nothing left to send: the run was cancelled (or ended) first, or a trainer already reported it. */
  private async alreadySettled(entries: readonly Entry[]): Promise<string[]> {
    const rows = await this.deps.db
      .select({ id: runs.id, status: runs.status, currentAttempt: runs.currentAttempt })
      .from(runs)
      .where(
        inArray(
          runs.id,
          entries.map((e) => e.runId),
        ),
      );
    const live = new Set(rows.filter((r) => r.status === "QUEUED" && r.currentAttempt === 0).map((r) => r.id));
    return entries.map((e) => e.runId).filter((id) => !live.has(id));
  }

  /**
   * Deletes the acked entries, and in the same statement finds runs among them that ended in
   * the meantime: a run cancelled between our look at it and the ack (its cancel may have
   * searched the queue before the job was there) must not start, so its job is taken out again.
   */
  private async settleAcked(acked: readonly Acked[]): Promise<void> {
    if (acked.length === 0) return;
    const ids = sql.join(
      acked.map((a) => sql`${a.runId}::uuid`),
      sql`, `,
    );
    const terminal = sql.join(
      [...TERMINAL_RUN_STATUSES].map((status) => sql`${status}`),
      sql`, `,
    );
    const ended = rowsOf<{ id: string }>(
      await this.deps.db.execute(sql`
        with gone as (delete from ${jobOutbox} where ${jobOutbox.runId} in (${ids}) returning ${jobOutbox.runId})
        select ${runs.id} as id from ${runs} join gone on gone.run_id = ${runs.id}
        where ${runs.status}::text in (${terminal})`),
    );
    if (ended.length === 0) return;
    const jsm = await jetstreamManager(this.deps.nc);
    for (const { runId, seq } of acked.filter((a) => ended.some((e) => e.id === a.runId))) {
      await jsm.streams
        .deleteMessage(JOBS_STREAM, seq, false)
        .catch((error: unknown) =>
          this.deps.log(`job outbox: withdrawing the job of ended run ${runId}: ${String(error)}`),
        );
    }
  }

  /** Publishes one entry's job and returns where JetStream stored it. */
  private async publishOne(entry: Entry): Promise<Acked> {
    if (!this.connected || this.deps.nc.isClosed()) throw new NotConnectedError();
    const job = jobMessageSchema.parse({
      ...entry.message,
      enqueuedAt: entry.createdAt.toISOString(),
      jobToken: this.deps.jobToken(entry.runId),
    });
    const { runId, pool } = job;
    // Beyond the duplicate window JetStream would queue a second copy of a publish whose ack was lost.
    if (Date.now() - entry.createdAt.getTime() > DEDUP_TRUST_MS) {
      const seq = await findJobSeq(await jetstreamManager(this.deps.nc), pool, runId);
      if (seq !== undefined) return { runId, pool, seq };
    }
    const ack = await this.deps.js.publish(jobsSubject(pool), encodeMessage(job), {
      msgID: jobMessageId(runId),
      timeout: this.options.publishTimeoutMs,
    });
    return { runId, pool, seq: ack.seq };
  }

  /**
   * A publish that failed: NATS away costs no try and is retried on the next pass (or when the
   * connection comes back); a refusal costs one, with a growing delay, and past maxTries the
   * run fails with the reason.
   */
  private async refused(entry: Entry, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const unreachable = isUnreachable(error);
    const tries = entry.tries + (unreachable ? 0 : 1);
    if (!(error instanceof NotConnectedError))
      this.deps.log(`job outbox: publishing the job of run ${entry.runId} failed (try ${tries}): ${reason}`);
    if (tries >= this.options.maxTries) return await this.failRun(entry.runId, tries, reason);
    const delayMs = unreachable ? 0 : Math.min(this.options.everyMs * 2 ** tries, 60_000);
    await this.deps.db
      .update(jobOutbox)
      .set({ tries, lastError: reason, nextTryAt: sql`now() + ${delayMs} * interval '1 millisecond'` })
      .where(eq(jobOutbox.runId, entry.runId));
  }

  private async failRun(runId: string, tries: number, reason: string): Promise<void> {
    const failed = await this.deps.db.transaction(async (tx) => {
      await tx.delete(jobOutbox).where(eq(jobOutbox.runId, runId));
      return await tx
        .update(runs)
        .set({
          status: "FAILED",
          finishedAt: new Date(),
          error: {
            code: "DISPATCH_FAILED",
            message: `the job could not be published to NATS (${tries} tries): ${reason}`.slice(0, 1_000),
          },
        })
        .where(and(eq(runs.id, runId), eq(runs.status, "QUEUED")))
        .returning({ id: runs.id });
    });
    if (failed.length > 0) await this.deps.announce(runId);
  }

  /** Tracks the connection: no publish waits on a connection that is down, and a reconnect drains at once. */
  private async followConnection(): Promise<void> {
    for await (const status of this.deps.nc.status()) {
      if (this.stopped) return;
      if (status.type === "disconnect") this.connected = false;
      else if (status.type === "reconnect") {
        this.connected = true;
        void this.drain();
      }
    }
  }
}

import type { ArtifactStore } from "@graft/artifacts";
import {
  encodeMessage,
  ensureIngestConsumer,
  ensureStreams,
  GATEWAY_INGEST_CONSUMER,
  idsFromEventsSubject,
  type JetStreamOptions,
  parseRunEvents,
  RUN_EVENTS_STREAM,
  type RunEvent,
  type RunUpdate,
  runControlSubject,
} from "@graft/contracts";
import { type Db, eventDrops, isDatabaseUnreachable } from "@graft/db";
import { type ConsumerMessages, type JsMsg, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { applyBatch, type BatchResult, commitAhead, planAhead, RunStates, type Verdict } from "./apply-batch.ts";
import { checkOutput } from "./verify-output.ts";

export interface IngestOptions {
  db: Db;
  nc: NatsConnection;
  /** Where trainers' outputs are read back from to verify lineage. */
  store: ArtifactStore;
  /** True when the event's claim proves its sender was delivered the run's job (TrainerPlane.verifyClaim). */
  verifyClaim: (event: RunEvent) => boolean;
  log: (line: string) => void;
  /** An event that fails to apply on this many deliveries, while the database answers, is dead-lettered. @default 8 */
  deadLetterAfter?: number;
  /** Called after commit with the stored, fenced events. */
  onStored: (updates: RunUpdate[]) => void;
  /**
   * Largest number of events written in one transaction (a message's events always go in the
   * same one, so a transaction may exceed it by one message's). @default 1000
   */
  maxBatch?: number;
  /**
   * Refused or dead-lettered events recorded per trainer per 24 h; past it they are only
   * counted in the log, so a hostile trainer cannot fill the database. @default 1000
   */
  maxDropsPerTrainer?: number;
  jetStream?: JetStreamOptions;
}

/** The window `maxDropsPerTrainer` counts over. */
const DROPS_WINDOW = "24 hours";

export interface Ingest {
  stop(): Promise<void>;
}

/** Redelivery delay after a failed write: grows with each delivery, capped. */
export const retryDelayMs = (deliveryCount: number) => Math.min(500 * 2 ** Math.max(0, deliveryCount - 1), 30_000);

/**
 * Probe interval while the database is unreachable: capped low, so waiting events are stored
 * within seconds of its return. Each probe is cheap (a refused connection).
 */
export const unreachableRetryDelayMs = (deliveryCount: number) =>
  Math.min(500 * 2 ** Math.max(0, deliveryCount - 1), 5_000);

/** One message's events, validated: a message (a bare event or a trainer's batch) is stored or refused as a unit. */
interface Parsed {
  msg: JsMsg;
  events: RunEvent[];
}

/**
 * Pulls run events from the durable consumer every gateway replica shares and persists them.
 * Batches form on their own: while one transaction runs, the next messages queue in the
 * iterator and go together into the next one. Acks go out only after commit.
 */
export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const { db, nc, log, onStored } = options;
  const maxBatch = options.maxBatch ?? 1000;
  const deadLetterAfter = options.deadLetterAfter ?? 8;

  const maxDrops = options.maxDropsPerTrainer ?? 1000;
  let unrecorded = 0;
  /**
   * Records an event that changes nothing, so an operator sees it (Query.eventDrops): at most
   * `maxDrops` per sending trainer per window, checked in the same statement as the insert.
   * Replicas inserting at the same instant may pass the cap by a batch each, never more.
   */
  const recordDrop = async (msg: JsMsg, kind: "REFUSED" | "DEAD_LETTER", reason: string, event?: RunEvent) => {
    const raw = event ?? firstEventOf(safeJson(msg.data));
    const text = (v: unknown) => (typeof v === "string" ? v.slice(0, 200) : null);
    const trainerId = idsFromEventsSubject(msg.subject)?.trainerId ?? null;
    // Only what the integer column holds: a drop that cannot be recorded is redelivered, forever.
    const attempt = Number.isInteger(raw?.attempt) && Math.abs(raw?.attempt as number) < 2 ** 31 ? raw?.attempt : null;
    const inserted = await db.execute(sql`
      insert into ${eventDrops} (kind, subject, run_id, trainer_id, event_type, attempt, reason)
      select ${kind}, ${msg.subject.slice(0, 300)}, ${text(raw?.runId)}, ${trainerId}, ${text(raw?.type)},
             ${attempt}::integer, ${reason.slice(0, 2_000)}
      where (select count(*) from ${eventDrops}
             where trainer_id is not distinct from ${trainerId}::text
               and at > now() - ${DROPS_WINDOW}::interval) < ${maxDrops}
      returning id`);
    if (rowCount(inserted) === 0 && ++unrecorded % 1000 === 1) {
      log(`ingest: trainer ${trainerId} is past ${maxDrops} recorded drops a day; ${unrecorded} more not recorded`);
    }
  };
  const refuse = async (msg: JsMsg, reason: string, event?: RunEvent) => {
    log(`ingest: refused message ${msg.seq} on ${msg.subject}: ${reason}`);
    try {
      await recordDrop(msg, "REFUSED", reason, event);
    } catch (error) {
      // Not recorded (database down): let it come back and be judged again.
      log(`ingest: could not record a refused event: ${describe(error)}`);
      msg.nak(retryDelayMs(msg.info.deliveryCount));
      return;
    }
    // No reason argument: `+TERM <reason>` needs nats-server 2.10.4+.
    msg.term();
  };

  /**
   * Who sent it: NATS pins each trainer to `graft.events.<its id>.*`, so the subject names the
   * sender; the body must agree, and its claim must be made with the run's job token, which
   * only the trainers delivered the job have. Every event of a batch is checked.
   */
  const identityProblem = (ids: ReturnType<typeof idsFromEventsSubject>, event: RunEvent): string | undefined => {
    if (!ids) return "not a run events subject";
    if (ids.trainerId.toLowerCase() !== event.trainerId.toLowerCase()) {
      return `sent on trainer ${ids.trainerId}'s subject but names trainer ${event.trainerId}`;
    }
    if (ids.runId.toLowerCase() !== event.runId.toLowerCase()) {
      return `sent on run ${ids.runId}'s subject but names run ${event.runId}`;
    }
    if (!verifiedClaim(event)) return `trainer ${ids.trainerId} cannot prove it was given run ${event.runId}`;
    return undefined;
  };
  /**
   * A claim depends only on run, attempt and trainer, so every event of an attempt carries the
   * same one: remember those that verified instead of computing two HMACs per event. Only
   * successes are kept (a forger cannot fill the cache), and the map is bounded.
   */
  const verifiedClaims = new Set<string>();
  const verifiedClaim = (event: RunEvent): boolean => {
    const key = `${event.runId} ${event.attempt} ${event.trainerId} ${event.claim}`;
    if (verifiedClaims.has(key)) return true;
    if (!options.verifyClaim(event)) return false;
    if (verifiedClaims.size >= VERIFIED_CLAIMS_KEPT) verifiedClaims.clear();
    verifiedClaims.add(key);
    return true;
  };
  const jsm = await ensureStreams(nc, options.jetStream).catch(async (error: unknown) => {
    // Another process may have created the streams with other settings (e.g. memory storage): use them.
    const jsm = await jetstreamManager(nc);
    await jsm.streams.info(RUN_EVENTS_STREAM).catch(() => {
      throw error;
    });
    return jsm;
  });
  await ensureIngestConsumer(jsm);
  const consumer = await jetstream(nc).consumers.get(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: maxBatch * 2 });

  /**
   * Parses and checks a batch's messages; refuses (records and terminates) those that fail.
   * It runs while the previous batch's transaction waits on the database, so it gives the
   * event loop a turn every `VALIDATE_SLICE_EVENTS` events: without it each of that
   * transaction's replies waited for the whole batch's validation before the next statement
   * could go out, and the database sat idle meanwhile.
   */
  const validate = async (batch: JsMsg[]) => {
    const parsed: Parsed[] = [];
    let sinceYield = 0;
    for (const msg of batch) {
      if (sinceYield >= VALIDATE_SLICE_EVENTS) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
      let events: RunEvent[];
      try {
        events = parseRunEvents(msg.subject, msg.data);
      } catch (error) {
        await refuse(msg, (error as Error).message.slice(0, 1_000));
        continue;
      }
      sinceYield += events.length;
      const ids = idsFromEventsSubject(msg.subject);
      // A batch's events share run, attempt and trainer (its schema), and mostly the claim: an
      // event naming the same four as the one before, which passed, passes too.
      let passed: RunEvent | undefined;
      const refusal = firstOf(events, (event) => {
        if (
          event.claim === passed?.claim &&
          event.runId === passed.runId &&
          event.trainerId === passed.trainerId &&
          event.attempt === passed.attempt
        )
          return undefined;
        const problem = identityProblem(ids, event);
        if (!problem) passed = event;
        return problem;
      });
      if (refusal) await refuse(msg, batchReason(events, refusal), refusal.event);
      else parsed.push({ msg, events });
    }
    return parsed;
  };

  /** Stores whole messages, at most about `maxBatch` events per transaction. */
  const persistAll = async (items: Parsed[]): Promise<void> => {
    for (const transaction of transactionsOf(items)) await persist(transaction);
    await published;
  };
  /** Whole messages in groups of at most about `maxBatch` events: one transaction each. */
  const transactionsOf = (items: Parsed[]): Parsed[][] => {
    const groups: Parsed[][] = [];
    let from = 0;
    while (from < items.length) {
      let to = from;
      for (
        let events = 0;
        to < items.length && (to === from || events + (items[to]?.events.length ?? 0) <= maxBatch);
        to++
      )
        events += items[to]?.events.length ?? 0;
      groups.push(items.slice(from, to));
      from = to;
    }
    return groups;
  };

  /**
   * What follows a commit (acks, announcements, refusals) runs on the next event-loop turn:
   * by then the next transaction's BEGIN is on its way to the database, so this work overlaps
   * its round trip instead of sitting between two transactions. Each batch's waits for the one
   * before, so acks and announcements keep the order of the commits.
   */
  let published: Promise<void> = Promise.resolve();
  const afterCommit = (work: () => Promise<void>) => {
    published = published
      .then(() => new Promise((r) => setImmediate(r)))
      .then(work)
      .catch((error: unknown) => log(`ingest: after a commit: ${describe(error)}`));
  };

  const persist = async (items: Parsed[]): Promise<void> => {
    try {
      const result = await applyBatch(
        db,
        items.flatMap((i) => i.events),
        (key, claimed) => checkOutput(options.store, key, claimed),
        new Date(),
        runStates,
      );
      afterCommit(() => publish(items, result));
    } catch (error) {
      if (isDatabaseUnreachable(error)) {
        // Not the events' fault. Hold this batch, and everything queued behind it, until the
        // database answers again, then store them in the order they came: a nak would let a
        // later event (the run's `succeeded`) overtake earlier ones (its epochs). JetStream
        // keeps the rest; nothing is terminated however long the outage lasts.
        log(
          `ingest: database unreachable, ${items.length + staged.length + queue.length} message(s) wait in order: ${describe(error)}`,
        );
        if (await waitForDatabase(items.map((i) => i.msg))) {
          log("ingest: database reachable again, storing the waiting events");
          await persist(items);
        } else {
          for (const item of items) item.msg.nak(); // stopping: another replica takes them
        }
        return;
      }
      if (items.length > 1) {
        // One bad message must not hold the others back: retry them one by one.
        for (const item of items) await persist([item]);
        return;
      }
      const [item] = items;
      const event = item?.events[0];
      if (!item || !event) return;
      const what = `${item.events.length > 1 ? `${item.events.length} events from ` : ""}${event.type} of run ${event.runId}`;
      if (item.msg.info.deliveryCount >= deadLetterAfter && (await databaseAnswers())) {
        // It fails on its own while the database works: it never will apply. Keep the reason, stop trying.
        const reason = `failed to apply on ${item.msg.info.deliveryCount} deliveries: ${describe(error)}`;
        log(`ingest: dead-lettered ${what}: ${reason}`);
        try {
          await recordDrop(item.msg, "DEAD_LETTER", reason, event);
          item.msg.term();
          return;
        } catch (recordError) {
          log(`ingest: could not record a dead letter: ${describe(recordError)}`);
        }
      }
      const delay = retryDelayMs(item.msg.info.deliveryCount);
      log(`ingest: storing ${what} failed (redelivery in ${delay} ms): ${describe(error)}`);
      item.msg.nak(delay);
    }
  };

  /** Acks, refusals and announcements of a committed batch (see `afterCommit`). */
  const publish = async (items: Parsed[], { verdicts, updates, superseded, ended }: BatchResult) => {
    // Acks are sent without awaiting in between, so the NATS client writes them to its
    // socket together; an await per ack made one socket write per event.
    const refused: { item: Parsed; event: RunEvent; reason: string }[] = [];
    let offset = 0;
    for (const item of items) {
      const own = verdicts.slice(offset, offset + item.events.length);
      offset += item.events.length;
      // Not from the attempt's holder: the holder is one per run attempt, and a message's
      // events share theirs, so this refuses the message's every event.
      const refusal = firstOf(item.events, (_, i) => {
        const verdict = own[i];
        return verdict && !verdict.stored && verdict.refused ? verdict.reason : undefined;
      });
      if (refusal) refused.push({ item, event: refusal.event, reason: batchReason(item.events, refusal) });
      else settle(item, own);
    }
    for (const { item, event, reason } of refused) await refuse(item.msg, reason, event);
    if (updates.length > 0) onStored(updates);
    // The holder of an older attempt stops at once instead of training on unheard.
    for (const { runId, attempt } of superseded) {
      nc.publish(runControlSubject(runId), encodeMessage({ type: "superseded", runId, attempt }));
    }
    // A trainer working on an ended run (its job outlived a cancel) stops and acks the job.
    for (const { runId, status } of ended) {
      nc.publish(
        runControlSubject(runId),
        encodeMessage({ type: "cancel", runId, reason: `the run already ended ${status}` }),
      );
    }
  };

  const databaseAnswers = () =>
    db.execute(sql`select 1`).then(
      () => true,
      () => false,
    );

  let stopping = false;
  /** Probes until the database answers (true) or ingest stops (false), keeping held messages ours. */
  const waitForDatabase = async (held: JsMsg[]): Promise<boolean> => {
    let lastKeptAlive = Date.now();
    for (let attempt = 1; !stopping; attempt++) {
      await new Promise((r) => setTimeout(r, unreachableRetryDelayMs(attempt)));
      if (Date.now() - lastKeptAlive >= 10_000) {
        // Well inside the 30 s ack wait: JetStream must not hand these to another replica meanwhile.
        for (const msg of [...held, ...aheadMessages, ...staged, ...queue]) msg.working();
        lastKeptAlive = Date.now();
      }
      try {
        await db.execute(sql`SELECT 1`);
        return true;
      } catch (error) {
        // Reachable but failing otherwise: let the real write report that.
        if (!isDatabaseUnreachable(error)) return true;
      }
    }
    return false;
  };

  /** Acks or terminates a message that was not refused (refusals are recorded first, see `refuse`). */
  const settle = ({ msg, events }: Parsed, verdicts: (Verdict | undefined)[]) => {
    let unknownRun = false;
    for (const [i, event] of events.entries()) {
      const verdict = verdicts[i];
      if (!verdict || verdict.stored) continue;
      // Late progress is routine (it races the attempt's end) and says nothing worth a line.
      if (event.type !== "progress")
        log(`ingest: dropped ${event.type} of run ${event.runId} attempt ${event.attempt}: ${verdict.reason}`);
      unknownRun ||= verdict.unknownRun === true;
    }
    if (unknownRun) msg.term();
    else msg.ack();
  };

  // The reader queues what JetStream delivers; the writer stores whatever has queued up since
  // its last transaction. (The iterator's own pending count includes flow-control entries,
  // so it cannot tell when a batch is complete.)
  const queue: JsMsg[] = [];
  /** The queue's payload bytes: a trainer's batch message holds many events, so messages alone do not bound it. */
  let queuedBytes = 0;
  /** The batch parsed while the one before it is being written: taken from the queue, not stored yet. */
  let staged: JsMsg[] = [];
  let committing: Promise<void> = Promise.resolve();
  let wake: (() => void) | undefined;
  let drained: (() => void) | undefined;
  let reading = true;
  const reader = (async () => {
    for await (const msg of messages) {
      queue.push(msg);
      queuedBytes += msg.data.length;
      wake?.();
      if (queue.length >= maxBatch * 4 || queuedBytes >= QUEUED_BYTES_MAX)
        await new Promise<void>((r) => (drained = r));
    }
  })().finally(() => {
    reading = false;
    wake?.();
  });
  /**
   * Lets a burst finish arriving before a transaction starts. JetStream delivers a backlog in
   * socket-sized chunks (~100 events each); waking on the first message made batches of 1-100
   * events, and a transaction's fixed cost (about ten statements) then bounded ingest. Each
   * wait is one event-loop turn, so a lone event is delayed by well under a millisecond.
   */
  const gather = async () => {
    const deadline = performance.now() + GATHER_MAX_MS;
    while (queue.length < maxBatch && performance.now() < deadline) {
      const before = queue.length;
      await new Promise((r) => setImmediate(r));
      if (queue.length === before) return;
    }
  };
  /**
   * Takes up to n messages, and about `maxBatch` events' worth of payload, off the queue (whole
   * messages), letting the reader go on if it waited for room.
   */
  const take = (n: number) => {
    let count = 0;
    let bytes = 0;
    for (; count < Math.min(n, queue.length) && (count === 0 || bytes < maxBatch * TAKEN_BYTES_PER_EVENT); count++)
      bytes += queue[count]?.data.length ?? 0;
    const taken = queue.splice(0, count);
    queuedBytes -= bytes;
    drained?.();
    drained = undefined;
    return taken;
  };
  const validateLogged = (batch: JsMsg[]): Promise<Parsed[]> =>
    validate(batch).catch((error: unknown) => {
      log(`ingest: ${describe(error)}`);
      return [];
    });

  /**
   * Batches written ahead: a batch that changes no run's state, on runs whose state is known
   * (`planAhead`), goes out in one message while the batches before it are still being written,
   * on its own connection; the database orders it behind them by the runs' locks, and its
   * insert checks that the runs have not moved. Meanwhile this thread validates and plans the
   * next one, so JavaScript and the database work at the same time. A batch that cannot be
   * written ahead, or whose runs had moved, goes the ordinary way once everything before it is done.
   */
  const runStates = new RunStates();
  /** Batches written ahead and not settled yet, with their runs. */
  const writingAhead = new Map<Promise<void>, ReadonlySet<string>>();
  /** Messages of batches written ahead and not settled yet (kept alive while the database is away). */
  const aheadMessages = new Set<JsMsg>();
  /** An ordinary batch is being written: the states of its runs are not known until it is. */
  let ordinaryInFlight = false;
  /** Writes ahead the batch's first transactions that can be (see above); returns the rest. */
  const writeAheadWhatCan = async (parsed: Parsed[]): Promise<Parsed[]> => {
    const transactions = transactionsOf(parsed);
    let written = 0;
    while (written < transactions.length && (await writeAhead(transactions[written] as Parsed[]))) written++;
    return transactions.slice(written).flat();
  };
  const writeAhead = async (parsed: Parsed[]): Promise<boolean> => {
    // The runs' states are known once the ordinary batch before has applied its events.
    if (ordinaryInFlight) await committing;
    while (writingAhead.size >= MAX_WRITING_AHEAD) await Promise.race(writingAhead.keys());
    const plan = planAhead(
      parsed.flatMap((item) => item.events),
      runStates,
    );
    if (!plan) return false;
    // One still being written that shares a run goes first: sent on another connection, this
    // one could take the run's lock before it, and store and announce later events first.
    for (const [pending, runIds] of [...writingAhead]) {
      if (plan.runIds.some((id) => runIds.has(id))) await pending;
    }
    for (const item of parsed) aheadMessages.add(item.msg);
    const before = committing;
    const written = commitAhead(db, plan).then(
      (result) => {
        if (result) afterCommit(() => publish(parsed, result));
        else for (const id of plan.runIds) runStates.forget(id); // a run moved under us
        return result;
      },
      (error: unknown) => {
        // Whatever failed (the database away, a bad row), the ordinary way handles it.
        log(`ingest: a batch written ahead goes the ordinary way: ${describe(error)}`);
        return undefined;
      },
    );
    // Settled once its events are stored: ahead, or else the ordinary way after all before it.
    const settled = written
      .then(async (result) => {
        if (!result) {
          await before;
          await persistAll(parsed);
        }
      })
      .catch((error: unknown) => log(`ingest: ${describe(error)}`));
    writingAhead.set(settled, new Set(plan.runIds));
    void settled.finally(() => writingAhead.delete(settled));
    committing = Promise.all([settled, before]).then(() => {
      for (const item of parsed) aheadMessages.delete(item.msg);
    });
    return true;
  };

  const writer = (async () => {
    for (;;) {
      if (queue.length === 0) {
        if (!reading) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      await gather();
      const batch = take(maxBatch);
      // The next batch is parsed while the previous one's transaction waits on the database,
      // and written once that one has committed (and been acked), so order is kept, unless it
      // can be written ahead (see writeAhead).
      staged = batch;
      const parsed = await writeAheadWhatCan(await validateLogged(batch));
      if (parsed.length === 0) {
        staged = [];
        continue;
      }
      await committing;
      staged = [];
      if (eventsIn(parsed) < maxBatch && queue.length > 0) {
        // What arrived while waiting joins this batch: a trickle still goes in one transaction.
        // (Counted in events: a trainer's batch message holds many, and a batch already a
        // transaction's worth goes in at once instead of waiting for more to be validated.)
        const more = take(maxBatch - batch.length);
        parsed.push(...(await validateLogged(more)));
      }
      if (parsed.length > 0) {
        ordinaryInFlight = true;
        committing = persistAll(parsed)
          .catch((error: unknown) => log(`ingest: ${describe(error)}`))
          .finally(() => {
            ordinaryInFlight = false;
          });
      }
    }
  })().finally(() => committing);
  const loop = Promise.all([reader, writer]);

  return {
    async stop() {
      stopping = true;
      await messages.close().catch(() => {});
      await loop.catch(() => {});
    },
  };
}

/** Verified claims remembered (one per run attempt and sender). */
const VERIFIED_CLAIMS_KEPT = 10_000;

/** Batches written ahead at once (each holds a connection while it waits for the runs' locks). */
const MAX_WRITING_AHEAD = 2;

/** Events validated between two event-loop turns (a trainer's batch message holds up to 500). */
const VALIDATE_SLICE_EVENTS = 100;

/** Longest a batch waits for more of a burst to arrive. */
const GATHER_MAX_MS = 20;

/**
 * Payload bytes per event of `maxBatch` the writer takes at once (an epoch event is about 500),
 * so with batch messages it parses about a transaction's worth while the previous one runs.
 */
const TAKEN_BYTES_PER_EVENT = 1024;

/** Payload bytes queued ahead of the writer before the reader waits for room. */
const QUEUED_BYTES_MAX = 32 * 2 ** 20;

const eventsIn = (items: readonly Parsed[]) => items.reduce((n, item) => n + item.events.length, 0);

/** The first item `problem` finds fault with, and what it found. */
function firstOf(
  events: readonly RunEvent[],
  problem: (event: RunEvent, index: number) => string | undefined,
): { event: RunEvent; index: number; reason: string } | undefined {
  for (const [index, event] of events.entries()) {
    const reason = problem(event, index);
    if (reason) return { event, index, reason };
  }
  return undefined;
}

/** A refusal's reason, saying which event of a batch caused it (a bare event's reason is unchanged). */
const batchReason = (events: readonly RunEvent[], refusal: { index: number; reason: string }) =>
  events.length === 1 ? refusal.reason : `event ${refusal.index + 1} of a batch of ${events.length}: ${refusal.reason}`;

/** The event a drop is recorded under when its message could not be parsed: the first of a batch, or the message. */
function firstEventOf(json: unknown): Partial<RunEvent> | undefined {
  if (typeof json !== "object" || json === null) return undefined;
  const events = (json as { events?: unknown }).events;
  const first = Array.isArray(events) ? events[0] : json;
  return typeof first === "object" && first !== null ? (first as Partial<RunEvent>) : undefined;
}

/** Rows a RETURNING statement gave back, whichever driver ran it. */
function rowCount(result: unknown): number {
  const rows = (result as { rows?: unknown[] }).rows ?? (Array.isArray(result) ? result : []);
  return rows.length;
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

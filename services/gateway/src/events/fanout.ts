import { ALL_TRAINER_UPDATES, parseMessage, runUpdatesSubject, trainerUpdateSchema } from "@graft/contracts";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { Mailbox } from "./mailbox.ts";
import { parseRunUpdates } from "./notify.ts";
import { type RunEventPayload, runEventFromWire, type TrainerEventPayload, trainerEventFromWire } from "./payloads.ts";

/**
 * Feeds this replica's subscribers from core-NATS notifications. Plain subscriptions, no
 * queue group: every replica hears every notification. A run's subject is subscribed while
 * at least one local subscriber watches it, so a replica only receives runs it serves. LOG
 * lines and PROGRESS reports may be dropped for a lagging subscriber; STATUS and EPOCH never
 * are (see Mailbox, and graphql/ws-frames.ts for a websocket subscriber: one too far behind
 * is disconnected instead).
 */
export class RunFanout {
  readonly #topics = new Map<
    string,
    { sub: Subscription; boxes: Set<Mailbox<RunEventPayload>>; ready: Promise<void> }
  >();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: (line: string) => void,
  ) {}

  /** `prelude` is read once the NATS subscription is live and handed out first (see Mailbox). */
  subscribe(
    runId: string,
    prelude?: () => Promise<RunEventPayload | undefined>,
  ): AsyncIterableIterator<RunEventPayload, undefined> {
    return this.subscribeMany([runId], prelude);
  }

  /**
   * The updates of several runs in one stream (a study's), in arrival order; `prelude` is
   * read once every run's subscription is live.
   */
  subscribeMany<P = RunEventPayload>(
    runIds: readonly string[],
    prelude?: () => Promise<P | undefined>,
  ): AsyncIterableIterator<RunEventPayload | P, undefined> {
    const ids = [...new Set(runIds)];
    for (const runId of ids) runUpdatesSubject(runId); // a malformed id throws before anything is subscribed
    const topics = ids.map((runId) => this.#topic(runId));
    const box: Mailbox<RunEventPayload | P> = new Mailbox<RunEventPayload | P>({
      // The next PROGRESS supersedes a dropped one within a second.
      droppable: (e) => {
        const kind = (e as RunEventPayload | undefined)?.kind;
        return kind === "LOG" || kind === "PROGRESS";
      },
      ready: Promise.all(topics.map((t) => t.ready)).then(() => undefined),
      ...(prelude ? { prelude } : {}),
      onClose: () => {
        for (const [i, topic] of topics.entries()) {
          topic.boxes.delete(box as Mailbox<RunEventPayload>);
          const runId = ids[i] as string;
          if (topic.boxes.size === 0 && this.#topics.get(runId) === topic) {
            this.#topics.delete(runId);
            topic.sub.unsubscribe();
          }
        }
      },
    });
    for (const topic of topics) topic.boxes.add(box as Mailbox<RunEventPayload>);
    return box;
  }

  #topic(runId: string) {
    const existing = this.#topics.get(runId);
    if (existing) return existing;
    const subject = runUpdatesSubject(runId);
    const boxes = new Set<Mailbox<RunEventPayload>>();
    const sub = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return this.log(`fanout: ${subject}: ${error.message}`);
        let payloads: RunEventPayload[];
        try {
          payloads = parseRunUpdates(msg.subject, msg.data).map(runEventFromWire);
        } catch (e) {
          return this.log(`fanout: rejected update: ${(e as Error).message}`);
        }
        for (const box of boxes) for (const payload of payloads) box.push(payload);
      },
    });
    // Subscribers start receiving once the server has the subscription.
    const ready = this.nc.flush();
    ready.catch(() => {});
    const topic = { sub, boxes, ready };
    this.#topics.set(runId, topic);
    return topic;
  }

  /** Local subscribers per run, for tests and metrics. */
  subscriberCount(runId: string): number {
    return this.#topics.get(runId)?.boxes.size ?? 0;
  }

  get subscribedRuns(): number {
    return this.#topics.size;
  }

  close(): void {
    for (const topic of [...this.#topics.values()]) for (const box of [...topic.boxes]) box.close();
  }
}

/** Every trainer change to every local trainer subscriber; HEARTBEATs may be dropped for a lagging one. */
export class TrainerFanout {
  readonly #boxes = new Set<Mailbox<TrainerEventPayload>>();
  readonly #sub: Subscription;
  readonly #ready: Promise<void>;

  constructor(nc: NatsConnection, log: (line: string) => void) {
    this.#sub = nc.subscribe(ALL_TRAINER_UPDATES, {
      callback: (error, msg) => {
        if (error) return log(`fanout: ${ALL_TRAINER_UPDATES}: ${error.message}`);
        let payload: TrainerEventPayload;
        try {
          payload = trainerEventFromWire(parseMessage(trainerUpdateSchema, msg.subject, msg.data));
        } catch (e) {
          return log(`fanout: rejected update: ${(e as Error).message}`);
        }
        for (const box of this.#boxes) box.push(payload);
      },
    });
    this.#ready = nc.flush();
    this.#ready.catch(() => {});
  }

  subscribe(): AsyncIterableIterator<TrainerEventPayload, undefined> {
    const box: Mailbox<TrainerEventPayload> = new Mailbox({
      droppable: (e) => e.kind === "HEARTBEAT",
      ready: this.#ready,
      onClose: () => this.#boxes.delete(box),
    });
    this.#boxes.add(box);
    return box;
  }

  get subscriberCount(): number {
    return this.#boxes.size;
  }

  close(): void {
    for (const box of [...this.#boxes]) box.close();
    this.#sub.unsubscribe();
  }
}

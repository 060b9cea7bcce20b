import { ALL_RUN_UPDATES, type RunStatus, type RunUpdate, TERMINAL_RUN_STATUSES } from "@graft/contracts";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { parseRunUpdates } from "./notify.ts";
import type { ProgressPayload } from "./payloads.ts";

/** Runs whose progress a replica keeps at most; the longest-silent go first. */
const MAX_RUNS = 10_000;

/**
 * The kinds the board acts on, as encodeMessage (JSON.stringify) writes them. Every replica
 * hears every run's announcements, nearly all EPOCH and LOG; looking for these bytes skips
 * those before the schema parse (about 10 µs each). A string value cannot hold them (its
 * quotes are escaped), and a false match only costs the parse it would have had anyway.
 */
const BOARD_KINDS = ['"kind":"PROGRESS"', '"kind":"STATUS"'].map((kind) => Buffer.from(kind));
const mayConcernBoard = (data: Uint8Array) => {
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return BOARD_KINDS.some((kind) => bytes.includes(kind));
};

/**
 * The latest progress of every active run, in this replica's memory. Progress is ephemeral
 * (about one event a second per run, worthless a few seconds later), so it is never written to
 * the database: ingest fences it and announces it on core NATS like any stored event, and every
 * replica listens to all runs' announcements here, so `Run.progress` answers the same behind a
 * load balancer. A restarted replica knows a run's progress again at its next report.
 */
export class ProgressBoard {
  readonly #latest = new Map<string, { attempt: number; progress: ProgressPayload }>();
  readonly #sub: Subscription;

  constructor(nc: NatsConnection, log: (line: string) => void) {
    this.#sub = nc.subscribe(ALL_RUN_UPDATES, {
      callback: (error, msg) => {
        if (error) return log(`progress: ${ALL_RUN_UPDATES}: ${error.message}`);
        if (!mayConcernBoard(msg.data)) return;
        try {
          for (const update of parseRunUpdates(msg.subject, msg.data)) this.apply(update);
        } catch (e) {
          log(`progress: rejected update: ${(e as Error).message}`);
        }
      },
    });
  }

  /** Takes PROGRESS announcements; a status change ends what the previous progress described. */
  apply(update: RunUpdate): void {
    const runId = update.runId.toLowerCase();
    const known = this.#latest.get(runId);
    if (update.kind === "PROGRESS" && update.progress && update.attempt !== null) {
      const at = new Date(update.at);
      // Replicas announce concurrently: an older report (or an older attempt's) never overwrites a newer one.
      if (
        known &&
        (known.attempt > update.attempt || (known.attempt === update.attempt && known.progress.updatedAt > at))
      )
        return;
      this.#latest.delete(runId); // re-inserted last: the Map's order is the eviction order
      this.#latest.set(runId, { attempt: update.attempt, progress: { ...update.progress, updatedAt: at } });
      if (this.#latest.size > MAX_RUNS) this.#latest.delete(this.#latest.keys().next().value as string);
    } else if (update.kind === "STATUS" && known && (update.attempt ?? known.attempt) >= known.attempt) {
      if (TERMINAL_RUN_STATUSES.has(update.status) || update.status === "QUEUED") this.#latest.delete(runId);
    }
  }

  /**
   * The run's latest progress, if it belongs to the attempt the run (as the caller read it)
   * is on and that attempt is still being worked on.
   */
  get(run: { id: string; status: RunStatus; currentAttempt: number }): ProgressPayload | null {
    if (run.status !== "ASSIGNED" && run.status !== "RUNNING") return null;
    const known = this.#latest.get(run.id.toLowerCase());
    return known && known.attempt === run.currentAttempt ? known.progress : null;
  }

  close(): void {
    this.#sub.unsubscribe();
  }
}

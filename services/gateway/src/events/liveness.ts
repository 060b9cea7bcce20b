import { ALL_TRAINER_HEARTBEATS, type Heartbeat, heartbeatSchema, isUuid, parseMessage } from "@graft/contracts";
import { type Db, rowsOf } from "@graft/db";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { handBackRuns } from "./hand-back.ts";
import { publishTrainerUpdate } from "./notify.ts";
import { WireView } from "./wire-view.ts";

export const HEARTBEATS_QUEUE = "gateway-heartbeats";

export interface LivenessOptions {
  db: Db;
  nc: NatsConnection;
  log: (line: string) => void;
  offlineAfterMs: number;
}

/**
 * Trainer liveness, judged from what this replica heard on the wire (see WireView), not from
 * what it managed to store: every replica hears every heartbeat; one of them (queue group)
 * stores it, best effort, for the fleet view. Stored times are the database's `now()`.
 * The sweep flips silent trainers to OFFLINE in one UPDATE ... RETURNING, so exactly one
 * replica reports each and hands its runs back to the pool (hand-back.ts).
 */
export function startLiveness({ db, nc, log, offlineAfterMs }: LivenessOptions): { stop(): Promise<void> } {
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const wire = new WireView(offlineAfterMs);

  // Every replica hears every heartbeat: each judges liveness on its own.
  const heard: Subscription = nc.subscribe(ALL_TRAINER_HEARTBEATS, {
    callback: (error, msg) => {
      if (error) return;
      const hb = heartbeatSchema.safeParse(safeJson(msg.data));
      if (hb.success && isUuid(hb.data.trainerId)) wire.observe(hb.data.trainerId, hb.data.seq, hb.data.at);
    },
  });
  const stored: Subscription = nc.subscribe(ALL_TRAINER_HEARTBEATS, {
    queue: HEARTBEATS_QUEUE,
    callback: (error, msg) => {
      if (error) return log(`liveness: ${error.message}`);
      let hb: Heartbeat;
      try {
        hb = parseMessage(heartbeatSchema, msg.subject, msg.data);
      } catch (e) {
        return log(`liveness: rejected heartbeat: ${(e as Error).message}`);
      }
      // A beat overtaken by a newer one must not overwrite the newer status.
      if (wire.isSuperseded(hb.trainerId, hb.seq, hb.at)) return;
      track(recordHeartbeat(hb).catch((e: unknown) => log(`liveness: heartbeat of ${hb.trainerId}: ${describe(e)}`)));
    },
  });
  // Ends when the connection closes.
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") wire.disconnected();
      else if (status.type === "reconnect") wire.reconnected();
    }
  })().catch(() => {});

  const recordHeartbeat = async (hb: Heartbeat) => {
    if (!isUuid(hb.trainerId)) return;
    // A heartbeat may say OFFLINE only if a trainer lies; it is alive, so treat that as IDLE.
    const status = hb.status === "OFFLINE" ? "IDLE" : hb.status;
    const rows = rowsOf<{ id: string; old_status: string; status: string }>(
      await db.execute(sql`
        UPDATE trainers t
        SET last_heartbeat_at = now(), status = ${status}::trainer_status,
            current_runs = ${JSON.stringify(hb.currentRuns)}::jsonb
        FROM (SELECT id, status AS old_status FROM trainers WHERE id = ${hb.trainerId} FOR UPDATE) o
        WHERE t.id = o.id
        RETURNING t.id, o.old_status, t.status`),
    );
    const [row] = rows;
    if (!row) return; // unknown trainer: it must register first
    await publishTrainerUpdate(nc, row.id, "HEARTBEAT");
    if (row.old_status !== row.status) await publishTrainerUpdate(nc, row.id, "STATUS_CHANGED");
  };

  let sweeping = false;
  const sweep = async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const live = rowsOf<{ id: string }>(await db.execute(sql`SELECT id FROM trainers WHERE status <> 'OFFLINE'`));
      const silent = wire.silent(live.map((r) => r.id));
      if (silent.length === 0) return;
      // The stored time only vetoes: a trainer registered a moment ago has not beaten yet.
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`
          UPDATE trainers SET status = 'OFFLINE'
          WHERE id IN (${sql.join(
            silent.map((id) => sql`${id}::uuid`),
            sql`, `,
          )})
            AND status <> 'OFFLINE'
            AND coalesce(last_heartbeat_at, registered_at) < now() - ${offlineAfterMs} * interval '1 millisecond'
          RETURNING id`),
      );
      for (const { id } of rows) {
        log(`liveness: trainer ${id} is OFFLINE (no heartbeat for ${offlineAfterMs} ms)`);
        await publishTrainerUpdate(nc, id, "STALE");
        await publishTrainerUpdate(nc, id, "STATUS_CHANGED");
        try {
          for (const run of await handBackRuns(db, nc, id))
            log(`liveness: handed run ${run.runId} (attempt ${run.attempt}) of OFFLINE trainer ${id} back to its pool`);
        } catch (e) {
          log(
            `liveness: could not hand back the runs of ${id} (JetStream redelivers them after the ack wait): ${describe(e)}`,
          );
        }
      }
    } catch (e) {
      log(`liveness: sweep failed: ${describe(e)}`);
    } finally {
      sweeping = false;
    }
  };
  // At least once a second: the verdict (and the hand-back) comes at most a second late.
  const timer = setInterval(() => track(sweep()), Math.max(50, Math.min(1_000, Math.floor(offlineAfterMs / 4))));
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      heard.unsubscribe();
      stored.unsubscribe();
      await Promise.allSettled([...inflight]);
    },
  };
}

function safeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}

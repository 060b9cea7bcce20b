import {
  ALL_TRAINER_HEARTBEATS,
  type Heartbeat,
  heartbeatSchema,
  isUuid,
  parseMessage,
  trainerHeartbeatSubject,
} from "@graft/contracts";
import { type Db, rowsOf } from "@graft/db";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { publishTrainerUpdate } from "./notify.ts";

export const HEARTBEATS_QUEUE = "gateway-heartbeats";

export interface LivenessOptions {
  db: Db;
  nc: NatsConnection;
  log: (line: string) => void;
  offlineAfterMs: number;
}

/**
 * Trainer liveness. Heartbeats are shared among replicas (queue group): each is stored once.
 * Times are the database's `now()`, not the trainer's clock, so skewed hosts and several
 * replicas agree. The sweep flips stale trainers to OFFLINE in one UPDATE ... RETURNING,
 * so exactly one replica reports each.
 */
export function startLiveness({ db, nc, log, offlineAfterMs }: LivenessOptions): { stop(): Promise<void> } {
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const sub: Subscription = nc.subscribe(ALL_TRAINER_HEARTBEATS, {
    queue: HEARTBEATS_QUEUE,
    callback: (error, msg) => {
      if (error) return log(`liveness: ${error.message}`);
      let hb: Heartbeat;
      try {
        hb = parseMessage(heartbeatSchema, msg.subject, msg.data);
      } catch (e) {
        return log(`liveness: rejected heartbeat: ${(e as Error).message}`);
      }
      // NATS lets a trainer publish only on its own heartbeat subject: the body must name the same trainer.
      if (msg.subject !== trainerHeartbeatSubject(hb.trainerId)) {
        return log(`liveness: rejected heartbeat naming ${hb.trainerId} on ${msg.subject}`);
      }
      track(recordHeartbeat(hb).catch((e: unknown) => log(`liveness: heartbeat of ${hb.trainerId}: ${describe(e)}`)));
    },
  });

  const recordHeartbeat = async (hb: Heartbeat) => {
    if (!isUuid(hb.trainerId)) return;
    // A heartbeat may say OFFLINE only if a trainer lies; it is alive, so treat that as IDLE.
    const status = hb.status === "OFFLINE" ? "IDLE" : hb.status;
    const rows = rowsOf<{ id: string; old_status: string; status: string }>(
      await db.execute(sql`
        UPDATE trainers t
        SET last_heartbeat_at = now(), status = ${status}::trainer_status,
            current_runs = ${JSON.stringify(hb.currentRuns)}::jsonb
        FROM (SELECT id, status AS old_status FROM trainers WHERE id = ${hb.trainerId} AND removed_at IS NULL FOR UPDATE) o
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
      const rows = rowsOf<{ id: string }>(
        await db.execute(sql`
          UPDATE trainers SET status = 'OFFLINE'
          WHERE status <> 'OFFLINE'
            AND coalesce(last_heartbeat_at, registered_at) < now() - ${offlineAfterMs} * interval '1 millisecond'
          RETURNING id`),
      );
      for (const { id } of rows) {
        log(`liveness: trainer ${id} is OFFLINE (no heartbeat for ${offlineAfterMs} ms)`);
        await publishTrainerUpdate(nc, id, "STALE");
        await publishTrainerUpdate(nc, id, "STATUS_CHANGED");
      }
    } catch (e) {
      log(`liveness: sweep failed: ${describe(e)}`);
    } finally {
      sweeping = false;
    }
  };
  const timer = setInterval(() => track(sweep()), Math.max(50, Math.floor(offlineAfterMs / 4)));
  timer.unref();

  return {
    async stop() {
      clearInterval(timer);
      sub.unsubscribe();
      await Promise.allSettled([...inflight]);
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Error)
    return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return String(error);
}

import { findJobSeq, JOBS_STREAM, jobsConsumerName } from "@graft/contracts";
import { type Db, rowsOf } from "@graft/db";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";

export interface HandedBack {
  runId: string;
  attempt: number;
}

/**
 * Hands the runs an OFFLINE trainer held back to its pool at once, instead of after
 * JetStream's ack wait (30 s): the gateway sends the `-NAK` the dead trainer never will.
 *
 * A NAK is addressed by the delivery's ack subject
 * `$JS.ACK.<stream>.<consumer>.<deliveries>.<stream seq>.<consumer seq>.<ts>.<pending>`.
 * The gateway knows the stream seq (it finds the run's job in the work queue) and the
 * deliveries (the run's current attempt is the JetStream delivery count); the server
 * accepts any consumer seq up to the consumer's last one, which consumer info gives.
 * The redelivery is attempt + 1, so the gateway fences off whatever the old holder still
 * sends, and the old holder, if it was only frozen, stops when it hears the new `assigned`.
 * Best effort: when any of this fails the ack wait still redelivers the job.
 */
export async function handBackRuns(db: Db, nc: NatsConnection, trainerId: string): Promise<HandedBack[]> {
  const held = rowsOf<{ id: string; pool: string; current_attempt: number }>(
    await db.execute(sql`
      SELECT id, pool, current_attempt FROM runs
      WHERE trainer_id = ${trainerId} AND status IN ('ASSIGNED', 'RUNNING') AND current_attempt > 0`),
  );
  if (held.length === 0) return [];
  const jsm = await jetstreamManager(nc);
  const handed: HandedBack[] = [];
  for (const run of held) {
    const seq = await findJobSeq(jsm, run.pool, run.id);
    if (seq === undefined) continue; // acked or terminated meanwhile: nothing to hand back
    const consumer = jobsConsumerName(run.pool);
    const info = await jsm.consumers.info(JOBS_STREAM, consumer);
    const ackSubject = `$JS.ACK.${JOBS_STREAM}.${consumer}.${run.current_attempt}.${seq}.${info.delivered.consumer_seq}.0.0`;
    nc.publish(ackSubject, "-NAK");
    handed.push({ runId: run.id, attempt: run.current_attempt });
  }
  await nc.flush();
  return handed;
}

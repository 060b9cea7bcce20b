import { encodeMessage, jobClaim, type RunEvent, runEventSchema, runEventsSubject } from "@graft/contracts";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Outbox } from "./outbox.ts";

type Body<E> = E extends RunEvent ? Omit<E, "runId" | "attempt" | "trainerId" | "at" | "claim"> : never;
export type RunEventBody = Body<RunEvent>;

/**
 * Publishes one attempt's events with JetStream, awaiting the stream's ack so nothing the
 * node moves on from is lost. Message ids make a retried publish land once:
 * `${runId}.${attempt}.epoch.${n}` for epochs, `${runId}.${attempt}.${type}` for the other
 * reports but logs and progress (which need none).
 * With an outbox, epochs and outcomes are written to disk first and never fail for want of
 * NATS: they go out in order once it is back (see Outbox).
 * The subject carries our trainer id (NATS lets us publish under no other) and each event the
 * claim made from the job's token, which tells the gateway we were delivered this attempt.
 */
/** The events that decide what the gateway stores: kept in the outbox until JetStream has them. */
const OUTBOXED = new Set<RunEvent["type"]>(["epoch", "succeeded", "failed", "cancelled"]);

/** How long a publish through the outbox waits for the ack before training goes on (the event stays queued). */
const OUTBOX_WAIT_MS = 10_000;

export function runEventPublisher(
  js: JetStreamClient,
  job: { runId: string; attempt: number; trainerId: string; jobToken: string },
  outbox?: Outbox,
) {
  const { jobToken, ...ids } = job;
  const subject = runEventsSubject(ids.trainerId, ids.runId);
  const claim = jobClaim(jobToken, ids);
  return async function publish(body: RunEventBody): Promise<void> {
    const event = runEventSchema.parse({ ...body, ...ids, claim, at: new Date().toISOString() });
    const msgID =
      event.type === "epoch"
        ? `${ids.runId}.${ids.attempt}.epoch.${event.epoch}`
        : event.type === "log" || event.type === "progress"
          ? undefined
          : `${ids.runId}.${ids.attempt}.${event.type}`;
    if (outbox && msgID && OUTBOXED.has(event.type)) {
      // One group per attempt: a backlog of this attempt's events may share a message.
      const group = `${ids.runId}.${ids.attempt}`;
      await outbox.send({ subject, msgID, data: JSON.stringify(event), group }, OUTBOX_WAIT_MS);
      return;
    }
    // Progress is stale within a second: one try, and the next report replaces a lost one.
    if (event.type === "progress") {
      await js.publish(subject, encodeMessage(event));
      return;
    }
    let delay = 250;
    for (let tries = 1; ; tries++) {
      try {
        await js.publish(subject, encodeMessage(event), msgID ? { msgID } : {});
        return;
      } catch (error) {
        // NATS may be reconnecting; a few retries ride that out, then the job fails transiently.
        if (tries >= 6) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 4_000);
      }
    }
  };
}

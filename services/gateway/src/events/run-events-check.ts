import { idsFromEventsSubject, parseRunEvents, type RunEvent } from "@graft/contracts";

/** A run-events message judged: its events, or why it is refused and the event the refusal is recorded under. */
export type MessageVerdict = { events: RunEvent[] } | { reason: string; event?: RunEvent };

/**
 * Decodes a message on a run-events subject (a bare event or a trainer's batch) and checks
 * who sent it: NATS pins each trainer to `graft.events.<its id>.*`, so the subject names the
 * sender, and every event must name the subject's trainer and run. Pure, so it runs in the
 * validation worker (see run-events-validator.ts) as well as in this thread. The claim check
 * (the job-token HMAC) is the caller's: a batch's events share run, attempt and trainer, so
 * the subject checks find fault with its first event or none, and checking claims afterwards
 * refuses the same event as checking each event fully in turn.
 */
export function checkRunEventsMessage(subject: string, data: Uint8Array): MessageVerdict {
  let events: RunEvent[];
  try {
    events = parseRunEvents(subject, data);
  } catch (error) {
    return { reason: (error as Error).message.slice(0, 1_000) };
  }
  const ids = idsFromEventsSubject(subject);
  const refusal = firstOf(events, (event) => {
    if (!ids) return "not a run events subject";
    if (ids.trainerId.toLowerCase() !== event.trainerId.toLowerCase()) {
      return `sent on trainer ${ids.trainerId}'s subject but names trainer ${event.trainerId}`;
    }
    if (ids.runId.toLowerCase() !== event.runId.toLowerCase()) {
      return `sent on run ${ids.runId}'s subject but names run ${event.runId}`;
    }
    return undefined;
  });
  return refusal ? { reason: batchReason(events, refusal), event: refusal.event } : { events };
}

/** The first item `problem` finds fault with, and what it found. */
export function firstOf(
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
export const batchReason = (events: readonly RunEvent[], refusal: { index: number; reason: string }) =>
  events.length === 1 ? refusal.reason : `event ${refusal.index + 1} of a batch of ${events.length}: ${refusal.reason}`;

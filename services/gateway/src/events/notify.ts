import {
  encodeMessage,
  InvalidMessageError,
  parseMessage,
  RUN_UPDATES_PER_MESSAGE,
  type RunUpdate,
  type RunUpdates,
  runUpdatesSchema,
  runUpdatesSubject,
  type TrainerUpdate,
  trainerUpdatesSubject,
} from "@graft/contracts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TrainerEventPayload } from "./payloads.ts";

/**
 * Announces stored run events to every gateway replica (core NATS, fire and forget): one
 * message per run (a `RunUpdates`, in the given order), not one per event. Per-message costs
 * (publishing, and every replica's receiving and dispatch) dominated ingesting a backlog.
 */
export function publishRunUpdates(nc: NatsConnection, updates: readonly RunUpdate[]): void {
  // Grouped by run id, so each run's subject is made (and its id checked) once, not per update.
  const byRun = new Map<string, RunUpdate[]>();
  for (const u of updates) {
    const list = byRun.get(u.runId);
    if (list) list.push(u);
    else byRun.set(u.runId, [u]);
  }
  for (const [runId, list] of byRun) {
    const subject = runUpdatesSubject(runId);
    for (let start = 0; start < list.length; start += RUN_UPDATES_PER_MESSAGE)
      publishWithin(nc, subject, list.slice(start, start + RUN_UPDATES_PER_MESSAGE));
  }
}

/**
 * Publishes the updates as one `RunUpdates` if its text is at most `MESSAGE_CHARS` long, else
 * as several, split by count. One `JSON.stringify` of the whole message makes the same text as
 * one per update joined, in about two thirds of the time (a backlog's 10,000 EPOCH updates:
 * 30 against 39-49 ms, measured); a split run costs one stringify more.
 */
function publishWithin(nc: NatsConnection, subject: string, updates: RunUpdate[]): void {
  const text = JSON.stringify({ updates } satisfies RunUpdates);
  if (text.length <= MESSAGE_CHARS || updates.length === 1) {
    nc.publish(subject, Buffer.from(text));
    return;
  }
  // A LOG line alone may be 10,000 characters: split well under NATS's 1 MB payload limit.
  const pieces = Math.min(updates.length, Math.ceil(text.length / (MESSAGE_CHARS * 0.8)));
  const size = Math.ceil(updates.length / pieces);
  for (let start = 0; start < updates.length; start += size)
    publishWithin(nc, subject, updates.slice(start, start + size));
}

/** Characters of a `RunUpdates` message's text: at most ~3 bytes each in UTF-8, so well under 1 MB. */
const MESSAGE_CHARS = 200_000;

/**
 * Validates a `RunUpdates` message heard on `subject`: every update must name the subject's
 * run, or a subscriber of one run would be handed another's events. Throws InvalidMessageError.
 */
export function parseRunUpdates(subject: string, data: Uint8Array): RunUpdate[] {
  const { updates } = parseMessage(runUpdatesSchema, subject, data);
  for (const u of updates) {
    if (runUpdatesSubject(u.runId) !== subject)
      throw new InvalidMessageError(subject, `an update names run ${u.runId}`);
  }
  return updates;
}

/**
 * Announces a trainer change to every gateway replica's trainerEvents subscribers. The domain
 * calls it after registerTrainer (REGISTERED) and drainTrainer (STATUS_CHANGED) commit.
 */
export async function publishTrainerUpdate(
  nc: NatsConnection,
  trainerId: string,
  kind: TrainerEventPayload["kind"],
): Promise<void> {
  const update: TrainerUpdate = { kind, trainerId, at: new Date().toISOString() };
  nc.publish(trainerUpdatesSubject(trainerId), encodeMessage(update));
  await nc.flush();
}

import {
  encodeMessage,
  InvalidMessageError,
  parseMessage,
  RUN_UPDATES_PER_MESSAGE,
  type RunUpdate,
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
  const byRun = new Map<string, string[]>();
  for (const u of updates) {
    const list = byRun.get(u.runId);
    if (list) list.push(JSON.stringify(u));
    else byRun.set(u.runId, [JSON.stringify(u)]);
  }
  for (const [runId, encoded] of byRun) {
    const subject = runUpdatesSubject(runId);
    // Split well under NATS's 1 MB payload limit: a LOG line alone may be 10,000 characters.
    let start = 0;
    let chars = 0;
    for (let i = 0; i < encoded.length; i++) {
      chars += (encoded[i] as string).length;
      const last = i === encoded.length - 1;
      if (last || i + 1 - start === RUN_UPDATES_PER_MESSAGE || chars >= MESSAGE_CHARS) {
        nc.publish(subject, new TextEncoder().encode(`{"updates":[${encoded.slice(start, i + 1).join(",")}]}`));
        start = i + 1;
        chars = 0;
      }
    }
  }
}

/** Characters of encoded updates per message: at most ~3 bytes each in UTF-8, so < 1 MB with the last one added. */
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

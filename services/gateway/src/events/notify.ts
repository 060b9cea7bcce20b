import {
  encodeMessage,
  type RunUpdate,
  runUpdatesSubject,
  type TrainerUpdate,
  trainerUpdatesSubject,
} from "@graft/contracts";
import type { NatsConnection } from "@nats-io/transport-node";
import type { TrainerEventPayload } from "./payloads.ts";

/** Announces a stored run event to every gateway replica (core NATS, fire and forget). */
export function publishRunUpdates(nc: NatsConnection, updates: readonly RunUpdate[]): void {
  for (const u of updates) nc.publish(runUpdatesSubject(u.runId), encodeMessage(u));
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

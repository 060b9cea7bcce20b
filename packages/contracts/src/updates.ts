import { z } from "zod";
import { idTokenSchema as id } from "./ids.ts";
import { epochRecordSchema } from "./metrics.ts";
import { runProgressSchema } from "./progress.ts";
import { RUN_STATUSES } from "./statuses.ts";
import { SUBJECT_ROOT, subjectToken } from "./subjects.ts";
import { SWEEP_STATUSES } from "./sweeps.ts";

/**
 * Core-NATS notifications the gateway publishes after it has stored (and fenced) an event,
 * so every gateway replica can feed its own GraphQL subscribers. Not for trainers.
 */

/**
 * Stored run events of one run, as GraphQL `RunEvent`s: each message is a `RunUpdates`, the
 * run's updates from one stored batch in order.
 */
export const runUpdatesSubject = (runId: string) => `${SUBJECT_ROOT}.runs.${subjectToken(runId, "run id")}.updates`;
export const ALL_RUN_UPDATES = `${SUBJECT_ROOT}.runs.*.updates`;

/** Changes of one trainer (registered, heartbeat, status, stale). */
export const trainerUpdatesSubject = (trainerId: string) =>
  `${SUBJECT_ROOT}.trainers.${subjectToken(trainerId, "trainer id")}.updates`;
export const ALL_TRAINER_UPDATES = `${SUBJECT_ROOT}.trainers.*.updates`;

/**
 * API keys one replica revoked: every replica drops them from its key cache at once, instead
 * of serving them until the cache's entries expire.
 */
export const API_KEYS_REVOKED = `${SUBJECT_ROOT}.keys.revoked`;
export const apiKeysRevokedSchema = z.object({ apiKeyIds: z.array(id).min(1).max(10_000) });
export type ApiKeysRevoked = z.infer<typeof apiKeysRevokedSchema>;

/** A sweep was looked at (a trial launched, judged at a rung, ended; the sweep ended or was cancelled). */
export const sweepUpdatesSubject = (sweepId: string) =>
  `${SUBJECT_ROOT}.sweeps.${subjectToken(sweepId, "sweep id")}.updates`;

const timestamp = z.iso.datetime({ offset: true });

export const RUN_UPDATE_KINDS = ["STATUS", "EPOCH", "LOG", "PROGRESS"] as const;
export const TRAINER_UPDATE_KINDS = ["REGISTERED", "HEARTBEAT", "STATUS_CHANGED", "STALE"] as const;

export const runUpdateSchema = z.object({
  kind: z.enum(RUN_UPDATE_KINDS),
  runId: id,
  status: z.enum(RUN_STATUSES),
  attempt: z.number().int().nullable(),
  epoch: epochRecordSchema.nullable(),
  message: z.string().nullable(),
  /** PROGRESS only: the attempt's latest progress, as the trainer sent it at `at`. */
  progress: runProgressSchema.nullable().default(null),
  at: timestamp,
});
export type RunUpdate = z.infer<typeof runUpdateSchema>;

/** Most updates in one `RunUpdates` message (the publisher also splits by size, see notify.ts). */
export const RUN_UPDATES_PER_MESSAGE = 1_000;

/**
 * One message on `runUpdatesSubject`: the run's updates from one stored batch, in order. One
 * message per run and batch instead of one per event: a backlog batch of 1,000 epochs over 20
 * runs is 20 NATS messages for every replica to receive, not 1,000. Every update names the
 * subject's run (checked by receivers, see `parseRunUpdates`).
 */
export const runUpdatesSchema = z.object({
  updates: z.array(runUpdateSchema).min(1).max(RUN_UPDATES_PER_MESSAGE),
});
export type RunUpdates = z.infer<typeof runUpdatesSchema>;

export const trainerUpdateSchema = z.object({
  kind: z.enum(TRAINER_UPDATE_KINDS),
  trainerId: id,
  at: timestamp,
});
export type TrainerUpdate = z.infer<typeof trainerUpdateSchema>;

export const sweepUpdateSchema = z.object({
  sweepId: id,
  status: z.enum(SWEEP_STATUSES),
  at: timestamp,
});
export type SweepUpdate = z.infer<typeof sweepUpdateSchema>;

/**
 * The life cycles Graft reports: of a run, of one attempt at it (one JetStream delivery of
 * its job) and of a trainer. The database enums, message schemas and GraphQL enums use these.
 */

/** QUEUED → ASSIGNED → RUNNING → SUCCEEDED | FAILED | CANCELLED; a retried run goes back to QUEUED. */
export const RUN_STATUSES = ["QUEUED", "ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** A run in one of these never changes status again. */
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
/** Runs that can still be cancelled: waiting for or held by a trainer. */
export const ACTIVE_RUN_STATUSES = ["QUEUED", "ASSIGNED", "RUNNING"] as const satisfies readonly RunStatus[];

/** LOST: a newer delivery of the job took over before this attempt ended. */
export const RUN_ATTEMPT_STATUSES = ["ASSIGNED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"] as const;
export type RunAttemptStatus = (typeof RUN_ATTEMPT_STATUSES)[number];
export const ENDED_RUN_ATTEMPT_STATUSES: ReadonlySet<RunAttemptStatus> = new Set([
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "LOST",
]);

export const TRAINER_STATUSES = ["IDLE", "BUSY", "DRAINING", "OFFLINE"] as const;
export type TrainerStatus = (typeof TRAINER_STATUSES)[number];

import { isIdToken } from "./ids.ts";

/**
 * NATS subject builders. Every subject Graft uses is built here, most general token
 * first and ids last, so wildcards such as `graft.runs.*.events` work.
 */

/** Thrown when a token would break a subject (empty, whitespace, `.`, `*`, `>`). */
export class InvalidSubjectTokenError extends Error {
  override name = "InvalidSubjectTokenError";
  constructor(
    readonly token: string,
    readonly role: string,
  ) {
    super(`invalid ${role} for a NATS subject: ${JSON.stringify(token)} (use letters, digits, '-' and '_')`);
  }
}

/** Validates one subject token; pool names, run ids and trainer ids all pass through here. */
export function subjectToken(value: string, role: string): string {
  if (!isIdToken(value)) throw new InvalidSubjectTokenError(value, role);
  return value;
}

export const SUBJECT_ROOT = "graft";

/** Fine-tune assignments for one trainer pool (JetStream work queue). */
export const jobsSubject = (pool: string) => `${SUBJECT_ROOT}.jobs.${subjectToken(pool, "pool")}`;
export const ALL_JOBS = `${SUBJECT_ROOT}.jobs.>`;

/** Events a trainer reports for one run (JetStream limits stream). */
export const runEventsSubject = (runId: string) => `${SUBJECT_ROOT}.runs.${subjectToken(runId, "run id")}.events`;
export const ALL_RUN_EVENTS = `${SUBJECT_ROOT}.runs.*.events`;

/** Control messages (cancel) for one run; core NATS, trainers subscribe while they hold the run. */
export const runControlSubject = (runId: string) => `${SUBJECT_ROOT}.runs.${subjectToken(runId, "run id")}.control`;

/** Liveness and load of one trainer; core NATS. */
export const trainerHeartbeatSubject = (trainerId: string) =>
  `${SUBJECT_ROOT}.trainers.${subjectToken(trainerId, "trainer id")}.heartbeat`;
export const ALL_TRAINER_HEARTBEATS = `${SUBJECT_ROOT}.trainers.*.heartbeat`;

/** Trainer-wide control (drain); core NATS. */
export const trainerControlSubject = (trainerId: string) =>
  `${SUBJECT_ROOT}.trainers.${subjectToken(trainerId, "trainer id")}.control`;

/** Extracts the run id from a `graft.runs.<runId>.events` subject, or undefined. */
export function runIdFromEventsSubject(subject: string): string | undefined {
  const parts = subject.split(".");
  return parts.length === 4 && parts[0] === SUBJECT_ROOT && parts[1] === "runs" && parts[3] === "events"
    ? parts[2]
    : undefined;
}

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

/**
 * Events a trainer reports for one run (JetStream limits stream). The trainer id comes first
 * so NATS permissions can pin a trainer to `graft.events.<its id>.*`: the gateway then reads
 * the sender's identity from the subject, which no trainer can forge.
 */
export const runEventsSubject = (trainerId: string, runId: string) =>
  `${SUBJECT_ROOT}.events.${subjectToken(trainerId, "trainer id")}.${subjectToken(runId, "run id")}`;
export const ALL_RUN_EVENTS = `${SUBJECT_ROOT}.events.*.*`;
/** Every event subject of one trainer (its publish permission). */
export const trainerEventsWildcard = (trainerId: string) =>
  `${SUBJECT_ROOT}.events.${subjectToken(trainerId, "trainer id")}.*`;

/** Control messages (cancel) for one run; core NATS, trainers subscribe while they hold the run. */
export const runControlSubject = (runId: string) => `${SUBJECT_ROOT}.runs.${subjectToken(runId, "run id")}.control`;

/** Every run's control subject: trainers listen here for the runs they hold. */
export const runControlWildcard = `${SUBJECT_ROOT}.runs.*.control`;

/** Liveness and load of one trainer; core NATS. */
export const trainerHeartbeatSubject = (trainerId: string) =>
  `${SUBJECT_ROOT}.trainers.${subjectToken(trainerId, "trainer id")}.heartbeat`;
export const ALL_TRAINER_HEARTBEATS = `${SUBJECT_ROOT}.trainers.*.heartbeat`;

/** Trainer-wide control (drain); core NATS. */
export const trainerControlSubject = (trainerId: string) =>
  `${SUBJECT_ROOT}.trainers.${subjectToken(trainerId, "trainer id")}.control`;

/** Reads trainer and run id from a `graft.events.<trainerId>.<runId>` subject, or undefined. */
export function idsFromEventsSubject(subject: string): { trainerId: string; runId: string } | undefined {
  const [root, kind, trainerId, runId, ...rest] = subject.split(".");
  if (root !== SUBJECT_ROOT || kind !== "events" || rest.length > 0) return undefined;
  return isIdToken(trainerId) && isIdToken(runId) ? { trainerId, runId } : undefined;
}

import { createHmac, timingSafeEqual } from "node:crypto";
import { JOBS_STREAM, jobsConsumerName } from "./jetstream.ts";
import {
  runControlWildcard,
  subjectToken,
  trainerControlSubject,
  trainerEventsWildcard,
  trainerHeartbeatSubject,
} from "./subjects.ts";

/**
 * What a trainer may do on NATS, and how it proves it holds a job. The gateway mints each
 * trainer a NATS user with exactly these permissions; nats-server enforces them.
 */

/** The gateway's HTTP route through which trainers read and write their jobs' artifacts. */
export const TRAINER_ARTIFACTS_PATH = "/trainer-artifacts";

/** Replies to a trainer's requests (JetStream API answers, pulled jobs) arrive under this prefix. */
export const trainerInboxPrefix = (trainerId: string) => `_INBOX_${subjectToken(trainerId, "trainer id")}`;

export interface SubjectPermissions {
  pub: string[];
  sub: string[];
}

/**
 * A trainer: pull from its pool's job consumer and ack its jobs, publish events and heartbeats
 * under its own id, hear its own control subject and run cancels, read replies on its own
 * inbox. No stream or consumer administration, no object store, no other trainer's subjects.
 */
export function trainerPermissions(trainerId: string, pool: string): SubjectPermissions {
  const consumer = jobsConsumerName(pool);
  return {
    pub: [
      `$JS.API.CONSUMER.INFO.${JOBS_STREAM}.${consumer}`,
      `$JS.API.CONSUMER.MSG.NEXT.${JOBS_STREAM}.${consumer}`,
      `$JS.ACK.${JOBS_STREAM}.${consumer}.>`,
      trainerEventsWildcard(trainerId),
      trainerHeartbeatSubject(trainerId),
    ],
    sub: [`${trainerInboxPrefix(trainerId)}.>`, trainerControlSubject(trainerId), runControlWildcard],
  };
}

const hmacHex = (key: string, data: string) => createHmac("sha256", key).update(data).digest("hex");

/** The job token of a run: derived from a gateway secret, so nothing needs storing. */
export const deriveJobToken = (secret: string, runId: string) =>
  createHmac("sha256", secret).update(`graft job ${runId}`).digest("base64url");

/** What a trainer puts on each event: binds run, attempt and its own id to the job token. */
export const jobClaim = (jobToken: string, ids: { runId: string; attempt: number; trainerId: string }) =>
  hmacHex(jobToken, `${ids.runId}.${ids.attempt}.${ids.trainerId}`);

/** Constant-time comparison of two hex or base64url strings. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

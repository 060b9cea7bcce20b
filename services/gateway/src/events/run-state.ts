import {
  ENDED_RUN_ATTEMPT_STATUSES,
  type RunAttemptStatus,
  type RunError,
  type RunEvent,
  type RunStatus,
  TERMINAL_RUN_STATUSES,
  type TrainingPath,
} from "@graft/contracts";

/**
 * The state machine of one run under fencing, applied to a row the caller holds locked.
 * Events may arrive twice or out of order (several gateway replicas share the ingest
 * consumer), so every step only moves forward: statuses rise by rank within an attempt,
 * an ended attempt never comes back, a terminal run never changes status again, and
 * epochs stand on their own (they never wait for `started`).
 */

const RANK: Record<RunStatus, number> = { QUEUED: 0, ASSIGNED: 1, RUNNING: 2, SUCCEEDED: 3, FAILED: 3, CANCELLED: 3 };

export interface RunState {
  id: string;
  status: RunStatus;
  currentAttempt: number;
  attemptCount: number;
  trainerId: string | null;
  trainingPath: TrainingPath | null;
  assignedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: RunError | null;
}

export interface AttemptState {
  attempt: number;
  trainerId: string | null;
  status: RunAttemptStatus;
  resumedFromEpoch: number;
  error: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

/** One run's rows as loaded under lock, plus what the batch changed. */
export interface RunContext {
  run: RunState;
  attempts: Map<number, AttemptState>;
  runChanged: boolean;
  changedAttempts: Set<number>;
}

export type Outcome =
  /** `refused`: the sender is not the attempt's holder (recorded as an event drop). */
  | { kind: "dropped"; reason: string; refused?: boolean }
  /** A status-bearing change (or a log line) to announce as is. */
  | { kind: "applied"; announce: "STATUS" | "LOG" | null; message: string | null }
  /** An epoch that passed the fence; stored (or found already stored) by the caller. */
  | { kind: "epoch" }
  /** Progress of the open current attempt: announced, never stored. */
  | { kind: "progress" };

/** Maps a trainer id from an event to a row id, or null when no such trainer is registered. */
export type TrainerLookup = (trainerId: string) => string | null;

export function applyEvent(ctx: RunContext, event: RunEvent, trainer: TrainerLookup, now: Date): Outcome {
  const { run } = ctx;
  // An attempt belongs to the trainer that first reported it (with a valid claim, checked by
  // ingest); nobody else speaks for it, whatever it sends.
  const holder = ctx.attempts.get(event.attempt)?.trainerId;
  if (holder && holder !== event.trainerId.toLowerCase()) {
    return { kind: "dropped", reason: `attempt ${event.attempt} is held by trainer ${holder}`, refused: true };
  }
  if (event.attempt < run.currentAttempt) {
    return { kind: "dropped", reason: `stale attempt ${event.attempt} (current ${run.currentAttempt})` };
  }
  if (event.attempt > run.currentAttempt) {
    if (TERMINAL_RUN_STATUSES.has(run.status)) {
      return { kind: "dropped", reason: `attempt ${event.attempt} after the run ended ${run.status}` };
    }
    adoptAttempt(ctx, event.attempt, trainer(event.trainerId), now);
  }
  const at = new Date(event.at);
  // An unregistered trainer id is not stored (foreign key), but never erases a known one.
  const trainerId = trainer(event.trainerId) ?? run.trainerId;
  const attempt = ensureAttempt(ctx, event.attempt, trainerId, at);
  const attemptOpen = !ENDED_RUN_ATTEMPT_STATUSES.has(attempt.status);
  const terminal = TERMINAL_RUN_STATUSES.has(run.status);

  switch (event.type) {
    case "assigned":
      if (terminal || !attemptOpen) return fillOnly(ctx, { trainerId, assignedAt: at });
      setRun(ctx, { trainerId, assignedAt: at });
      raise(ctx, "ASSIGNED");
      return { kind: "applied", announce: "STATUS", message: null };
    case "started":
      setAttempt(ctx, attempt, { resumedFromEpoch: event.resumedFromEpoch });
      if (terminal || !attemptOpen) {
        return fillOnly(ctx, { trainerId, trainingPath: event.trainingPath, startedAt: at });
      }
      if (attempt.status === "ASSIGNED") setAttempt(ctx, attempt, { status: "RUNNING" });
      setRun(ctx, { trainerId, trainingPath: event.trainingPath, startedAt: run.startedAt ?? at });
      raise(ctx, "RUNNING");
      return { kind: "applied", announce: "STATUS", message: `started on ${event.backend}` };
    case "epoch":
      if (!terminal && attemptOpen) {
        if (attempt.status === "ASSIGNED") setAttempt(ctx, attempt, { status: "RUNNING" });
        raise(ctx, "RUNNING");
      }
      return { kind: "epoch" };
    case "log":
      return { kind: "applied", announce: "LOG", message: `[${event.level}] ${event.message}` };
    case "progress":
      // Late progress (the attempt or the run ended before it arrived) would show a finished
      // run as still working: it is dropped, like any report of an ended attempt.
      if (terminal || !attemptOpen) return { kind: "dropped", reason: "progress of an ended attempt" };
      return { kind: "progress" };
    case "succeeded":
      if (terminal) return { kind: "dropped", reason: `run already ${run.status}` };
      setAttempt(ctx, attempt, { status: "SUCCEEDED", endedAt: at });
      setRun(ctx, { status: "SUCCEEDED", finishedAt: at, trainingPath: event.trainingPath, trainerId });
      return { kind: "applied", announce: "STATUS", message: event.stoppedEarly ? "stopped early" : null };
    case "failed": {
      if (terminal) return { kind: "dropped", reason: `run already ${run.status}` };
      setAttempt(ctx, attempt, { status: "FAILED", endedAt: at, error: `${event.error.code}: ${event.error.message}` });
      if (event.final) setRun(ctx, { status: "FAILED", finishedAt: at, error: event.error });
      // A retry is coming (JetStream redelivers the job): the run waits in the queue again.
      else setRun(ctx, { status: "QUEUED", error: event.error });
      return { kind: "applied", announce: "STATUS", message: event.error.message };
    }
    case "cancelled":
      if (terminal) return { kind: "dropped", reason: `run already ${run.status}` };
      setAttempt(ctx, attempt, { status: "CANCELLED", endedAt: at });
      setRun(ctx, { status: "CANCELLED", finishedAt: at });
      return { kind: "applied", announce: "STATUS", message: null };
  }
}

/** A newer delivery of the job took over: older open attempts are lost, the run waits for the new one's events. */
function adoptAttempt(ctx: RunContext, attempt: number, trainerId: string | null, now: Date): void {
  for (const a of ctx.attempts.values()) {
    if (a.attempt < attempt && !ENDED_RUN_ATTEMPT_STATUSES.has(a.status))
      setAttempt(ctx, a, { status: "LOST", endedAt: now });
  }
  // Attempts are delivery counts: jumping from 0 to 2 means delivery 1 happened unseen.
  const attemptCount = Math.max(ctx.run.attemptCount + 1, attempt);
  setRun(ctx, { currentAttempt: attempt, attemptCount, status: "QUEUED" });
  ensureAttempt(ctx, attempt, trainerId, now);
}

function ensureAttempt(ctx: RunContext, attempt: number, trainerId: string | null, at: Date): AttemptState {
  const found = ctx.attempts.get(attempt);
  if (found) {
    if (found.trainerId === null && trainerId !== null) setAttempt(ctx, found, { trainerId });
    return found;
  }
  const created: AttemptState = {
    attempt,
    trainerId,
    status: "ASSIGNED",
    resumedFromEpoch: 0,
    error: null,
    startedAt: at,
    endedAt: null,
  };
  ctx.attempts.set(attempt, created);
  ctx.changedAttempts.add(attempt);
  return created;
}

function raise(ctx: RunContext, status: RunStatus): void {
  if (RANK[status] > RANK[ctx.run.status]) setRun(ctx, { status });
}

/** Late bookkeeping for a run or attempt that already moved on: fill blanks, change no status. */
function fillOnly(ctx: RunContext, fields: Partial<RunState>): Outcome {
  const blanks: Partial<RunState> = {};
  for (const [key, value] of Object.entries(fields) as [keyof RunState, unknown][]) {
    if (ctx.run[key] === null && value !== null) Object.assign(blanks, { [key]: value });
  }
  setRun(ctx, blanks);
  return { kind: "applied", announce: null, message: null };
}

function setRun(ctx: RunContext, fields: Partial<RunState>): void {
  for (const [key, value] of Object.entries(fields) as [keyof RunState, unknown][]) {
    if (ctx.run[key] !== value) {
      Object.assign(ctx.run, { [key]: value });
      ctx.runChanged = true;
    }
  }
}

function setAttempt(ctx: RunContext, attempt: AttemptState, fields: Partial<AttemptState>): void {
  Object.assign(attempt, fields);
  ctx.changedAttempts.add(attempt.attempt);
}

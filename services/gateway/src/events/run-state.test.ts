import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunEvent } from "@graft/contracts";
import { applyEvent, type RunContext } from "./run-state.ts";
import { events } from "./test-fixtures.ts";

const ids = { runId: "4b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11", trainerId: "9c0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11" };

const fresh = (): RunContext => ({
  run: {
    id: ids.runId,
    status: "QUEUED",
    currentAttempt: 0,
    attemptCount: 0,
    trainerId: null,
    trainingPath: null,
    assignedAt: null,
    startedAt: null,
    finishedAt: null,
    error: null,
  },
  attempts: new Map(),
  runChanged: false,
  changedAttempts: new Set(),
});

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) return yield items;
  for (const [i, item] of items.entries()) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [item, ...rest];
  }
}

const finalState = (order: RunEvent[]) => {
  const ctx = fresh();
  for (const event of order) applyEvent(ctx, event, (id) => id, new Date(0));
  const { run } = ctx;
  return JSON.stringify({
    status: run.status,
    attempt: run.currentAttempt,
    attempts: run.attemptCount,
    trainer: run.trainerId,
    path: run.trainingPath,
    assignedAt: run.assignedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    error: run.error,
    attemptRows: [...ctx.attempts.values()].map((a) => [a.attempt, a.status, a.endedAt]),
  });
};

const at = (event: RunEvent, ms: number): RunEvent => ({ ...event, at: new Date(ms).toISOString() });

test("every arrival order of one attempt's events ends in the same state", () => {
  const e = events(ids);
  const all = [at(e.assigned(), 1), at(e.started(), 2), at(e.epoch(1), 3), at(e.epoch(2), 4), at(e.succeeded(), 5)];
  const states = new Set([...permutations(all)].map(finalState));
  assert.equal(states.size, 1, [...states].join("\n"));
  const [state] = states;
  assert.match(state ?? "", /"status":"SUCCEEDED".*"path":"FEATURE_CACHE"/);
  assert.match(state ?? "", /"startedAt":"1970-01-01T00:00:00.002Z"/);
});

test("a retried run ends FAILED on its second attempt whatever order the attempts' events arrive in", () => {
  const a1 = events(ids, 1);
  const a2 = events(ids, 2);
  const all = [at(a1.started(), 1), at(a1.failed(false), 2), at(a2.assigned(), 3), at(a2.failed(true), 4)];
  // Attempt 1's events that arrive after attempt 2's are fenced off, so only the outcome is order-free.
  const outcomes = new Set(
    [...permutations(all)].map((order) => {
      const { status, attempt, attempts, finishedAt, error } = JSON.parse(finalState(order));
      return JSON.stringify({ status, attempt, attempts, finishedAt, error });
    }),
  );
  assert.deepEqual(
    [...outcomes],
    [
      JSON.stringify({
        status: "FAILED",
        attempt: 2,
        attempts: 2,
        finishedAt: "1970-01-01T00:00:00.004Z",
        error: { code: "TRAINING_ERROR", message: "out of memory" },
      }),
    ],
  );
});

test("stale attempts are dropped and terminal runs keep their status", () => {
  const ctx = fresh();
  const trainer = (id: string) => id;
  applyEvent(ctx, events(ids, 2).assigned(), trainer, new Date());
  const stale = applyEvent(ctx, events(ids, 1).epoch(1), trainer, new Date());
  assert.deepEqual(stale, { kind: "dropped", reason: "stale attempt 1 (current 2)" });
  applyEvent(ctx, events(ids, 2).cancelled(), trainer, new Date());
  assert.equal(applyEvent(ctx, events(ids, 2).succeeded(), trainer, new Date()).kind, "dropped");
  assert.equal(applyEvent(ctx, events(ids, 3).assigned(), trainer, new Date()).kind, "dropped");
  assert.equal(ctx.run.status, "CANCELLED");
  assert.equal(ctx.run.currentAttempt, 2);
});

test("progress passes the fence only for the open current attempt and never moves the status", () => {
  const ctx = fresh();
  const a1 = events(ids, 1);
  applyEvent(ctx, a1.assigned(), (id) => id, new Date(0));
  assert.deepEqual(
    applyEvent(ctx, a1.progress(1), (id) => id, new Date(0)),
    { kind: "progress" },
  );
  assert.equal(ctx.run.status, "ASSIGNED", "progress is not a status report");
  applyEvent(ctx, a1.failed(false), (id) => id, new Date(0));
  assert.equal(applyEvent(ctx, a1.progress(2), (id) => id, new Date(0)).kind, "dropped", "the attempt has ended");
  const a2 = events(ids, 2);
  applyEvent(ctx, a2.started(), (id) => id, new Date(0));
  assert.equal(applyEvent(ctx, a1.progress(3), (id) => id, new Date(0)).kind, "dropped", "a stale attempt");
  assert.equal(applyEvent(ctx, a2.progress(3), (id) => id, new Date(0)).kind, "progress");
  applyEvent(ctx, a2.cancelled(), (id) => id, new Date(0));
  assert.equal(applyEvent(ctx, a2.progress(4), (id) => id, new Date(0)).kind, "dropped", "the run has ended");
});

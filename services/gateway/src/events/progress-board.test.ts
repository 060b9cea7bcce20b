import assert from "node:assert/strict";
import { test } from "node:test";
import type { RunUpdate } from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect } from "@nats-io/transport-node";
import { publishRunUpdates } from "./notify.ts";
import { ProgressBoard } from "./progress-board.ts";

const runId = "4b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11";
const running = { id: runId, status: "RUNNING" as const, currentAttempt: 1 };
const progress = (done: number, at: string, attempt = 1): RunUpdate => ({
  kind: "PROGRESS",
  runId,
  status: "RUNNING",
  attempt,
  epoch: null,
  message: null,
  progress: { phase: "TRAINING", done, total: 10, epoch: 1, epochs: 2, etaSeconds: 3 },
  at,
});
const status = (s: RunUpdate["status"], attempt: number | null): RunUpdate => ({
  kind: "STATUS",
  runId,
  status: s,
  attempt,
  epoch: null,
  message: null,
  progress: null,
  at: new Date().toISOString(),
});

test("the progress board keeps each run's newest report from any replica, for its current attempt while it works", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const replica = await connect(gatewayConnectOptions(server));
  const board = new ProgressBoard(nc, () => {});
  try {
    await nc.flush();
    publishRunUpdates(replica, [progress(2, "2026-01-01T00:00:02Z")]);
    const heard = await waitFor("another replica's announcement", async () => board.get(running) ?? undefined);
    assert.equal(heard.done, 2);
    assert.deepEqual(heard.updatedAt, new Date("2026-01-01T00:00:02Z"));

    board.apply(progress(1, "2026-01-01T00:00:01Z"));
    assert.equal(board.get(running)?.done, 2, "an older report never overwrites a newer one");
    assert.equal(board.get({ ...running, currentAttempt: 2 }), null, "another attempt's progress is not shown");
    assert.equal(board.get({ ...running, status: "QUEUED" }), null, "only while ASSIGNED or RUNNING");
    board.apply(status("RUNNING", 1));
    assert.equal(board.get(running)?.done, 2, "a non-ending status keeps it");

    board.apply(progress(7, "2026-01-01T00:00:00Z", 2));
    const second = { ...running, currentAttempt: 2 };
    assert.equal(board.get(second)?.done, 7, "a newer attempt's report wins whatever its time");
    board.apply(progress(9, "2026-01-01T00:00:09Z", 1));
    assert.equal(board.get(second)?.done, 7, "an older attempt's report never overwrites a newer attempt's");
    board.apply(status("QUEUED", 1));
    assert.equal(board.get(second)?.done, 7, "an older attempt's status ends nothing");
    publishRunUpdates(replica, [status("CANCELLED", 2)]);
    await waitFor("another replica's STATUS", async () => board.get(second) === null);
    assert.equal(
      board.get({ ...second, status: "ASSIGNED" }),
      null,
      "the end of the attempt forgets its progress, even for a caller's stale row",
    );

    // Bounded: past 10,000 runs the longest-silent goes first; a fresh report moves a run to the back.
    const other = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
    const at = "2026-01-01T00:00:10Z";
    board.apply(progress(1, at));
    board.apply({ ...progress(1, at), runId: other(0) });
    for (let n = 1; n < 9_999; n++) board.apply({ ...progress(1, at), runId: other(n) });
    board.apply(progress(2, "2026-01-01T00:00:11Z"));
    board.apply({ ...progress(1, at), runId: other(9_999) });
    assert.equal(board.get({ ...running, id: other(0) }), null, "the longest-silent run was evicted");
    assert.equal(board.get(running)?.done, 2, "a run that reported since is kept");
    assert.equal(board.get({ ...running, id: other(9_999) })?.done, 1);
  } finally {
    board.close();
    await replica.close();
    await nc.close();
    await server.stop();
  }
});

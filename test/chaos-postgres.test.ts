// PostgreSQL going away mid-run, on a private server (initdb on a temp dir, its own port) so
// stopping it touches no other suite on this machine. Runs when DATABASE_URL is set (as the
// PostgreSQL halves of the database suites do) and the PostgreSQL 15 binaries are installed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@graft/testkit";
import { assertEpochsExactlyOnce, waitForIdle, withChaosStack } from "./support/chaos.ts";
import { privatePostgresUnavailable, startPrivatePostgres } from "./support/private-postgres.ts";
import { fineTuneInput, getRun, type RunView, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const skip = process.env.DATABASE_URL
  ? privatePostgresUnavailable()
  : "PostgreSQL is not configured: set DATABASE_URL (e.g. postgres:///postgres) to run it";
const TRAINERS = ["east", "west"];
const stack = skip ? undefined : withChaosStack({ trainers: TRAINERS, postgres: startPrivatePostgres });
const EPOCHS = 4;

function running() {
  if (!stack) throw new Error("skipped");
  return stack;
}

async function runningAfterFirstEpoch(): Promise<RunView> {
  const s = running();
  await waitForIdle(s.gateway, TRAINERS);
  const queued = await startFineTune(
    s.gateway,
    fineTuneInput(s.ids, { epochs: EPOCHS, batchSize: 8, maxSamples: 48, freeze: { strategy: "FIRST_N", layers: 2 } }),
  );
  return await waitFor(
    "the first epoch",
    async () => {
      const r = await getRun(s.gateway, queued.id);
      return r.epochs.length >= 1 ? r : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 100 },
  );
}

const offlineVerdicts = () =>
  running()
    .gatewayLog()
    .split("\n")
    .filter((l) => / is OFFLINE /.test(l)).length;

test("PostgreSQL stopped for 10 s mid-run: the run finishes, every epoch once, no trainer falsely OFFLINE", {
  skip,
}, async () => {
  const s = running();
  const run = await runningAfterFirstEpoch();
  const before = offlineVerdicts();
  const pg = s.postgres();
  assert.ok(pg);
  pg.stop();
  await new Promise((r) => setTimeout(r, 10_000));
  pg.start();
  const ended = await waitForRunEnd(s.gateway, run.id, 300_000);
  assert.equal(ended.status, "SUCCEEDED", JSON.stringify(ended));
  assertEpochsExactlyOnce(ended, EPOCHS);
  assert.equal(ended.attemptCount, 1, JSON.stringify(ended.attempts));
  assert.equal(offlineVerdicts() - before, 0, s.gatewayLog());
});

test("PostgreSQL away for 30 s while a run finishes: its events wait in JetStream and are all stored once it returns", {
  skip,
}, async () => {
  const s = running();
  const run = await runningAfterFirstEpoch();
  const before = offlineVerdicts();
  const pg = s.postgres();
  assert.ok(pg);
  const stoppedAt = Date.now();
  pg.stop();
  // The trainer finishes while nothing can be stored.
  await waitFor(
    "the trainer to finish the run",
    () => TRAINERS.some((name) => s.trainer(name).output().includes(`run ${run.id}: succeeded`)),
    { timeoutMs: 240_000, intervalMs: 250 },
  ).catch((error: unknown) => {
    // Seen once in CI (about 1 run in 5), cause unknown: what the trainers said is the first clue.
    for (const name of TRAINERS) console.log(`--- trainer ${name}:\n${s.trainer(name).output().slice(-8000)}`);
    throw error;
  });
  await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - stoppedAt))));
  assert.match(s.gatewayLog(), /ingest: database unreachable, \d+ message\(s\) wait in order/);
  pg.start();
  const ended = await waitForRunEnd(s.gateway, run.id, 120_000);
  assert.equal(ended.status, "SUCCEEDED", JSON.stringify(ended));
  assertEpochsExactlyOnce(ended, EPOCHS);
  assert.equal(ended.attemptCount, 1, JSON.stringify(ended.attempts));
  assert.ok(ended.outputModel, "the child model was recorded");
  assert.equal(offlineVerdicts() - before, 0, s.gatewayLog());
});

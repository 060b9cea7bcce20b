import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@graft/testkit";
import { PLATFORM_WAIT, withStack } from "./support/stack.ts";
import { fineTuneInput, getRun, graphql, type RunView, startFineTune, waitForRunEnd } from "./support/trainer.ts";

/**
 * A trainer that dies (kill -9) or leaves (SIGTERM) mid-run loses nothing: the job goes to
 * the other trainer, which resumes from the last checkpointed epoch.
 */

const TRAINERS = ["red", "blue"];
const stack = withStack({ trainers: TRAINERS });

// FULL path with nothing frozen: conv gradients on the CPU make even 40 samples take
// seconds per epoch, long enough to interrupt between epochs.
const slowFineTune = () =>
  fineTuneInput(stack.ids, { epochs: 4, batchSize: 8, maxSamples: 40, freeze: { strategy: "NONE" } });

async function startAndWaitForFirstEpoch(): Promise<RunView> {
  await ensureIdle(TRAINERS);
  const queued = await startFineTune(stack.gateway, slowFineTune());
  const run = await waitFor(
    "the first epoch",
    async () => {
      const r = await getRun(stack.gateway, queued.id);
      return r.epochs.length >= 1 ? r : undefined;
    },
    { timeoutMs: 120_000 },
  );
  assert.ok(run.status === "RUNNING" || run.status === "ASSIGNED", `run already ${run.status}: training too fast`);
  assert.ok(run.trainer, "the run has a trainer");
  return run;
}

async function ensureIdle(names: string[]) {
  await waitFor(
    `${names.join(", ")} to be idle`,
    async () => {
      const { trainers: fleet } = await graphql<{ trainers: { name: string; status: string }[] }>(
        stack.gateway,
        "{ trainers { name status } }",
      );
      // A restarted trainer registers anew; its dead predecessor of the same name stays OFFLINE.
      return names.every((n) => fleet.some((t) => t.name === n && t.status === "IDLE"));
    },
    PLATFORM_WAIT,
  );
}

function assertEachEpochOnce(run: RunView, epochs: number) {
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    Array.from({ length: epochs }, (_, i) => i + 1),
  );
}

test("kill -9 of a trainer mid-run: the other resumes from the checkpoint and the run succeeds", async () => {
  const running = await startAndWaitForFirstEpoch();
  const victimName = running.trainer?.name as string;
  const victim = stack.trainer(victimName);
  const survivorName = victimName === "red" ? "blue" : "red";
  victim.kill("SIGKILL");
  assert.equal(await victim.stopped, 137);

  const run = await waitForRunEnd(stack.gateway, running.id, 180_000);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error));
  assertEachEpochOnce(run, 4);
  assert.ok(run.attemptCount >= 2, `attemptCount ${run.attemptCount}`);
  const last = run.attempts.find((a) => a.attempt === run.attemptCount);
  assert.equal(last?.trainer?.name, survivorName);
  assert.ok((last?.resumedFromEpoch ?? 0) >= 1, `last attempt resumed from epoch ${last?.resumedFromEpoch}`);
  assert.equal(run.trainer?.name, survivorName);
  assert.equal(run.outputModel?.verifiedLineage ?? null, null, "nothing frozen, nothing to verify");
  assert.equal(run.outputModel?.parent?.id, stack.ids.digitsCnn);

  // The crashed trainer comes back under the same name and works again.
  await stack.startTrainer(victimName);
});

test("SIGTERM mid-run hands the job back at the epoch boundary and the trainer exits 0", async () => {
  const running = await startAndWaitForFirstEpoch();
  const leaverName = running.trainer?.name as string;
  const leaver = stack.trainer(leaverName);
  leaver.kill("SIGTERM");
  assert.equal(await leaver.stopped, 0, leaver.output());

  const run = await waitForRunEnd(stack.gateway, running.id, 180_000);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error));
  assertEachEpochOnce(run, 4);
  assert.equal(run.attemptCount, 2);
  const first = run.attempts.find((a) => a.attempt === 1);
  assert.match(first?.error ?? "", /stopped|TRAINER_STOPPED/i);
  assert.notEqual(run.trainer?.name, leaverName);
});

// Fault injection against the platform as separate processes (nats-server, a gateway, two
// trainers): whatever breaks mid-run, the run finishes and every epoch 1..N is stored
// exactly once, by the attempt that held the run. Correctness only; the timings of the same
// faults are printed by bench/failover.bench.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@graft/testkit";
import { assertEpochsExactlyOnce, waitForIdle, withChaosStack } from "./support/chaos.ts";
import { fineTuneInput, getRun, type RunView, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const TRAINERS = ["north", "south"];
const stack = withChaosStack({ trainers: TRAINERS });
const EPOCHS = 4;

// Frozen first conv block, a small slice: a few seconds an epoch on the CPU, long enough
// to strike between epochs, short enough for a suite of minutes.
const slowRun = () =>
  fineTuneInput(stack.ids, {
    epochs: EPOCHS,
    batchSize: 8,
    maxSamples: 48,
    freeze: { strategy: "FIRST_N", layers: 2 },
  });

async function runningAfterFirstEpoch(): Promise<RunView> {
  await waitForIdle(stack.gateway, TRAINERS);
  const queued = await startFineTune(stack.gateway, slowRun());
  const run = await waitFor(
    "the first epoch",
    async () => {
      const r = await getRun(stack.gateway, queued.id);
      return r.epochs.length >= 1 ? r : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 100 },
  );
  assert.ok(run.status === "RUNNING" || run.status === "ASSIGNED", `run already ${run.status}: training too fast`);
  assert.ok(run.trainer, "the run has a trainer");
  return run;
}

/** What a failed assertion needs to be understood: the attempts and the gateway's lines about the run. */
const explain = (run: RunView) =>
  `${JSON.stringify(run.attempts)}\n${stack
    .gatewayLog()
    .split("\n")
    .filter((l) => l.includes(run.id) || / is OFFLINE /.test(l))
    .join("\n")}`;

const offlineVerdicts = (log: string) => log.split("\n").filter((l) => / is OFFLINE /.test(l)).length;

test("twenty small runs at once on two trainers: all succeed, every epoch once, no trainer falsely OFFLINE", async () => {
  await waitForIdle(stack.gateway, TRAINERS);
  const before = offlineVerdicts(stack.gatewayLog());
  const queued = await Promise.all(
    Array.from({ length: 20 }, () => startFineTune(stack.gateway, fineTuneInput(stack.ids, { maxSamples: 32 }))),
  );
  for (const { id } of queued) {
    const run = await waitForRunEnd(stack.gateway, id, 600_000);
    assert.equal(run.status, "SUCCEEDED", explain(run));
    assertEpochsExactlyOnce(run, 2);
    assert.equal(run.attemptCount, 1, `run ${id} was never handed to another trainer: ${explain(run)}`);
  }
  assert.equal(offlineVerdicts(stack.gatewayLog()) - before, 0, stack.gatewayLog());
});

test("kill -9 of the trainer holding a run mid-epoch: the gateway hands the run to the other trainer, which finishes it", async () => {
  const running = await runningAfterFirstEpoch();
  const victimName = running.trainer?.name as string;
  const victim = stack.trainer(victimName);
  victim.kill("SIGKILL");
  assert.equal(await victim.stopped, 137);

  const run = await waitForRunEnd(stack.gateway, running.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", explain(run));
  assertEpochsExactlyOnce(run, EPOCHS);
  assert.equal(run.attemptCount, 2, explain(run));
  assert.notEqual(run.trainer?.name, victimName);
  assert.match(stack.gatewayLog(), new RegExp(`handed run ${running.id} \\(attempt 1\\)`));
  await stack.startTrainer(victimName);
});

test("a holder frozen past the heartbeat timeout loses the run, and once thawed stops without reporting", async () => {
  const running = await runningAfterFirstEpoch();
  const frozenName = running.trainer?.name as string;
  const frozen = stack.trainer(frozenName);
  frozen.kill("SIGSTOP");
  try {
    await waitFor(
      "another trainer to take the run over",
      async () => {
        const r = await getRun(stack.gateway, running.id);
        return r.attemptCount >= 2 && r.trainer?.name !== frozenName ? r : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250 },
    );
  } finally {
    frozen.kill("SIGCONT");
  }
  const run = await waitForRunEnd(stack.gateway, running.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", explain(run));
  assertEpochsExactlyOnce(run, EPOCHS);
  assert.notEqual(run.attempts.find((a) => a.attempt === 2)?.trainer?.name, frozenName, explain(run));
  // The thawed holder hears the newer attempt's `assigned` and gives up without reporting.
  await frozen.waitForOutput(new RegExp(`run ${running.id}: attempt 1 abandoned to attempt \\d+`), 120_000);
  assert.ok(
    run.epochs.every((e) => e.attempt === 1 || e.attempt === run.attemptCount),
    "no epoch from an attempt in between",
  );
  // It comes back to life as a trainer.
  await waitForIdle(stack.gateway, [frozenName]);
});

test("kill -9 of the gateway mid-run, then a new gateway: the run finishes and nothing is stored twice", async () => {
  const running = await runningAfterFirstEpoch();
  const dead = stack.gateway;
  dead.kill("SIGKILL");
  await dead.exited;
  // Trainers keep training and publishing into JetStream while no gateway listens.
  await new Promise((r) => setTimeout(r, 3_000));
  await stack.restartGateway();
  const run = await waitForRunEnd(stack.gateway, running.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", explain(run));
  assertEpochsExactlyOnce(run, EPOCHS);
  assert.equal(run.attemptCount, 1, `no trainer lost its run because the gateway went away: ${explain(run)}`);
});

test("nats-server restarted mid-run on the same store: the run finishes, every epoch once, no trainer falsely OFFLINE", async () => {
  const running = await runningAfterFirstEpoch();
  const before = offlineVerdicts(stack.gatewayLog());
  await stack.restartNats(3_000);
  const run = await waitForRunEnd(stack.gateway, running.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", explain(run));
  assertEpochsExactlyOnce(run, EPOCHS);
  assert.equal(offlineVerdicts(stack.gatewayLog()) - before, 0, stack.gatewayLog());
});

test("nats-server down for 10 s mid-run: the run finishes, and an attempt the outage cost is an infrastructure failure", async () => {
  const running = await runningAfterFirstEpoch();
  await stack.restartNats(10_000);
  const run = await waitForRunEnd(stack.gateway, running.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", explain(run));
  assertEpochsExactlyOnce(run, EPOCHS);
  for (const attempt of run.attempts.filter((a) => a.error)) {
    assert.doesNotMatch(attempt.error ?? "", /^TRAINING_ERROR/, `an outage is not the run's fault: ${explain(run)}`);
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftApiError } from "@graft/client";
import { MAX_SWEEP_TRIALS } from "@graft/contracts";
import { waitFor } from "@graft/testkit";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { cliEnv, graft } from "./support/cli.ts";
import { withStack } from "./support/stack.ts";
import { graphql } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"] });

interface Trial {
  index: number;
  params: { learningRate: number; hiddenUnits: number };
  rungReached: number;
  stoppedEarly: boolean;
  stoppedAtRung: number | null;
  metric: number | null;
  run: {
    id: string;
    status: string;
    error: { code: string; message: string } | null;
    epochs: { epoch: number; valAccuracy: number | null }[];
    outputModel: { id: string } | null;
  } | null;
}

interface SweepView {
  id: string;
  status: string;
  trialCount: number;
  rungs: number[];
  trials: Trial[];
  bestTrial: Trial | null;
  bestModel: { id: string; parent: { id: string } | null } | null;
}

const TRIAL = `index params rungReached stoppedEarly stoppedAtRung metric
  run { id status error { code message } epochs { epoch valAccuracy } outputModel { id } }`;

const readSweep = async (id: string) =>
  (
    await graphql<{ sweep: SweepView }>(
      stack.gateway,
      `query($id: ID!) { sweep(id: $id) { id status trialCount rungs trials { ${TRIAL} } bestTrial { ${TRIAL} }
        bestModel { id parent { id } } } }`,
      { id },
    )
  ).sweep;

const counts = () =>
  graphql<{ sweeps: unknown[]; runs: { totalCount: number } }>(
    stack.gateway,
    "{ sweeps { id } runs { totalCount } }",
  ).then((d) => ({ sweeps: d.sweeps.length, runs: d.runs.totalCount }));

const startSweep = (input: Record<string, unknown>) =>
  graphql<{ startSweep: { id: string; status: string; trialCount: number } }>(
    stack.gateway,
    "mutation($input: StartSweepInput!) { startSweep(input: $input) { id status trialCount } }",
    { input },
  ).then((d) => d.startSweep);

/**
 * digits-cnn (pre-trained on 0-4) onto mnist 5-9 with its convolutions frozen (FIRST_N 4 up
 * to the `features` layer, so every epoch runs the network: the trials last long enough to
 * be stopped). Learning rate 1e-6 cannot move a fresh head in one epoch: that arm is clearly
 * worse at every rung.
 */
const sweepInput = (overrides: Record<string, unknown> = {}) => ({
  name: "lr sweep",
  baseModelId: stack.ids.digitsCnn,
  datasetId: stack.ids.mnist59,
  method: "GRID",
  space: { learningRate: { values: [0.003, 0.000001] }, hiddenUnits: { values: [0, 32] } },
  maxEpochs: 6,
  maxConcurrentTrials: 2,
  asha: { reductionFactor: 2, minEpochs: 1 },
  fineTune: { maxSamples: 1000, batchSize: 32, featureLayer: "features", freeze: { strategy: "FIRST_N", layers: 4 } },
  ...overrides,
});

const ACTIVE = new Set(["QUEUED", "ASSIGNED", "RUNNING"]);

test("a sweep runs exactly its trials, at most maxConcurrentTrials at once; ASHA stops the bad arm; the best trial's model is in lineage", async () => {
  const before = await counts();
  const started = await startSweep(sweepInput());
  assert.equal(started.trialCount, 4, "a 2 x 2 grid");
  let mostActive = 0;
  const sweep = await waitFor(
    "the sweep to end",
    async () => {
      const view = await readSweep(started.id);
      const active = view.trials.filter((t) => t.run && ACTIVE.has(t.run.status)).length;
      mostActive = Math.max(mostActive, active);
      assert.ok(active <= 2, `${active} trials active at once`);
      return view.status === "RUNNING" ? undefined : view;
    },
    { timeoutMs: 600_000, intervalMs: 250 },
  );
  const summary = JSON.stringify(
    sweep.trials.map((t) => [t.params, t.run?.status, t.stoppedAtRung, t.run?.epochs.length, t.metric]),
  );
  assert.equal(sweep.status, "SUCCEEDED", summary);
  assert.deepEqual(sweep.rungs, [1, 2, 4], "min 1 x 2^k below 6 epochs");
  assert.equal(mostActive, 2, "two trials were active together");
  // Exactly the planned trials, each one run, and no other run was made.
  assert.equal(sweep.trials.length, 4);
  assert.deepEqual(
    sweep.trials.map((t) => [t.params.learningRate, t.params.hiddenUnits]),
    [
      [0.003, 0],
      [0.003, 32],
      [0.000001, 0],
      [0.000001, 32],
    ],
  );
  assert.equal(new Set(sweep.trials.map((t) => t.run?.id)).size, 4, summary);
  assert.equal((await counts()).runs, before.runs + 4);

  // The 1e-6 arm reached rung 1 after a 0.003 trial had: both are stopped there, visibly.
  for (const bad of sweep.trials.filter((t) => t.params.learningRate === 0.000001)) {
    assert.equal(bad.stoppedEarly, true, summary);
    assert.equal(bad.stoppedAtRung, 1, summary);
    assert.equal(bad.run?.error?.code, "EARLY_STOPPED", summary);
    assert.match(bad.run?.error?.message ?? "", /ASHA at epoch 1: valAccuracy/);
  }
  const cancelled = sweep.trials.filter((t) => t.run?.status === "CANCELLED");
  assert.ok(cancelled.length >= 1, `ASHA cancelled at least one trial: ${summary}`);
  for (const t of cancelled) assert.ok((t.run?.epochs.length ?? 0) < 6, `${summary}: a stopped trial ran on`);
  assert.equal(sweep.trials.filter((t) => t.run?.status === "FAILED").length, 0, summary);

  // The best trial: the succeeded one with the highest final validation accuracy.
  const succeeded = sweep.trials.filter((t) => t.run?.status === "SUCCEEDED");
  assert.ok(succeeded.length >= 1, summary);
  const best = succeeded.reduce((a, b) => ((b.metric ?? -1) > (a.metric ?? -1) ? b : a));
  assert.equal(sweep.bestTrial?.index, best.index, summary);
  assert.equal(sweep.bestTrial?.params.learningRate, 0.003);
  const finalEpoch = best.run?.epochs.at(-1);
  assert.equal(best.metric, finalEpoch?.valAccuracy, "a trial's metric is its last stored epoch's");
  assert.ok((best.metric ?? 0) > 0.5, `the best trial learned: ${summary}`);
  // Its model is the fine-tuned child of the base, as every run's output is.
  assert.equal(sweep.bestModel?.id, best.run?.outputModel?.id);
  assert.equal(sweep.bestModel?.parent?.id, stack.ids.digitsCnn);

  // The CLI reads the same sweep.
  const env = cliEnv(stack.gateway);
  const show = await graft(["sweep", "show", started.id, "--json"], env);
  assert.equal(show.code, 0, show.stderr);
  const shown = JSON.parse(show.stdout) as SweepView;
  assert.equal(shown.status, "SUCCEEDED");
  assert.equal(shown.bestTrial?.index, best.index);
  assert.equal(shown.trials.length, 4);
  const text = await graft(["sweep", "show", started.id], env);
  assert.match(text.stdout, /SUCCEEDED/);
  assert.match(text.stdout, /EARLY_STOPPED|stopped at epoch 1/);
  // A trial's run names its sweep and parameters.
  const run = await graft(["runs", "show", best.run?.id ?? ""], env);
  assert.equal(run.code, 0, run.stderr);
  const trialLine = run.stdout
    .split("\n")
    .find((line) => line.startsWith(`trial ${best.index + 1} of sweep lr sweep (${started.id}): `));
  assert.ok(trialLine, run.stdout);
  assert.deepEqual(trialLine.split(": ")[1]?.split(" ").sort(), [
    `hiddenUnits=${best.params.hiddenUnits}`,
    "learningRate=0.003",
  ]);
  const list = await graft(["sweep", "list", "--json"], env);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { id: string }[];
  assert.ok(listed.some((s) => s.id === started.id));
});

const refusal = async (input: Record<string, unknown>): Promise<GraftApiError> => {
  const error = await startSweep(input).then(
    () => assert.fail(`accepted ${JSON.stringify(input)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GraftApiError, String(error));
  return error;
};

test("absurd sweeps get typed errors and store nothing", async () => {
  const before = await counts();
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [sweepInput({ space: {} }), "input.space", /sweeps nothing/],
    [sweepInput({ space: { learningRate: { values: [] } } }), "input.space.learningRate.values", /empty/],
    [sweepInput({ maxTrials: 3 }), "input.maxTrials", /2 x 2 = 4 points, more than maxTrials \(3\)/],
    [
      sweepInput({ space: { learningRate: { min: 0.0001, max: 0.1, scale: "LOG" } } }),
      "input.space.learningRate",
      /GRID sweep needs listed values/,
    ],
    [
      sweepInput({ method: "RANDOM", maxTrials: 4, space: { learningRate: { min: 0, max: 0.1, scale: "LOG" } } }),
      "input.space.learningRate.min",
      /LOG range needs min > 0/,
    ],
    [
      sweepInput({ method: "RANDOM", maxTrials: 4, space: { learningRate: { min: 0.1, max: 0.01 } } }),
      "input.space.learningRate.max",
      /max must be above min/,
    ],
    [sweepInput({ method: "RANDOM", maxTrials: null }), "input.maxTrials", /RANDOM sweep needs maxTrials/],
    [
      sweepInput({ method: "RANDOM", maxTrials: MAX_SWEEP_TRIALS + 1 }),
      "input.maxTrials",
      new RegExp(`at most ${MAX_SWEEP_TRIALS}`),
    ],
    [sweepInput({ asha: { reductionFactor: 2, minEpochs: 6 } }), "input.asha.minEpochs", /before maxEpochs/],
    [sweepInput({ asha: { reductionFactor: 1 } }), "input.asha.reductionFactor", /2/],
    [sweepInput({ maxConcurrentTrials: 0 }), "input.maxConcurrentTrials", /1/],
    // A value the fine-tune itself refuses names the trial it came from.
    [sweepInput({ space: { learningRate: { values: [0.001, 5] } } }), "input.learningRate", /trial 2/],
    [sweepInput({ space: { featureLayer: ["flatten", "no_such_layer"] } }), "input.featureLayer", /trial 2/],
  ];
  for (const [input, field, message] of cases) {
    const error = await refusal(input);
    assert.equal(error.code, "BAD_USER_INPUT", `${field}: ${error.message}`);
    assert.equal(error.field, field, error.message);
    assert.match(error.message, message);
  }
  const unknown = await refusal(sweepInput({ baseModelId: "7b0f5e58-1d8e-4c1e-9c61-000000000000" }));
  assert.equal(unknown.code, "NOT_FOUND");
  assert.deepEqual(await counts(), before, "nothing was stored");
});

test("a RANDOM sweep draws exactly maxTrials seeded trials; cancelSweep stops it and launches nothing more", async () => {
  const input = sweepInput({
    name: "random",
    method: "RANDOM",
    seed: 7,
    maxTrials: 5,
    maxConcurrentTrials: 1,
    maxEpochs: 50,
    space: { learningRate: { min: 0.0001, max: 0.01, scale: "LOG" }, hiddenUnits: { values: [0, 16, 64] } },
    asha: null,
  });
  const started = await startSweep(input);
  assert.equal(started.trialCount, 5);
  const view = await readSweep(started.id);
  for (const t of view.trials) {
    assert.ok(t.params.learningRate >= 0.0001 && t.params.learningRate <= 0.01, JSON.stringify(t.params));
    assert.ok([0, 16, 64].includes(t.params.hiddenUnits));
  }
  assert.equal(view.trials.filter((t) => t.run).length, 1, "one trial at a time");
  // sweepUpdated: the sweep as it is on subscribing, then as it is after each change.
  const ws = createClient({
    url: stack.gateway.wsUrl,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${stack.gateway.apiKey}` },
    webSocketImpl: WebSocket,
  });
  const seen: string[] = [];
  let first: () => void = () => {};
  const subscribed = new Promise<void>((resolve) => {
    first = resolve;
  });
  const live = new Promise<void>((resolve, reject) => {
    const stop = ws.subscribe<{ sweepUpdated: { status: string } }>(
      {
        query: "subscription($id: ID!) { sweepUpdated(id: $id) { status trials { index } } }",
        variables: { id: started.id },
      },
      {
        next: (result) => {
          const status = result.data?.sweepUpdated.status ?? `errors: ${JSON.stringify(result.errors)}`;
          seen.push(status);
          first();
          if (status === "CANCELLED") {
            stop();
            resolve();
          }
        },
        error: reject,
        complete: () => resolve(),
      },
    );
  });
  await subscribed;
  assert.equal(seen[0], "RUNNING");
  const { cancelSweep } = await graphql<{ cancelSweep: { status: string } }>(
    stack.gateway,
    "mutation($id: ID!) { cancelSweep(id: $id) { status } }",
    { id: started.id },
  );
  assert.equal(cancelSweep.status, "CANCELLED");
  await live;
  await ws.dispose();
  assert.equal(seen.at(-1), "CANCELLED", `sweepUpdated said ${seen.join(", ")}`);
  // The same seed draws the same trials.
  const again = await startSweep({ ...input, name: "random again" });
  const twin = await readSweep(again.id);
  assert.deepEqual(
    twin.trials.map((t) => t.params),
    view.trials.map((t) => t.params),
  );
  await graphql(stack.gateway, "mutation($id: ID!) { cancelSweep(id: $id) { id } }", { id: again.id });
  for (const id of [started.id, again.id]) {
    const ended = await waitFor(
      "the cancelled sweep's run to end",
      async () => {
        const s = await readSweep(id);
        return s.trials.every((t) => !t.run || !ACTIVE.has(t.run.status)) ? s : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    assert.equal(ended.status, "CANCELLED");
    assert.equal(ended.trials.filter((t) => t.run).length, 1, "no trial launched after the cancel");
    assert.equal(ended.trials[0]?.run?.status, "CANCELLED");
  }
  const second = await graphql(stack.gateway, "mutation($id: ID!) { cancelSweep(id: $id) { id } }", {
    id: started.id,
  }).then(
    () => assert.fail("cancelled twice"),
    (e: unknown) => e as GraftApiError,
  );
  assert.equal(second.code, "CONFLICT");
});

test("graft sweep start takes the space as flags; a bad one is a usage error naming the flag", async () => {
  const env = cliEnv(stack.gateway);
  const base = ["sweep", "start", "--name", "cli", "--base", "digits-cnn", "--dataset", "mnist-5-9", "--epochs", "3"];
  const before = await counts();
  const range = await graft([...base, "--lr", "0.0001:0.01:log"], env);
  assert.equal(range.code, 2, range.stderr);
  assert.match(range.stderr, /--lr/);
  assert.match(range.stderr, /GRID sweep needs listed values/);
  const badRate = await graft([...base, "--lr", "0.001,3"], env);
  assert.equal(badRate.code, 2, badRate.stderr);
  assert.match(badRate.stderr, /--lr.*trial 2|trial 2[\s\S]*--lr/);
  assert.deepEqual(await counts(), before, "refusals stored nothing");

  const started = await graft(
    [
      ...base,
      "--method",
      "random",
      "--seed",
      "5",
      "--max-trials",
      "3",
      "--lr",
      "1e-4:1e-2:log",
      "--hidden-units",
      "0,32",
    ].concat(["--max-concurrent", "1", "--eta", "3", "--max-samples", "200", "--json"]),
    env,
  );
  assert.equal(started.code, 0, started.stderr);
  const sweep = JSON.parse(started.stdout) as {
    id: string;
    trialCount: number;
    method: string;
    maxConcurrentTrials: number;
  };
  assert.equal(sweep.trialCount, 3);
  assert.equal(sweep.method, "RANDOM");
  assert.equal(sweep.maxConcurrentTrials, 1);
  const view = await readSweep(sweep.id);
  assert.deepEqual(view.rungs, [1], "min 1 x 3^k below 3 epochs");
  const cancelled = await graft(["sweep", "cancel", sweep.id], env);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.match(cancelled.stdout, /CANCELLED/);
});

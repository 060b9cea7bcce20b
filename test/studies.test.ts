import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftApiError, GraftClient } from "@graft/client";
import { MAX_STUDY_RUNS, trainSampleCount } from "@graft/contracts";
import { studyResults } from "@graft/gateway/testing";
import { waitFor } from "@graft/testkit";
import { cliEnv, graft } from "./support/cli.ts";
import { queuedRunIds } from "./support/run-events.ts";
import { withStack } from "./support/stack.ts";
import { graphql } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"] });

const CELL = `baseModel { id } arm fraction samples runs seeds meanAccuracy stdAccuracy minAccuracy maxAccuracy
  meanSeconds epochsToTarget secondsToTarget reachedTarget`;

interface StudyRun {
  id: string;
  status: string;
  studyArm: string;
  controlKind: string | null;
  controlOf: { id: string } | null;
  baseModel: { id: string };
  dataset: { id: string; classes: { count: number }[] };
  hyperparameters: {
    seed: number;
    trainFraction: number;
    validationSplit: number;
    maxSamples: number | null;
    initialization: string;
    freezeStrategy: string;
    headHiddenUnits: number;
  };
  epochs: { epoch: number; valAccuracy: number | null; durationMs: number }[];
}

const counts = () =>
  graphql<{ studies: unknown[]; runs: { totalCount: number } }>(
    stack.gateway,
    "{ studies { id } runs { totalCount } }",
  ).then((d) => ({ studies: d.studies.length, runs: d.runs.totalCount }));

const grid = (overrides: Record<string, unknown> = {}) => ({
  name: "tiny study",
  baseModelIds: [stack.ids.digitsCnn],
  datasetId: stack.ids.mnist59,
  fractions: [0.25, 1],
  arms: ["FINE_TUNE", "LINEAR_PROBE"],
  seeds: [3],
  epochs: 2,
  fineTune: { maxSamples: 400, batchSize: 32 },
  ...overrides,
});

const refusal = async (input: Record<string, unknown>): Promise<GraftApiError> => {
  const error = await graphql(
    stack.gateway,
    "mutation($input: StartStudyInput!) { startStudy(input: $input) { id } }",
    {
      input,
    },
  ).then(
    () => assert.fail(`accepted ${JSON.stringify(input)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GraftApiError, String(error));
  return error;
};

let studyId: string | undefined;

test("a study runs exactly its grid, every run succeeds, and its cells are the aggregation of the stored epochs", async () => {
  const { startStudy } = await graphql<{ startStudy: { id: string; status: string; runs: { id: string }[] } }>(
    stack.gateway,
    "mutation($input: StartStudyInput!) { startStudy(input: $input) { id status runs { id } } }",
    { input: grid() },
  );
  assert.equal(startStudy.runs.length, 1 * 2 * 2 * 1, "1 base x 2 fractions x 2 arms x 1 seed");
  studyId = startStudy.id;
  // Live progress over graphql-ws, beside the polling below: it must end by itself with the study.
  const client = new GraftClient({ url: stack.gateway.url, apiKey: stack.gateway.apiKey });
  const live: { status: string; filled: number; cells: Record<string, unknown>[] }[] = [];
  const watched = (async () => {
    for await (const update of client.studyUpdates(startStudy.id))
      live.push({
        status: update.status,
        filled: update.cells.filter((c) => c.meanAccuracy !== null).length,
        cells: update.cells,
      });
  })();
  const read = () =>
    graphql<{
      study: {
        status: string;
        targetAccuracy: number | null;
        runs: StudyRun[];
        cells: Record<string, unknown>[];
        curve: { arm: string; points: { samples: number; meanAccuracy: number | null }[] }[];
      };
    }>(
      stack.gateway,
      `query($id: ID!) { study(id: $id) { status targetAccuracy
        runs { id status studyArm controlKind controlOf { id } baseModel { id } dataset { id classes { count } }
          hyperparameters { seed trainFraction validationSplit maxSamples initialization freezeStrategy headHiddenUnits }
          epochs { epoch valAccuracy durationMs } }
        cells { ${CELL} } curve { arm points { samples meanAccuracy } } } }`,
      { id: startStudy.id },
    );
  const { study } = await waitFor(
    "the study's runs to end",
    async () => {
      const view = await read();
      return view.study.status === "RUNNING" ? undefined : view;
    },
    { timeoutMs: 400_000, intervalMs: 1000 },
  );
  assert.equal(study.status, "SUCCEEDED", JSON.stringify(study.runs.map((r) => [r.status, r.studyArm])));
  assert.equal(study.runs.length, 4);
  const grid4 = study.runs.map((r) => `${r.studyArm}@${r.hyperparameters.trainFraction}`).sort();
  assert.deepEqual(grid4, ["FINE_TUNE@0.25", "FINE_TUNE@1", "LINEAR_PROBE@0.25", "LINEAR_PROBE@1"]);
  for (const r of study.runs) {
    assert.equal(r.epochs.length, 2, `${r.studyArm}@${r.hyperparameters.trainFraction} stored both epochs`);
    assert.equal(r.hyperparameters.seed, 3);
  }
  // Each linear probe is a control of the fine-tune of its fraction: frozen base, no hidden layer.
  for (const probe of study.runs.filter((r) => r.studyArm === "LINEAR_PROBE")) {
    const fine = study.runs.find(
      (r) => r.studyArm === "FINE_TUNE" && r.hyperparameters.trainFraction === probe.hyperparameters.trainFraction,
    );
    assert.equal(probe.controlOf?.id, fine?.id);
    assert.equal(probe.hyperparameters.headHiddenUnits, 0);
    assert.equal(probe.hyperparameters.freezeStrategy, "ALL_BASE");
  }

  const classCounts = study.runs[0]?.dataset.classes.map((c) => c.count) ?? [];
  const expected = studyResults(
    study.runs.map((r) => ({
      baseModelId: r.baseModel.id,
      arm: r.studyArm as "FINE_TUNE",
      fraction: r.hyperparameters.trainFraction,
      samples: trainSampleCount(classCounts, r.hyperparameters),
      seed: r.hyperparameters.seed,
      succeeded: r.status === "SUCCEEDED",
      epochs: r.epochs.map((e) => ({ epoch: e.epoch, accuracy: e.valAccuracy, durationMs: e.durationMs })),
    })),
  );
  assert.equal(study.targetAccuracy, expected.targetAccuracy);
  assert.deepEqual(
    study.cells,
    expected.cells.map(({ baseModelId, ...cell }) => ({ baseModel: { id: baseModelId }, ...cell })),
  );
  const fineTune = study.curve.find((c) => c.arm === "FINE_TUNE");
  // 400 of mnist-5-9's samples, 20% of each class held out, then a quarter of each class's
  // training part: rounded per class, so 319 and 81 rather than 320 and 80.
  assert.deepEqual(
    fineTune?.points.map((p) => p.samples),
    [81, 319],
  );
  assert.ok(study.cells.every((c) => typeof c.meanAccuracy === "number" && c.seeds === 1));

  // studyUpdated: the study as it was, then again as its runs moved, ending once it finished
  // with the same cells the query gives; cells only ever fill in.
  await watched;
  assert.ok(live.length >= 2, JSON.stringify(live.map((u) => [u.status, u.filled])));
  assert.equal(live[0]?.status, "RUNNING");
  assert.ok((live[0]?.filled ?? 0) < 4, "the first update comes before every cell is filled");
  const last = live.at(-1);
  assert.equal(last?.status, "SUCCEEDED");
  assert.equal(last?.filled, 4);
  assert.deepEqual(
    last?.cells.map((c) => [c.arm, c.fraction, c.meanAccuracy]),
    study.cells.map((c) => [c.arm, c.fraction, c.meanAccuracy]),
  );
  for (let i = 1; i < live.length; i++)
    assert.ok((live[i]?.filled ?? 0) >= (live[i - 1]?.filled ?? 0), "cells never empty again");
});

test("graft study show and export print the cells; csv has one row per cell", async () => {
  assert.ok(studyId, "the study test ran first");
  const env = cliEnv(stack.gateway);
  const shown = await graft(["study", "show", studyId], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /SUCCEEDED, 4\/4 runs succeeded/);
  assert.match(shown.stdout, /digits-cnn +fine-tune +25% +81 +1\/1 +0\.\d{4}/);
  assert.match(shown.stdout, /digits-cnn +linear-probe +100% +319 +1\/1 +0\.\d{4}/);
  const csv = await graft(["study", "export", studyId, "--format", "csv"], env);
  assert.equal(csv.code, 0, csv.stderr);
  const lines = csv.stdout.trim().split("\n");
  assert.equal(lines.length, 1 + 4);
  assert.match(lines[1] ?? "", /^digits-cnn,FINE_TUNE,0\.25,81,1,1,0\.\d+,,/);
  const board = await graft(["leaderboard", "mnist-5-9"], env);
  assert.equal(board.code, 0, board.stderr);
  assert.match(board.stdout, /\d +digits-cnn +root +frozen-base +flatten +2 +0\.\d{4}/);
  const json = await graft(["--json", "study", "export", studyId], env);
  assert.equal(json.code, 0, json.stderr);
  assert.equal((JSON.parse(json.stdout) as { cells: unknown[] }).cells.length, 4);
  // The gateway's refusal of an input size digits-cnn cannot take names the flag.
  const resized = await graft(
    [
      "study",
      "start",
      "--name",
      "resized",
      "--base",
      "digits-cnn",
      "--dataset",
      "mnist-5-9",
      "--fractions",
      "1",
      "--seeds",
      "1",
      "--epochs",
      "1",
      "--input-size",
      "64",
    ],
    env,
  );
  assert.notEqual(resized.code, 0);
  assert.match(resized.stderr, /--input-size.*digits-cnn cannot change its input size/s);
});

test("a study the grid or its bases make invalid is refused with a typed error and creates nothing", async () => {
  const before = await counts();
  const empty = await refusal(grid({ fractions: [] }));
  assert.equal(empty.code, "BAD_USER_INPUT");
  assert.equal(empty.field, "input.fractions");
  const tooMany = await refusal(
    grid({
      fractions: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7],
      arms: ["FINE_TUNE", "SCRATCH", "LINEAR_PROBE"],
      seeds: [1, 2, 3],
    }),
  );
  assert.equal(tooMany.code, "BAD_USER_INPUT");
  assert.match(tooMany.message, new RegExp(`= 63 runs; a study runs at most ${MAX_STUDY_RUNS}`));
  for (const fraction of [0, 1.5, -0.1]) {
    const bad = await refusal(grid({ fractions: [0.5, fraction] }));
    assert.equal(bad.code, "BAD_USER_INPUT");
    assert.equal(bad.field, "input.fractions.1");
  }
  const repeated = await refusal(grid({ seeds: [1, 1] }));
  assert.equal(repeated.field, "input.seeds");
  const unknownBase = await refusal(
    grid({ baseModelIds: [stack.ids.digitsCnn, "00000000-0000-4000-8000-000000000000"] }),
  );
  assert.equal(unknownBase.code, "NOT_FOUND");
  assert.equal(unknownBase.field, "input.baseModelIds.1");
  const badLr = await refusal(grid({ fineTune: { learningRate: 5 } }));
  assert.equal(badLr.field, "input.fineTune.learningRate");
  const badSize = await refusal(grid({ fineTune: { inputSize: 100 } }));
  assert.equal(badSize.field, "input.fineTune.inputSize");
  // digits-cnn's `flatten` reads its conv map: it cannot train at another resolution.
  const notResizable = await refusal(grid({ fineTune: { inputSize: 64 } }));
  assert.equal(notResizable.field, "input.fineTune.inputSize");
  assert.match(notResizable.message, /digits-cnn cannot change its input size when cut at flatten/);
  assert.deepEqual(await counts(), before);
});

test("the leaderboard ranks base and strategy from the stored runs of the dataset", async () => {
  assert.ok(studyId, "the study test ran first");
  const { leaderboard, study } = await graphql<{
    leaderboard: {
      rank: number;
      baseModel: { id: string };
      rootModel: { id: string };
      baseDepth: number;
      strategy: string;
      featureLayer: string | null;
      runs: number;
      meanAccuracy: number;
      bestAccuracy: number;
    }[];
    study: { runs: { studyArm: string; epochs: { valAccuracy: number | null }[] }[] };
  }>(
    stack.gateway,
    `query($d: ID!, $s: ID!) { leaderboard(datasetId: $d) { rank baseModel { id } rootModel { id } baseDepth strategy featureLayer runs meanAccuracy bestAccuracy }
      study(id: $s) { runs { studyArm epochs { valAccuracy } } } }`,
    { d: stack.ids.mnist59, s: studyId },
  );
  // The study's runs are the only ones on mnist-5-9: its fine-tunes (frozen base, hidden head) and its probes.
  const finals = (arm: string) =>
    study.runs.filter((r) => r.studyArm === arm).map((r) => r.epochs.at(-1)?.valAccuracy as number);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const expected = [
    { strategy: "FROZEN_BASE", featureLayer: "flatten", accs: finals("FINE_TUNE") },
    { strategy: "LINEAR_PROBE", featureLayer: "flatten", accs: finals("LINEAR_PROBE") },
  ].sort((a, b) => mean(b.accs) - mean(a.accs));
  assert.deepEqual(
    leaderboard.map((e) => [e.rank, e.strategy, e.featureLayer, e.runs, e.baseDepth, e.rootModel.id]),
    expected.map((x, i) => [i + 1, x.strategy, x.featureLayer, 2, 0, stack.ids.digitsCnn]),
  );
  for (const [i, e] of leaderboard.entries()) {
    assert.ok(Math.abs(e.meanAccuracy - mean(expected[i]?.accs ?? [])) < 1e-12);
    assert.equal(e.bestAccuracy, Math.max(...(expected[i]?.accs ?? [])));
  }
  const unknown = await graphql(stack.gateway, "query($d: ID!) { leaderboard(datasetId: $d) { rank } }", {
    d: "00000000-0000-4000-8000-000000000000",
  }).then(
    () => assert.fail("answered for an unknown dataset"),
    (e: unknown) => e,
  );
  assert.ok(unknown instanceof GraftApiError && unknown.code === "NOT_FOUND", String(unknown));
});

test("a study queues its cheap frozen arms before its scratch runs, so a budget cut falls on scratch", async () => {
  // A pool no trainer serves: the jobs stay queued, in the order a trainer would take them.
  const started = await graphql<{ startStudy: { id: string } }>(
    stack.gateway,
    "mutation($input: StartStudyInput!) { startStudy(input: $input) { id } }",
    { input: grid({ arms: ["SCRATCH", "FINE_TUNE", "LINEAR_PROBE"], pool: "study-order", epochs: 1 }) },
  );
  const { study } = await graphql<{
    study: { runs: { id: string; studyArm: string; controlOf: { id: string } | null }[] };
  }>(stack.gateway, "query($id: ID!) { study(id: $id) { runs { id studyArm controlOf { id } } } }", {
    id: started.startStudy.id,
  });
  const armOf = new Map(study.runs.map((r) => [r.id, r.studyArm]));
  const queued = (await queuedRunIds(stack, "study-order")).map((id) => armOf.get(id));
  assert.deepEqual(queued, ["FINE_TUNE", "FINE_TUNE", "LINEAR_PROBE", "LINEAR_PROBE", "SCRATCH", "SCRATCH"]);
  // Cancelling a fine-tune cancels its controls.
  for (const run of study.runs.filter((r) => r.studyArm === "FINE_TUNE"))
    await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: run.id });
  const after = await graphql<{ study: { runs: { status: string }[] } }>(
    stack.gateway,
    "query($id: ID!) { study(id: $id) { runs { status } } }",
    { id: started.startStudy.id },
  );
  assert.deepEqual(new Set(after.study.runs.map((r) => r.status)), new Set(["CANCELLED"]));
});

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";
import { GraftApiError } from "@graft/client";
import { waitFor } from "@graft/testkit";
import { cliEnv, graft } from "./support/cli.ts";
import { withStack } from "./support/stack.ts";
import { fineTuneInput, graphql } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"] });

const RUN_FIELDS = `id status name
  hyperparameters { epochs learningRate freezeStrategy headHiddenUnits featureLayer seed maxSamples keepCheckpoints }
  epochs { epoch loss valLoss valAccuracy trainableParams }
  error { code message }
  forkedFrom { run { id } epoch }
  forks { id }
  forkableEpochs
  outputModel { id initialization parent { id } forkedFrom { run { id } epoch } }`;

interface RunView {
  id: string;
  status: string;
  name: string | null;
  hyperparameters: {
    epochs: number;
    learningRate: number;
    freezeStrategy: string;
    headHiddenUnits: number;
    featureLayer: string | null;
    seed: number;
    maxSamples: number | null;
    keepCheckpoints: number;
  };
  epochs: {
    epoch: number;
    loss: number;
    valLoss: number | null;
    valAccuracy: number | null;
    trainableParams: number;
  }[];
  error: { code: string; message: string } | null;
  forkedFrom: { run: { id: string }; epoch: number } | null;
  forks: { id: string }[];
  forkableEpochs: number[];
  outputModel: {
    id: string;
    initialization: string | null;
    parent: { id: string } | null;
    forkedFrom: { run: { id: string }; epoch: number } | null;
  } | null;
}

const readRun = async (id: string) =>
  (await graphql<{ run: RunView }>(stack.gateway, `query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id })).run;

const finished = (id: string) =>
  waitFor(
    `run ${id} to end`,
    async () => {
      const run = await readRun(id);
      return ["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status) ? run : undefined;
    },
    { timeoutMs: 300_000, intervalMs: 1000 },
  );

const start = async (overrides: Record<string, unknown>) =>
  (
    await graphql<{ startFineTune: { id: string } }>(
      stack.gateway,
      "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
      { input: fineTuneInput(stack.ids, overrides) },
    )
  ).startFineTune.id;

const fork = (input: Record<string, unknown>) =>
  graphql<{ forkRun: RunView }>(
    stack.gateway,
    `mutation($input: ForkRunInput!) { forkRun(input: $input) { ${RUN_FIELDS} } }`,
    { input },
  ).then((d) => d.forkRun);

const runCount = async () =>
  (await graphql<{ runs: { totalCount: number } }>(stack.gateway, "{ runs { totalCount } }")).runs.totalCount;

async function refusal(input: Record<string, unknown>): Promise<GraftApiError> {
  const error = await fork(input).then(
    () => assert.fail(`accepted ${JSON.stringify(input)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GraftApiError, String(error));
  return error;
}

// Frozen conv layers, a 32-unit head: the parent keeps the checkpoints of both its epochs.
let parent: RunView;

test("a run with keepCheckpoints can be forked at each kept epoch", async () => {
  const id = await start({
    name: "fork parent",
    maxSamples: 300,
    learningRate: 0.002,
    head: { hiddenUnits: 32, dropout: 0 },
    keepCheckpoints: 2,
  });
  parent = await finished(id);
  assert.equal(parent.status, "SUCCEEDED", `${JSON.stringify(parent.error)}\n${stack.trainer("alpha").output()}`);
  assert.equal(parent.hyperparameters.keepCheckpoints, 2);
  assert.deepEqual(parent.forkableEpochs, [1, 2]);
  assert.equal(parent.forkedFrom, null);
});

test("a fork at epoch 1 of a 2-epoch run starts from the parent's epoch-1 weights, and lineage records parent run and epoch", async () => {
  // A learning rate of 1e-9 leaves the weights as the checkpoint had them: the fork's first
  // validation must then be the parent's after epoch 1 (a fresh head would be near chance).
  const started = await fork({ runId: parent.id, epoch: 1, epochs: 1, learningRate: 1e-9 });
  assert.deepEqual(started.forkedFrom, { run: { id: parent.id }, epoch: 1 });
  assert.equal(started.name, "fork parent (fork at epoch 1)");
  const run = await finished(started.id);
  assert.equal(run.status, "SUCCEEDED", `${JSON.stringify(run.error)}\n${stack.trainer("alpha").output()}`);
  // The cut, head and split are the parent's; what trains next is the fork's.
  for (const key of ["featureLayer", "headHiddenUnits", "seed", "maxSamples", "freezeStrategy"] as const)
    assert.equal(run.hyperparameters[key], parent.hyperparameters[key], key);
  assert.equal(run.hyperparameters.epochs, 1);
  assert.equal(run.hyperparameters.learningRate, 1e-9);

  const [forkEpoch, parentEpoch1] = [run.epochs[0], parent.epochs.find((e) => e.epoch === 1)];
  assert.ok(forkEpoch && parentEpoch1);
  assert.equal(forkEpoch.valAccuracy, parentEpoch1.valAccuracy);
  assert.ok(
    Math.abs((forkEpoch.valLoss as number) - (parentEpoch1.valLoss as number)) < 1e-3,
    `fork valLoss ${forkEpoch.valLoss}, parent's after epoch 1 ${parentEpoch1.valLoss}`,
  );

  // Lineage: the fork's model hangs under the base (its frozen layers are the base's), and says which run and epoch it grew from.
  assert.equal(run.outputModel?.parent?.id, stack.ids.digitsCnn);
  assert.deepEqual(run.outputModel?.forkedFrom, { run: { id: parent.id }, epoch: 1 });
  assert.equal(run.outputModel?.initialization, "PRETRAINED");
  assert.deepEqual((await readRun(parent.id)).forks, [{ id: run.id }]);
});

test("a fork may unfreeze the base: every layer trains from the parent's epoch-2 weights", async () => {
  const started = await fork({
    runId: parent.id,
    epoch: 2,
    epochs: 1,
    learningRate: 0.0005,
    freeze: { strategy: "NONE" },
    name: "unfrozen fork",
  });
  const run = await finished(started.id);
  assert.equal(run.status, "SUCCEEDED", `${JSON.stringify(run.error)}\n${stack.trainer("alpha").output()}`);
  assert.equal(run.hyperparameters.freezeStrategy, "NONE");
  assert.ok((run.epochs[0]?.trainableParams ?? 0) > (parent.epochs[0]?.trainableParams ?? 0));
  // Starting from a trained head, its first epoch's training loss is below the parent's first (a fresh head's).
  assert.ok(
    (run.epochs[0]?.loss ?? Number.POSITIVE_INFINITY) < (parent.epochs[0]?.loss ?? 0),
    `fork epoch 1 loss ${run.epochs[0]?.loss}, parent epoch 1 ${parent.epochs[0]?.loss}`,
  );
});

test("forks of unknown runs, epochs without a checkpoint and settings that do not fit are refused and create nothing", async () => {
  const before = await runCount();
  const unknown = await refusal({ runId: randomUUID(), epoch: 1 });
  assert.equal(unknown.code, "NOT_FOUND");

  const beyond = await refusal({ runId: parent.id, epoch: 3 });
  assert.equal(beyond.code, "BAD_USER_INPUT");
  assert.equal(beyond.field, "input.epoch");

  const zero = await refusal({ runId: parent.id, epoch: 0 });
  assert.equal(zero.code, "BAD_USER_INPUT");

  const badLr = await refusal({ runId: parent.id, epoch: 1, learningRate: 5 });
  assert.equal(badLr.code, "BAD_USER_INPUT");
  assert.equal(badLr.field, "input.learningRate");

  // The fork above kept no checkpoints: it cannot be forked in turn.
  const [firstFork] = (await readRun(parent.id)).forks;
  assert.ok(firstFork);
  const none = await refusal({ runId: firstFork.id, epoch: 1 });
  assert.equal(none.code, "BAD_USER_INPUT");
  assert.match(none.message, /keeps no epoch checkpoints/);

  const tooMany = await graphql(
    stack.gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
    { input: fineTuneInput(stack.ids, { keepCheckpoints: 21 }) },
  ).then(
    () => assert.fail("keepCheckpoints 21 accepted"),
    (e: unknown) => e as GraftApiError,
  );
  assert.equal(tooMany.code, "BAD_USER_INPUT");
  assert.equal(await runCount(), before);
});

test("a run still RUNNING can be forked at a kept epoch, and the fork survives the parent's cancel", async () => {
  // Every layer trains (no feature cache): epochs take long enough to fork mid-run.
  const id = await start({
    name: "long parent",
    epochs: 6,
    maxSamples: 100,
    freeze: { strategy: "NONE" },
    keepCheckpoints: 1,
  });
  const running = await waitFor(
    "the long parent's first kept epoch",
    async () => {
      const run = await readRun(id);
      return run.forkableEpochs.length > 0 || ["SUCCEEDED", "FAILED", "CANCELLED"].includes(run.status)
        ? run
        : undefined;
    },
    { timeoutMs: 180_000, intervalMs: 200 },
  );
  assert.equal(running.status, "RUNNING");
  const epoch = running.forkableEpochs.at(-1) as number;
  let started: RunView;
  try {
    started = await fork({ runId: id, epoch, epochs: 1 });
  } catch (error) {
    // Only the last epoch is kept: the parent may have moved past `epoch` since the read. Refused, typed.
    assert.ok(error instanceof GraftApiError && error.code === "BAD_USER_INPUT", String(error));
    assert.match(error.message, /no checkpoint of epoch/);
    started = await fork({ runId: id, epoch: (await readRun(id)).forkableEpochs.at(-1) as number, epochs: 1 });
  }
  // The fork holds its own copy of the checkpoint: cancelling the parent takes nothing from it.
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id });
  const run = await finished(started.id);
  assert.equal(run.status, "SUCCEEDED", `${JSON.stringify(run.error)}\n${stack.trainer("alpha").output()}`);
  assert.equal(run.forkedFrom?.run.id, id);
  assert.equal((await finished(id)).status, "CANCELLED");
});

test("graft runs fork starts a fork and graft runs show prints where it came from", async () => {
  // A fresh HOME without a saved login: the CLI reads GRAFT_URL and GRAFT_API_KEY.
  const env = cliEnv(stack.gateway);
  const out = await graft(["runs", "fork", parent.id, "--epoch", "2", "--epochs", "1", "--json"], env);
  assert.equal(out.code, 0, out.stderr);
  const started = JSON.parse(out.stdout) as { id: string; forkedFrom: { run: { id: string }; epoch: number } };
  assert.deepEqual(started.forkedFrom, { run: { id: parent.id }, epoch: 2 });
  await finished(started.id);
  const show = await graft(["runs", "show", started.id], env);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`forked from .*\\(${parent.id}\\) at epoch 2`));
  const showParent = await graft(["runs", "show", parent.id], env);
  assert.match(showParent.stdout, /forkable at epochs 1, 2/);
  assert.match(showParent.stdout, new RegExp(`fork: ${started.id}`));

  const refused = await graft(["runs", "fork", parent.id, "--epoch", "7"], env);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /--epoch/);
});

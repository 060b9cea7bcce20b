import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftApiError } from "@graft/client";
import { transferGain } from "@graft/gateway/testing";
import { waitFor } from "@graft/testkit";
import { cliEnv, graft } from "./support/cli.ts";
import { withStack } from "./support/stack.ts";
import { fineTuneInput, graphql } from "./support/trainer.ts";

const stack = withStack({
  trainers: ["alpha"],
  builtinModels: ["digits-cnn", "mobilenet-v2", "text-gru", "text-transformer"],
});

const ARM_FIELDS = `id status controlKind
  hyperparameters { initialization freezeStrategy headHiddenUnits headDropout learningRate featureLayer seed maxSamples epochs }
  epochs { epoch valAccuracy durationMs }
  error { code message }
  outputModel { initialization verifiedLineage lineageReason parent { id } layers { name weightHash } }`;

interface Arm {
  id: string;
  status: string;
  controlKind: string | null;
  hyperparameters: {
    initialization: string;
    freezeStrategy: string;
    headHiddenUnits: number;
    headDropout: number;
    learningRate: number;
    featureLayer: string | null;
    seed: number;
    maxSamples: number | null;
    epochs: number;
  };
  epochs: { epoch: number; valAccuracy: number | null; durationMs: number }[];
  error: { code: string; message: string } | null;
  outputModel: {
    initialization: string | null;
    verifiedLineage: boolean | null;
    lineageReason: string | null;
    parent: { id: string } | null;
    layers: { name: string; weightHash: string | null }[];
  } | null;
}

const GAIN_FIELDS = `metric targetAccuracy perEpoch { epoch run scratch difference } finalEpoch finalDifference
  run { epochs seconds } scratch { epochs seconds } epochSpeedup timeSpeedup linearProbeGap linearProbeEpoch complete`;

let controlledRunId: string | undefined;

const runCount = async () =>
  (await graphql<{ runs: { totalCount: number } }>(stack.gateway, "{ runs { totalCount } }")).runs.totalCount;

const refusal = async (input: Record<string, unknown>): Promise<GraftApiError> => {
  const error = await graphql(
    stack.gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
    { input },
  ).then(
    () => assert.fail(`accepted ${JSON.stringify(input)}`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof GraftApiError, String(error));
  return error;
};

test("each built-in base lists where it can be cut, with output shapes and its default marked", async () => {
  const { models } = await graphql<{
    models: {
      edges: {
        node: {
          name: string;
          fineTuneDefaults: { featureLayer: string | null; headHiddenUnits: number; learningRate: number };
          featureLayerCandidates: { name: string; outputShape: number[]; params: number; isDefault: boolean }[];
        };
      }[];
    };
  }>(
    stack.gateway,
    `{ models(filter: { kind: BASE }) { edges { node { name
        fineTuneDefaults { featureLayer headHiddenUnits learningRate }
        featureLayerCandidates { name outputShape params isDefault } } } } }`,
  );
  const byName = new Map(models.edges.map((e) => [e.node.name, e.node]));
  const show = (name: string) =>
    byName.get(name)?.featureLayerCandidates.map((c) => `${c.name}[${c.outputShape}]${c.isDefault ? "*" : ""}`);
  assert.deepEqual(show("digits-cnn"), ["flatten[400]*", "features[32]"]);
  assert.ok(show("mobilenet-v2")?.includes("flatten_1[1280]*"), String(show("mobilenet-v2")));
  assert.deepEqual(show("text-gru"), ["gru[64]", "features[64]*"]);
  assert.ok(show("text-transformer")?.includes("features[64]*"), String(show("text-transformer")));
  const digits = byName.get("digits-cnn");
  // conv1 3*3*1*8+8 = 80, conv2 3*3*8*16+16 = 1168: the base below `flatten`.
  assert.equal(digits?.featureLayerCandidates[0]?.params, 80 + 1168);
  assert.deepEqual(digits?.fineTuneDefaults, { featureLayer: "flatten", headHiddenUnits: 128, learningRate: 0.003 });
});

test("a fine-tune with SCRATCH and LINEAR_PROBE controls runs three sibling runs and reports its transfer gain", async () => {
  const input = fineTuneInput(stack.ids, { name: "with controls", controls: ["SCRATCH", "LINEAR_PROBE"] });
  const { startFineTune: main } = await graphql<{ startFineTune: { id: string; controls: { id: string }[] } }>(
    stack.gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id controls { id } } }",
    { input },
  );
  assert.equal(main.controls.length, 2);
  controlledRunId = main.id;
  const read = () =>
    graphql<{
      run: Arm & { controls: (Arm & { controlOf: { id: string } })[]; transferGain: Record<string, unknown> };
    }>(
      stack.gateway,
      `query($id: ID!) { run(id: $id) { ${ARM_FIELDS} controls { ${ARM_FIELDS} controlOf { id } } transferGain { ${GAIN_FIELDS} } } }`,
      { id: main.id },
    );
  const { run } = await waitFor(
    "the run and both controls to end",
    async () => {
      const view = await read();
      const all = [view.run, ...view.run.controls];
      return all.every((r) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(r.status)) ? view : undefined;
    },
    { timeoutMs: 400_000, intervalMs: 1000 },
  );
  const scratch = run.controls.find((c) => c.controlKind === "SCRATCH");
  const probe = run.controls.find((c) => c.controlKind === "LINEAR_PROBE");
  assert.ok(scratch && probe, JSON.stringify(run.controls.map((c) => c.controlKind)));
  for (const arm of [run, scratch, probe])
    assert.equal(
      arm.status,
      "SUCCEEDED",
      `${arm.controlKind ?? "main"}: ${JSON.stringify(arm.error)}\n${stack.trainer("alpha").output()}`,
    );
  assert.equal(scratch.controlOf.id, run.id);

  // The main run got digits-cnn's measured defaults; the arms share its split, seed and budget.
  assert.deepEqual(
    [
      run.hyperparameters.featureLayer,
      run.hyperparameters.headHiddenUnits,
      run.hyperparameters.headDropout,
      run.hyperparameters.learningRate,
    ],
    ["flatten", 128, 0.5, 0.003],
  );
  for (const arm of [scratch, probe]) {
    assert.equal(arm.hyperparameters.seed, run.hyperparameters.seed);
    assert.equal(arm.hyperparameters.maxSamples, run.hyperparameters.maxSamples);
    assert.equal(arm.hyperparameters.epochs, run.hyperparameters.epochs);
    assert.equal(arm.hyperparameters.featureLayer, "flatten");
  }
  assert.equal(scratch.hyperparameters.initialization, "SCRATCH");
  assert.equal(scratch.hyperparameters.freezeStrategy, "NONE");
  assert.equal(scratch.hyperparameters.headHiddenUnits, 128, "scratch keeps the run's head");
  assert.equal(probe.hyperparameters.initialization, "PRETRAINED");
  assert.equal(probe.hyperparameters.freezeStrategy, "ALL_BASE");
  assert.equal(probe.hyperparameters.headHiddenUnits, 0);

  // Scratch really starts elsewhere: its conv1 is neither the base's nor the frozen run's.
  const { model: base } = await graphql<{ model: { layers: { name: string; weightHash: string | null }[] } }>(
    stack.gateway,
    "query($id: ID!) { model(id: $id) { layers { name weightHash } } }",
    { id: stack.ids.digitsCnn },
  );
  const conv1 = (layers: { name: string; weightHash: string | null }[] | undefined) =>
    layers?.find((l) => l.name === "conv1")?.weightHash;
  assert.ok(conv1(base.layers));
  assert.equal(conv1(run.outputModel?.layers), conv1(base.layers), "the frozen run keeps the base's conv1");
  assert.notEqual(conv1(scratch.outputModel?.layers), conv1(base.layers), "the scratch control re-initialized conv1");

  // Lineage tells the truth about it: the base gave its architecture, none of its weights.
  assert.equal(scratch.outputModel?.initialization, "SCRATCH");
  assert.equal(scratch.outputModel?.verifiedLineage, null);
  assert.match(scratch.outputModel?.lineageReason ?? "", /re-initialized \(SCRATCH\).*none of its weights/);
  assert.equal(scratch.outputModel?.parent?.id, stack.ids.digitsCnn);
  for (const arm of [run, probe]) {
    assert.equal(arm.outputModel?.initialization, "PRETRAINED");
    assert.equal(arm.outputModel?.verifiedLineage, true, arm.outputModel?.lineageReason ?? "");
  }

  // The gain is the pure function applied to the stored epochs.
  const arm = (a: Arm) => a.epochs.map((e) => ({ epoch: e.epoch, accuracy: e.valAccuracy, durationMs: e.durationMs }));
  const expected = transferGain({ run: arm(run), scratch: arm(scratch), linearProbe: arm(probe) });
  assert.deepEqual(run.transferGain, { metric: "valAccuracy", ...expected, complete: true });
  assert.equal(run.transferGain.finalEpoch, 2);
  assert.equal((run.transferGain.perEpoch as unknown[]).length, 2);
  assert.equal(typeof run.transferGain.linearProbeGap, "number");

  const { run: withTarget } = await graphql<{ run: { transferGain: { targetAccuracy: number } } }>(
    stack.gateway,
    "query($id: ID!) { run(id: $id) { transferGain(targetAccuracy: 0.5) { targetAccuracy } } }",
    { id: run.id },
  );
  assert.equal(withTarget.transferGain.targetAccuracy, 0.5);
});

test("cancelling a run cancels its control arms that are still queued or running", async () => {
  const input = fineTuneInput(stack.ids, {
    name: "cancelled with controls",
    epochs: 3,
    controls: ["SCRATCH", "LINEAR_PROBE"],
  });
  const { startFineTune: main } = await graphql<{ startFineTune: { id: string; controls: { id: string }[] } }>(
    stack.gateway,
    "mutation($input: StartFineTuneInput!) { startFineTune(input: $input) { id controls { id } } }",
    { input },
  );
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id: main.id });
  const { run } = await waitFor(
    "the run and both controls to end",
    async () => {
      const view = await graphql<{ run: { status: string; controls: { status: string; controlKind: string }[] } }>(
        stack.gateway,
        "query($id: ID!) { run(id: $id) { status controls { status controlKind } } }",
        { id: main.id },
      );
      const all = [view.run, ...view.run.controls];
      return all.every((r) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(r.status)) ? view : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  assert.equal(run.status, "CANCELLED");
  assert.deepEqual(run.controls.map((c) => [c.controlKind, c.status]).sort(), [
    ["LINEAR_PROBE", "CANCELLED"],
    ["SCRATCH", "CANCELLED"],
  ]);
});

test("controls that would repeat the run, twice-named or unknown kinds are refused and create nothing", async () => {
  const before = await runCount();
  const scratchRun = await refusal(
    fineTuneInput(stack.ids, { initialization: "SCRATCH", freeze: { strategy: "NONE" }, controls: ["SCRATCH"] }),
  );
  assert.equal(scratchRun.code, "BAD_USER_INPUT");
  assert.equal(scratchRun.field, "input.controls");
  const twice = await refusal(fineTuneInput(stack.ids, { controls: ["LINEAR_PROBE", "LINEAR_PROBE"] }));
  assert.equal(twice.field, "input.controls");
  const probeOfProbe = await refusal(
    fineTuneInput(stack.ids, { head: { hiddenUnits: 0 }, controls: ["LINEAR_PROBE"] }),
  );
  assert.equal(probeOfProbe.field, "input.controls");
  const unknown = await refusal(fineTuneInput(stack.ids, { controls: ["RANDOM_LABELS"] }));
  assert.equal(unknown.code, "BAD_USER_INPUT");
  const frozenScratch = await refusal(fineTuneInput(stack.ids, { initialization: "SCRATCH" }));
  assert.equal(frozenScratch.field, "input.freeze.strategy");
  assert.equal(await runCount(), before);
});

test("graft runs show prints the controls and the transfer gain; graft models layers lists the cut points", async () => {
  assert.ok(controlledRunId, "the controls test ran first");
  // A fresh HOME without a saved login: the CLI reads GRAFT_URL and GRAFT_API_KEY.
  const env = cliEnv(stack.gateway);
  const shown = await graft(["runs", "show", controlledRunId, "--target", "0.5"], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /control scratch: \S+ SUCCEEDED/);
  assert.match(shown.stdout, /control linear probe: \S+ SUCCEEDED/);
  assert.match(shown.stdout, /transfer gain \(valAccuracy\)\n/);
  assert.match(shown.stdout, /vs scratch at epoch 2: +[+-]\d+\.\d pts/);
  assert.match(shown.stdout, /to 0\.5000?:/);
  const layers = await graft(["models", "layers", "digits-cnn"], env);
  assert.equal(layers.code, 0, layers.stderr);
  assert.match(layers.stdout, /default cut flatten, head hidden 128 \+ dropout 0\.5, lr 0\.003/);
  assert.match(layers.stdout, /flatten +Flatten +\[400\] +1248 +yes/);
  assert.match(layers.stdout, /features +Dense +\[32\] +14080/);
});

test("graft finetune --input-size is stored and graft runs show prints it", async () => {
  const env = cliEnv(stack.gateway);
  // A pool no trainer serves: the run stays queued, nothing trains.
  const started = await graft(
    [
      "finetune",
      "--base",
      "mobilenet-v2",
      "--dataset",
      "mnist-5-9",
      "--input-size",
      "64",
      "--pool",
      "nobody-serves-this",
    ],
    env,
  );
  assert.equal(started.code, 0, started.stderr);
  const id = /Started run (\S+)/.exec(started.stdout)?.[1];
  assert.ok(id, started.stdout);
  const shown = await graft(["runs", "show", id], env);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /input 64x64/);
  await graphql(stack.gateway, "mutation($id: ID!) { cancelRun(id: $id) { id } }", { id });
});

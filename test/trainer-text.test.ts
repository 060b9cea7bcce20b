import assert from "node:assert/strict";
import { before, test } from "node:test";
import { GraftApiError } from "@graft/client";
import { withStack } from "./support/stack.ts";
import { graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"], builtinModels: ["digits-cnn", "text-gru"] });
let ids: { textGru: string; spam: string; mnist59: string; digitsCnn: string };

interface DatasetView {
  id: string;
  name: string;
  task: string;
  classes: { label: string; count: number; sampleTexts: string[] }[];
}

before(async () => {
  await stack.ready;
  const data = await graphql<{ models: { edges: { node: { id: string; name: string } }[] }; datasets: DatasetView[] }>(
    stack.gateway,
    "{ models(first: 50) { edges { node { id name } } } datasets { id name task classes { label count sampleTexts } } }",
  );
  const model = (name: string) => data.models.edges.find((e) => e.node.name === name)?.node.id as string;
  const dataset = (name: string) => data.datasets.find((d) => d.name === name)?.id as string;
  ids = { ...stack.ids, textGru: model("text-gru"), spam: dataset("SpamAssassin") };
  assert.ok(Object.values(ids).every(Boolean), JSON.stringify(ids));
});

test("the built-in spam dataset shows per-class counts and sample texts", async () => {
  const { dataset } = await graphql<{ dataset: DatasetView }>(
    stack.gateway,
    "query($id: ID!) { dataset(id: $id) { id name task classes { label count sampleTexts } } }",
    { id: ids.spam },
  );
  assert.equal(dataset.task, "text-classification");
  assert.deepEqual(
    dataset.classes.map((c) => [c.label, c.count]),
    [
      ["ham", 4150],
      ["spam", 1896],
    ],
  );
  for (const c of dataset.classes) {
    assert.equal(c.sampleTexts.length, 3);
    for (const text of c.sampleTexts) assert.ok(text.length > 0 && text.length <= 280);
  }
});

test("a text fine-tune runs from GraphQL through a trainer into lineage with the parent's tokenizer", async () => {
  const queued = await startFineTune(stack.gateway, {
    baseModelId: ids.textGru,
    datasetId: ids.spam,
    epochs: 2,
    maxSamples: 200,
    learningRate: 0.01,
    freeze: { strategy: "ALL_BASE" },
  });
  const run = await waitForRunEnd(stack.gateway, queued.id, 240_000);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error) + stack.trainer("alpha").output());
  assert.equal(run.trainingPath, "FEATURE_CACHE");
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    [1, 2],
  );
  const child = run.outputModel;
  assert.ok(child);
  assert.equal(child.parent?.id, ids.textGru);
  assert.equal(child.verifiedLineage, true);
  assert.ok(child.layers.some((l) => l.name === "embedding" && !l.trainable && l.weightHash));

  const { parent, model } = await graphql<{
    parent: { preprocessing: { tokenizerSha256: string } };
    model: {
      task: string;
      labels: string[];
      inputShape: number[];
      preprocessing: { kind: string; sequenceLength: number; padding: string; tokenizerSha256: string };
    };
  }>(
    stack.gateway,
    `query($parent: ID!, $child: ID!) {
      parent: model(id: $parent) { preprocessing { tokenizerSha256 } }
      model(id: $child) { task labels inputShape preprocessing { kind sequenceLength padding tokenizerSha256 } }
    }`,
    { parent: ids.textGru, child: child.id },
  );
  assert.equal(model.task, "text-classification");
  assert.deepEqual(model.labels, ["ham", "spam"]);
  assert.deepEqual(model.inputShape, [64]);
  assert.equal(model.preprocessing.kind, "text");
  assert.equal(model.preprocessing.padding, "START");
  assert.match(model.preprocessing.tokenizerSha256, /^[0-9a-f]{64}$/);
  assert.equal(model.preprocessing.tokenizerSha256, parent.preprocessing.tokenizerSha256);
});

test("text and image models and datasets do not mix", async () => {
  const refused = async (input: Record<string, unknown>) => {
    const error = await startFineTune(stack.gateway, { epochs: 1, ...input }).then(
      () => assert.fail("the fine-tune was accepted"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof GraftApiError, String(error));
    assert.equal(error.code, "BAD_USER_INPUT");
    assert.match(error.message, /does not match the base/);
  };
  await refused({ baseModelId: ids.textGru, datasetId: ids.mnist59 });
  await refused({ baseModelId: ids.digitsCnn, datasetId: ids.spam });
  // Nothing was queued for either.
  const { runs } = await graphql<{ runs: { totalCount: number } }>(
    stack.gateway,
    "query($id: ID!) { runs(filter: { datasetId: $id }) { totalCount } }",
    { id: ids.mnist59 },
  );
  assert.equal(runs.totalCount, 0);
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { waitFor } from "@graft/testkit";
import { PLATFORM_WAIT, withStack } from "./support/stack.ts";
import { fineTuneInput, graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"] });
const tinyFineTune = () => fineTuneInput(stack.ids, { maxSamples: 300 });

test("a registered trainer heartbeats and shows in the fleet", async () => {
  const trainer = await waitFor(
    "alpha to heartbeat",
    async () => {
      const { trainers } = await graphql<{
        trainers: { name: string; status: string; backend: string; cpuCount: number; lastHeartbeatAt: string | null }[];
      }>(stack.gateway, "{ trainers { name status backend cpuCount lastHeartbeatAt } }");
      return trainers.find((t) => t.name === "alpha" && t.lastHeartbeatAt !== null);
    },
    PLATFORM_WAIT,
  );
  assert.equal(trainer.status, "IDLE");
  assert.ok(trainer.cpuCount >= 1);
  assert.match(stack.trainer("alpha").output(), new RegExp(`on backend ${trainer.backend}`));
});

test("fine-tunes digits-cnn on mnist-5-9 to SUCCEEDED with two epochs and a verified child in lineage", async () => {
  const queued = await startFineTune(stack.gateway, tinyFineTune());
  assert.equal(queued.status, "QUEUED");
  const run = await waitForRunEnd(stack.gateway, queued.id);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error) + stack.trainer("alpha").output());
  assert.deepEqual(
    run.epochs.map((e) => e.epoch),
    [1, 2],
  );
  for (const epoch of run.epochs) assert.ok(Number.isFinite(epoch.loss), `epoch ${epoch.epoch} loss ${epoch.loss}`);
  assert.equal(run.attemptCount, 1);
  assert.equal(run.trainingPath, "FEATURE_CACHE");
  assert.equal(run.trainer?.name, "alpha");

  const child = run.outputModel;
  assert.ok(child, "the run recorded its output model");
  assert.equal(child.kind, "FINE_TUNED");
  assert.equal(child.parent?.id, stack.ids.digitsCnn);
  assert.equal(child.verifiedLineage, true);
  assert.ok(
    child.layers.some((l) => !l.trainable && l.weightHash),
    "frozen base layers are recorded",
  );

  const { model } = await graphql<{ model: { children: { id: string }[] } }>(
    stack.gateway,
    "query($id: ID!) { model(id: $id) { children { id } } }",
    { id: stack.ids.digitsCnn },
  );
  assert.ok(
    model.children.some((c) => c.id === child.id),
    "the child appears under its base",
  );
});

test("two trainers in one pool each take one of two runs", async () => {
  await stack.startTrainer("beta");
  // Both must be pulling before the jobs go out.
  await waitFor(
    "alpha and beta to be idle",
    async () => {
      const { trainers } = await graphql<{
        trainers: { name: string; status: string; lastHeartbeatAt: string | null }[];
      }>(stack.gateway, "{ trainers { name status lastHeartbeatAt } }");
      return trainers.filter((t) => t.status === "IDLE" && t.lastHeartbeatAt).length >= 2;
    },
    PLATFORM_WAIT,
  );

  const [first, second] = await Promise.all([
    startFineTune(stack.gateway, tinyFineTune()),
    startFineTune(stack.gateway, tinyFineTune()),
  ]);
  const runs = await Promise.all([first, second].map((r) => waitForRunEnd(stack.gateway, r.id, 180_000)));
  for (const run of runs) {
    assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error));
    assert.equal(run.attemptCount, 1);
  }
  assert.deepEqual(runs.map((r) => r.trainer?.name).sort(), ["alpha", "beta"]);
});

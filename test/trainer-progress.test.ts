import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftClient, type ProgressFieldsFragment, RunEventKind, RunStatus } from "@graft/client";
import { RUN_PROGRESS_PHASES } from "@graft/contracts";
import { waitFor } from "@graft/testkit";
import { cliEnv, graft } from "./support/cli.ts";
import { PLATFORM_WAIT, withStack } from "./support/stack.ts";
import { fineTuneInput, graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

const stack = withStack({ trainers: ["alpha"] });

type Progress = ProgressFieldsFragment;

test("a training run reports its progress inside each epoch: PROGRESS events, Run.progress while RUNNING, NDJSON in graft runs watch --json", async () => {
  // Frozen conv base (feature cache), small batches: a few hundred batches an epoch, so
  // every epoch spans several of the trainer's one-a-second reports.
  const queued = await startFineTune(
    stack.gateway,
    fineTuneInput(stack.ids, { maxSamples: 3_000, batchSize: 4, epochs: 3 }),
  );

  const client = new GraftClient({ url: stack.gateway.url, apiKey: stack.gateway.apiKey });
  const live: Progress[] = [];
  const subscription = (async () => {
    for await (const event of client.runEvents(queued.id)) {
      if (event.kind === RunEventKind.Progress) {
        assert.ok(event.progress, "a PROGRESS event carries its progress");
        live.push(event.progress);
      }
    }
  })();

  const watch = graft(["runs", "watch", queued.id, "--json"], cliEnv(stack.gateway));

  // While the run trains, the API answers where it is.
  const during = await waitFor(
    "Run.progress to show training while RUNNING",
    async () => {
      const { run } = await graphql<{
        run: { status: string; progress: (Progress & { updatedAt: string }) | null };
      }>(
        stack.gateway,
        "query($id: ID!) { run(id: $id) { status progress { phase done total epoch epochs etaSeconds updatedAt } } }",
        { id: queued.id },
      );
      return run.status === "RUNNING" && run.progress?.phase === "TRAINING" ? run.progress : undefined;
    },
    PLATFORM_WAIT,
  );
  assert.ok(during.total > 0 && during.done <= during.total, JSON.stringify(during));
  assert.equal(during.epochs, 3);
  assert.ok(!Number.isNaN(Date.parse(during.updatedAt)));

  const run = await waitForRunEnd(stack.gateway, queued.id, 300_000);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error) + stack.trainer("alpha").output());
  await subscription;

  // Training reports arrive in order: (epoch, done) only grows, and stays within the epoch's batches.
  const training = live.filter((p) => p.phase === "TRAINING");
  assert.ok(training.length >= 2, `at least two TRAINING reports: ${JSON.stringify(live)}`);
  for (const [i, p] of training.entries()) {
    assert.ok(p.epoch !== null && p.epoch >= 1 && p.epoch <= 3, JSON.stringify(p));
    assert.ok(p.total > 0 && p.done <= p.total, JSON.stringify(p));
    const before = training[i - 1];
    if (before?.epoch != null && p.epoch !== null)
      assert.ok(
        p.epoch > before.epoch || (p.epoch === before.epoch && p.done > before.done),
        `training progress went back: ${JSON.stringify(before)} then ${JSON.stringify(p)}`,
      );
  }
  assert.ok(
    training.some((p) => p.etaSeconds !== null),
    "training reports carry an ETA once batches have been measured",
  );
  // The feature cache is filled before the first epoch.
  const phases = live.map((p) => p.phase);
  assert.ok(phases.every((phase) => RUN_PROGRESS_PHASES.includes(phase)));
  const firstTraining = phases.indexOf("TRAINING");
  const lastExtracting = phases.lastIndexOf("EXTRACTING_FEATURES");
  if (lastExtracting >= 0) assert.ok(lastExtracting < firstTraining, phases.join(","));

  // Progress ends with the run: none is left on a finished run.
  const { run: ended } = await graphql<{ run: { status: string; progress: Progress | null } }>(
    stack.gateway,
    "query($id: ID!) { run(id: $id) { status progress { phase } } }",
    { id: queued.id },
  );
  assert.deepEqual(ended, { status: RunStatus.Succeeded, progress: null });

  const watched = await watch;
  assert.equal(watched.code, 0, watched.stderr);
  const lines = watched.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; phase?: string; done?: number; total?: number });
  const progressLines = lines.filter((l) => l.type === "progress");
  assert.ok(
    progressLines.some((l) => l.phase === "TRAINING" && typeof l.done === "number" && typeof l.total === "number"),
    `graft runs watch --json prints progress lines: ${watched.stdout}`,
  );
  assert.deepEqual(lines.filter((l) => l.type === "epoch").length, 3, "and every epoch once, as before");
});

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
import { imageFolderZip, serveFiles, tinyModel, zipFiles } from "./support/fixtures.ts";
import { codes, type GatewaySetup, setup } from "./support/gateway.ts";
import { completeRun, lastJob, queuedJob } from "./support/run-events.ts";

describeEachDriver((driver) => {
  // One gateway for the file: starting PGlite dominates a gateway's start-up.
  let s: GatewaySetup;
  before(async () => {
    s = await setup(driver, { maxUploadBytes: 64 * 1024 });
  });
  after(async () => {
    await s?.cleanup();
  });

  const MODEL_FIELDS =
    "id name kind architecture inputShape labels featureLayer paramCount sizeBytes layers { index name weightHash } preprocessing { inputRange channels } provenance";

  async function uploadModel(name: string, options: Parameters<typeof tinyModel>[0] = {}) {
    const uploaded = await s.upload(zipFiles(tinyModel(options).files));
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    const data = await s.gqlData<{ registerModel: { id: string; layers: { name: string }[] } }>(
      `mutation ($input: RegisterModelInput!) { registerModel(input: $input) { ${MODEL_FIELDS} } }`,
      { input: { name, uploadId: uploaded.body.uploadId, labels: ["a", "b", "c"] } },
    );
    return data.registerModel;
  }

  async function createDataset(name: string, labels = ["cats", "dogs"]) {
    const uploaded = await s.upload(imageFolderZip(labels));
    assert.equal(uploaded.status, 201);
    const data = await s.gqlData<{ createDataset: { id: string } }>(
      "mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { id name version labels classCounts sampleCount sampleShape builtin sha256 } }",
      { input: { name, uploadId: uploaded.body.uploadId } },
    );
    return data.createDataset;
  }

  const START = `mutation ($input: StartFineTuneInput!) {
  startFineTune(input: $input) { id status pool baseModel { id } dataset { id } hyperparameters { epochs learningRate freezeStrategy freezeLayers raw } }
}`;

  test("registerModel from an uploaded zip stores a BASE model with its layers and per-layer hashes", async () => {
    const model = (await uploadModel("tiny-upload")) as unknown as Record<string, unknown> & {
      layers: { name: string; weightHash: string | null }[];
    };
    assert.equal(model.kind, "BASE");
    assert.deepEqual(model.inputShape, [8, 8, 1]);
    assert.deepEqual(model.labels, ["a", "b", "c"]);
    assert.equal(model.featureLayer, "features");
    assert.equal(model.paramCount, 64 * 4 + 4 + 4 * 3 + 3);
    assert.deepEqual(
      model.layers.map((l) => l.name),
      ["flatten", "features", "head"],
    );
    assert.equal(model.layers[0]?.weightHash, null);
    assert.match(model.layers[1]?.weightHash ?? "", /^[0-9a-f]{64}$/);
    assert.deepEqual(model.preprocessing, { inputRange: [0, 1], channels: 1 });
  });

  test("registerModel fetches model.json and its shards from a URL", async () => {
    const { files } = tinyModel({ seed: 7 });
    const server = await serveFiles(() => files);
    try {
      const url = server.url("model.json");
      const data = await s.gqlData<{
        registerModel: { name: string; layers: unknown[]; labels: string[]; provenance: { source: { url: string } } };
      }>(`mutation ($input: RegisterModelInput!) { registerModel(input: $input) { ${MODEL_FIELDS} } }`, {
        input: { name: "tiny-url", url, inputRange: [-1, 1] },
      });
      assert.equal(data.registerModel.layers.length, 3);
      assert.deepEqual(data.registerModel.labels, ["0", "1", "2"]);
      assert.equal(data.registerModel.provenance.source.url, url);

      const missing = await s.gql("mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id } }", {
        input: { name: "nope", url: url.replace("model.json", "absent.json") },
      });
      assert.deepEqual(codes(missing), ["BAD_USER_INPUT"]);
      assert.equal(missing.errors?.[0]?.extensions?.field, "input.url");
    } finally {
      await server.close();
    }
  });

  test("a corrupt model.json is refused with a clear error and writes no row", async () => {
    const before = await s.gqlData<{ models: { totalCount: number } }>("{ models { totalCount } }");
    const files = tinyModel().files;
    files.set("model.json", new TextEncoder().encode('{"modelTopology": '));
    const uploaded = await s.upload(zipFiles(files));
    const result = await s.gql("mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id } }", {
      input: { name: "corrupt", uploadId: uploaded.body.uploadId },
    });
    assert.deepEqual(codes(result), ["BAD_USER_INPUT"]);
    assert.equal(result.errors?.[0]?.extensions?.field, "input.uploadId");
    assert.match(result.errors?.[0]?.message ?? "", /model\.json is not valid JSON/);
    const after = await s.gqlData<{ models: { totalCount: number } }>("{ models { totalCount } }");
    assert.equal(after.models.totalCount, before.models.totalCount);

    const both = await s.gql('mutation { registerModel(input: { name: "x" }) { id } }');
    assert.deepEqual(codes(both), ["BAD_USER_INPUT"]);
    const wrongLabels = await s.gql("mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id } }", {
      input: {
        name: "labels",
        uploadId: (await s.upload(zipFiles(tinyModel().files))).body.uploadId,
        labels: ["only-one"],
      },
    });
    assert.equal(wrongLabels.errors?.[0]?.extensions?.field, "input.labels");
  });

  test("createDataset reads class folders; a bad zip is refused with the field at fault", async () => {
    const dataset = (await createDataset("pets")) as unknown as Record<string, unknown>;
    assert.deepEqual(dataset.labels, ["cats", "dogs"]);
    assert.deepEqual(dataset.classCounts, [3, 3]);
    assert.equal(dataset.sampleCount, 6);
    assert.deepEqual(dataset.sampleShape, [8, 8, 1]);
    assert.equal(dataset.builtin, false);
    assert.equal(dataset.version, 1);
    assert.match(String(dataset.sha256), /^[0-9a-f]{64}$/);
    const again = (await createDataset("pets")) as unknown as Record<string, unknown>;
    assert.equal(again.version, 2);

    const oneClass = await s.upload(imageFolderZip(["only"]));
    const bad = await s.gql("mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { id } }", {
      input: { name: "bad", uploadId: oneClass.body.uploadId },
    });
    assert.deepEqual(codes(bad), ["BAD_USER_INPUT"]);
    assert.equal(bad.errors?.[0]?.extensions?.field, "input.uploadId");
    const unknown = await s.gql(
      'mutation { createDataset(input: { name: "x", uploadId: "00000000-0000-4000-8000-000000000001" }) { id } }',
    );
    assert.deepEqual(codes(unknown), ["NOT_FOUND"]);
    assert.equal(unknown.errors?.[0]?.extensions?.field, "input.uploadId");
    const builtins = await s.gqlData<{ datasets: { name: string; builtin: boolean; sampleCount: number }[] }>(
      "{ datasets { name builtin sampleCount } }",
    );
    assert.deepEqual(
      builtins.datasets.filter((d) => d.builtin).map((d) => [d.name, d.sampleCount]),
      [
        ["MNIST", 10_000],
        ["MNIST 0-4", 1001 + 1127 + 991 + 1032 + 980],
        ["MNIST 5-9", 863 + 1014 + 1070 + 944 + 978],
        ["SpamAssassin", 6046],
        ["Brown genres", 19_277],
      ],
    );
  });

  test("createExperiment: happy path, duplicate name CONFLICT, empty name BAD_USER_INPUT", async () => {
    const made = await s.gqlData<{
      createExperiment: { name: string; objectiveMetric: string; objectiveDirection: string };
    }>(
      'mutation { createExperiment(input: { name: "exp-a", description: "d" }) { name objectiveMetric objectiveDirection } }',
    );
    assert.deepEqual(made.createExperiment, {
      name: "exp-a",
      objectiveMetric: "valAccuracy",
      objectiveDirection: "DESC",
    });
    const duplicate = await s.gql('mutation { createExperiment(input: { name: "exp-a" }) { id } }');
    assert.deepEqual(codes(duplicate), ["CONFLICT"]);
    const empty = await s.gql('mutation { createExperiment(input: { name: "  " }) { id } }');
    assert.deepEqual(codes(empty), ["BAD_USER_INPUT"]);
    assert.equal(empty.errors?.[0]?.extensions?.field, "input.name");
  });

  test("startFineTune leaves a QUEUED run and its valid JobMessage on NATS", async () => {
    const base = await uploadModel("ft-base");
    const dataset = await createDataset("ft-data");
    const started = await s.gqlData<{
      startFineTune: { id: string; status: string; pool: string; hyperparameters: Record<string, unknown> };
    }>(START, {
      input: {
        baseModelId: base.id,
        datasetId: dataset.id,
        epochs: 3,
        learningRate: 0.01,
        freeze: { strategy: "FIRST_N", layers: 2 },
        pool: "gpu-a",
      },
    });
    assert.equal(started.startFineTune.status, "QUEUED");
    assert.equal(started.startFineTune.pool, "gpu-a");
    assert.equal(started.startFineTune.hyperparameters.freezeStrategy, "FIRST_N");
    assert.equal(started.startFineTune.hyperparameters.freezeLayers, 2);
    const job = await lastJob(s, "gpu-a");
    assert.equal(job.runId, started.startFineTune.id);
    assert.equal(job.baseModel.id, base.id);
    assert.equal(job.baseModel.featureLayer, "features");
    assert.equal(job.dataset.source.kind, "UPLOAD");
    assert.deepEqual(job.dataset.labels, ["cats", "dogs"]);
    assert.equal(job.hyperparameters.epochs, 3);
    assert.equal(job.hyperparameters.batchSize, 32);
  });

  test("startFineTune with controls stores sibling runs grouped under the run, each with its own job", async () => {
    const base = await uploadModel("controls-base");
    const dataset = await createDataset("controls-data");
    const ARM =
      "id status controlKind controlOf { id } hyperparameters { initialization freezeStrategy headHiddenUnits seed maxSamples }";
    const { startFineTune: run } = await s.gqlData<{
      startFineTune: {
        id: string;
        controls: {
          id: string;
          controlKind: string;
          controlOf: { id: string };
          hyperparameters: Record<string, unknown>;
        }[];
        transferGain: { perEpoch: unknown[]; finalDifference: number | null; complete: boolean } | null;
      };
    }>(
      `mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id
        controls { ${ARM} } transferGain { perEpoch { epoch } finalDifference complete } } }`,
      {
        input: {
          baseModelId: base.id,
          datasetId: dataset.id,
          epochs: 2,
          seed: 9,
          maxSamples: 40,
          head: { hiddenUnits: 8 },
          pool: "controls-pool",
          controls: ["LINEAR_PROBE", "SCRATCH"],
        },
      },
    );
    const byKind = new Map(run.controls.map((c) => [c.controlKind, c]));
    assert.deepEqual([...byKind.keys()].sort(), ["LINEAR_PROBE", "SCRATCH"]);
    for (const c of run.controls) {
      assert.equal(c.controlOf.id, run.id);
      assert.equal(c.hyperparameters.seed, 9);
      assert.equal(c.hyperparameters.maxSamples, 40);
    }
    assert.deepEqual(byKind.get("SCRATCH")?.hyperparameters, {
      initialization: "SCRATCH",
      freezeStrategy: "NONE",
      headHiddenUnits: 8,
      seed: 9,
      maxSamples: 40,
    });
    assert.equal(byKind.get("LINEAR_PROBE")?.hyperparameters.headHiddenUnits, 0);
    assert.equal(byKind.get("LINEAR_PROBE")?.hyperparameters.freezeStrategy, "ALL_BASE");
    // Nothing has trained: the gain exists (the run has controls) with its fields empty.
    assert.deepEqual(run.transferGain, { perEpoch: [], finalDifference: null, complete: false });
    // Three jobs went out; the last one published is the last arm's.
    const job = await lastJob(s, "controls-pool");
    assert.ok(run.controls.some((c) => c.id === job.runId));
    const { run: plain } = await s.gqlData<{ run: { controls: unknown[]; transferGain: unknown } }>(
      "query ($id: ID!) { run(id: $id) { controls { id } transferGain { complete } } }",
      { id: run.controls[0]?.id },
    );
    assert.deepEqual(plain, { controls: [], transferGain: null });
  });

  test("startFineTune refuses bad input with the field at fault and stores nothing", async () => {
    const base = await uploadModel("bad-base");
    const dataset = await createDataset("bad-data");
    const countRuns = async () =>
      (await s.gqlData<{ runs: { totalCount: number } }>("{ runs { totalCount } }")).runs.totalCount;
    const before = await countRuns();
    const cases: [Record<string, unknown>, string, string][] = [
      [{ learningRate: 5 }, "BAD_USER_INPUT", "input.learningRate"],
      [{ epochs: 0 }, "BAD_USER_INPUT", "input.epochs"],
      [{ freeze: { strategy: "FIRST_N" } }, "BAD_USER_INPUT", "input.freeze.layers"],
      [{ freeze: { strategy: "FIRST_N", layers: 3 } }, "BAD_USER_INPUT", "input.freeze.layers"],
      [{ unfreezeSchedule: [{ epoch: 9, layers: 1 }] }, "BAD_USER_INPUT", "input.unfreezeSchedule.0.epoch"],
      [{ featureLayer: "nope" }, "BAD_USER_INPUT", "input.featureLayer"],
      [{ featureLayer: "head" }, "BAD_USER_INPUT", "input.featureLayer"],
      [{ pool: "a.b" }, "BAD_USER_INPUT", "input.pool"],
      [{ controls: ["SCRATCH", "SCRATCH"] }, "BAD_USER_INPUT", "input.controls"],
      [
        { initialization: "SCRATCH", freeze: { strategy: "NONE" }, controls: ["LINEAR_PROBE"] },
        "BAD_USER_INPUT",
        "input.controls",
      ],
      [{ initialization: "SCRATCH" }, "BAD_USER_INPUT", "input.freeze.strategy"],
      [{ inputSize: 48 }, "BAD_USER_INPUT", "input.inputSize"],
      // The tiny CNN flattens a spatial map: its features depend on the resolution.
      [{ inputSize: 64 }, "BAD_USER_INPUT", "input.inputSize"],
      [{ baseModelId: "00000000-0000-4000-8000-000000000000" }, "NOT_FOUND", "input.baseModelId"],
      [{ datasetId: "not-a-uuid" }, "NOT_FOUND", "input.datasetId"],
      // Read in one statement; the first wrong id in input order is the one reported.
      [
        { baseModelId: "00000000-0000-4000-8000-000000000000", datasetId: "not-a-uuid" },
        "NOT_FOUND",
        "input.baseModelId",
      ],
      [{ experimentId: "00000000-0000-4000-8000-000000000000" }, "NOT_FOUND", "input.experimentId"],
    ];
    for (const [patch, code, field] of cases) {
      const result = await s.gql(START, {
        input: { baseModelId: base.id, datasetId: dataset.id, epochs: 2, ...patch },
      });
      assert.deepEqual(codes(result), [code], JSON.stringify(patch));
      assert.equal(result.errors?.[0]?.extensions?.field, field, JSON.stringify(patch));
    }
    const rgb = await uploadModel("rgb-data-base", { channels: 1 });
    const colour = await s.upload(imageFolderZip(["x", "y"]));
    assert.equal(colour.status, 201);
    assert.ok(rgb.id);
    assert.equal(await countRuns(), before);
  });

  test("cancelRun ends a queued run at once and removes its job; a finished run answers CONFLICT", async () => {
    const base = await uploadModel("cancel-base");
    const dataset = await createDataset("cancel-data");
    const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(START, {
      input: { baseModelId: base.id, datasetId: dataset.id, epochs: 1, pool: "cancel-pool" },
    });
    assert.equal((await lastJob(s, "cancel-pool")).runId, startFineTune.id);
    const cancelled = await s.gqlData<{ cancelRun: { status: string; finishedAt: string | null } }>(
      "mutation ($id: ID!) { cancelRun(id: $id) { status finishedAt } }",
      { id: startFineTune.id },
    );
    assert.equal(cancelled.cancelRun.status, "CANCELLED");
    assert.ok(cancelled.cancelRun.finishedAt);
    assert.equal(await queuedJob(s, "cancel-pool"), null, "the cancelled run's job is still queued");
    const again = await s.gql("mutation ($id: ID!) { cancelRun(id: $id) { status } }", { id: startFineTune.id });
    assert.deepEqual(codes(again), ["CONFLICT"]);
  });

  test("lineage on a 3-level tree: parent, children, ancestors, descendants, siblings, producedBy", async () => {
    const { registerTrainer } = await s.gqlData<{ registerTrainer: { trainer: { id: string } } }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "lineage", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
      { t: s.gateway.joinToken },
    );
    const root = (await uploadModel("root")) as unknown as {
      id: string;
      layers: { name: string; className: string; weightHash: string | null; params: number }[];
    };
    const full = await s.gqlData<{
      model: { layers: { name: string; className: string; weightHash: string | null; params: number }[] };
    }>("query ($id: ID!) { model(id: $id) { layers { name className weightHash params } } }", { id: root.id });
    const dataset = await createDataset("lineage-data", ["p", "q"]);
    const { createExperiment } = await s.gqlData<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "lineage-exp" }) { id } }',
    );
    const fineTune = async (baseId: string, layers: typeof full.model.layers, valAccuracies?: number[]) => {
      const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(START, {
        input: {
          baseModelId: baseId,
          datasetId: dataset.id,
          epochs: 2,
          pool: "lineage",
          experimentId: createExperiment.id,
        },
      });
      const job = await lastJob(s, "lineage");
      await completeRun({
        nats: s.nats,
        jobToken: job.jobToken,
        runId: startFineTune.id,
        trainerId: registerTrainer.trainer.id,
        outputModelId: job.outputModelId,
        baseLayers: layers,
        featureLayer: "features",
        inputShape: [8, 8, 1],
        labels: ["p", "q"],
        valAccuracies,
      });
      for (let i = 0; i < 200; i++) {
        const { run } = await s.gqlData<{ run: { status: string; outputModel: { id: string } | null } }>(
          "query ($id: ID!) { run(id: $id) { status outputModel { id } } }",
          { id: startFineTune.id },
        );
        if (run.outputModel) return { runId: startFineTune.id, modelId: run.outputModel.id };
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error("the ingest never created the child model");
    };
    const child = await fineTune(root.id, full.model.layers);
    const sibling = await fineTune(root.id, full.model.layers, [0.6, 0.9]);
    const grandchild = await fineTune(child.modelId, full.model.layers);

    const { model } = await s.gqlData<{
      model: {
        kind: string;
        parent: { id: string };
        children: { id: string }[];
        ancestors: { id: string }[];
        descendants: { id: string }[];
        siblings: { id: string }[];
        producedBy: { id: string };
        bestMetric: number;
        verifiedLineage: boolean | null;
      };
    }>(
      `query ($id: ID!) { model(id: $id) { kind parent { id } children { id } ancestors { id } descendants { id } siblings { id } producedBy { id } bestMetric verifiedLineage } }`,
      { id: child.modelId },
    );
    assert.equal(model.kind, "FINE_TUNED");
    assert.equal(model.parent.id, root.id);
    assert.deepEqual(
      model.children.map((m) => m.id),
      [grandchild.modelId],
    );
    assert.deepEqual(
      model.ancestors.map((m) => m.id),
      [root.id],
    );
    assert.deepEqual(
      model.descendants.map((m) => m.id),
      [grandchild.modelId],
    );
    assert.deepEqual(
      model.siblings.map((m) => m.id),
      [sibling.modelId],
    );
    assert.equal(model.producedBy.id, child.runId);
    assert.equal(model.bestMetric, 0.75);

    const fromRoot = await s.gqlData<{ model: { descendants: { id: string }[]; shallow: { id: string }[] } }>(
      "query ($id: ID!) { model(id: $id) { descendants { id } shallow: descendants(maxDepth: 1) { id } } }",
      { id: root.id },
    );
    assert.deepEqual(
      new Set(fromRoot.model.descendants.map((m) => m.id)),
      new Set([child.modelId, sibling.modelId, grandchild.modelId]),
    );
    assert.deepEqual(new Set(fromRoot.model.shallow.map((m) => m.id)), new Set([child.modelId, sibling.modelId]));
    const fromLeaf = await s.gqlData<{ model: { ancestors: { id: string }[] } }>(
      "query ($id: ID!) { model(id: $id) { ancestors { id } } }",
      { id: grandchild.modelId },
    );
    assert.deepEqual(
      fromLeaf.model.ancestors.map((m) => m.id),
      [child.modelId, root.id],
    );

    const { run } = await s.gqlData<{
      run: {
        status: string;
        epochs: { epoch: number }[];
        bestEpoch: { epoch: number };
        attempts: { attempt: number }[];
        trainer: { id: string };
      };
    }>(
      "query ($id: ID!) { run(id: $id) { status epochs { epoch } bestEpoch { epoch } attempts { attempt } trainer { id } } }",
      { id: child.runId },
    );
    assert.equal(run.status, "SUCCEEDED");
    assert.deepEqual(
      run.epochs.map((e) => e.epoch),
      [1, 2],
    );
    assert.equal(run.bestEpoch.epoch, 2);
    assert.equal(run.trainer.id, registerTrainer.trainer.id);

    const plotted = await s.gqlData<{ run: { series: unknown[]; full: unknown[] } }>(
      "query ($id: ID!) { run(id: $id) { series(metric: valAccuracy, maxPoints: 1) { epoch min max last } full: series(metric: valAccuracy) { epoch last } } }",
      { id: child.runId },
    );
    assert.deepEqual(plotted.run.series, [{ epoch: 2, min: 0.5, max: 0.75, last: 0.75 }]);
    assert.deepEqual(plotted.run.full, [
      { epoch: 1, last: 0.5 },
      { epoch: 2, last: 0.75 },
    ]);
    const best = await s.gqlData<{ experiment: { bestRun: { id: string } } }>(
      "query ($id: ID!) { experiment(id: $id) { bestRun { id } } }",
      { id: createExperiment.id },
    );
    assert.equal(best.experiment.bestRun.id, sibling.runId);
    const ranked = await s.gqlData<{ runs: { edges: { node: { id: string } }[] } }>(
      "query ($e: ID!) { runs(filter: { experimentId: $e }, orderBy: { field: BEST_VAL_ACCURACY, direction: DESC }) { edges { node { id } } } }",
      { e: createExperiment.id },
    );
    assert.equal(ranked.runs.edges[0]?.node.id, sibling.runId);
    const other = await s.gateway.createProject("lineage-other");
    const hidden = await s.gql("query ($id: ID!) { model(id: $id) { id } }", { id: child.modelId }, other.apiKey);
    assert.deepEqual(codes(hidden), ["NOT_FOUND"]);
  });

  test("cursor pagination walks every run exactly once, newest first", async () => {
    const other = await s.gateway.createProject("paging");
    const base = await uploadModel("page-base");
    const dataset = await createDataset("page-data");
    const { createExperiment } = await s.gqlData<{ createExperiment: { id: string } }>(
      'mutation { createExperiment(input: { name: "paging" }) { id } }',
    );
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(START, {
        input: {
          baseModelId: base.id,
          datasetId: dataset.id,
          epochs: 1,
          experimentId: createExperiment.id,
          pool: "paging",
        },
      });
      ids.push(startFineTune.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: {
        runs: {
          edges: { node: { id: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          totalCount: number;
        };
      } = await s.gqlData(
        "query ($after: String, $f: RunFilter) { runs(first: 2, after: $after, filter: $f) { edges { node { id } } pageInfo { hasNextPage endCursor } totalCount } }",
        { after: cursor, f: { experimentId: createExperiment.id } },
      );
      assert.equal(data.runs.totalCount, 5);
      seen.push(...data.runs.edges.map((e) => e.node.id));
      if (!data.runs.pageInfo.hasNextPage) break;
      cursor = data.runs.pageInfo.endCursor;
    }
    assert.deepEqual(seen, [...ids].reverse());
    const expRuns = await s.gqlData<{ experiment: { runs: { totalCount: number; edges: unknown[] } } }>(
      "query ($id: ID!) { experiment(id: $id) { runs(first: 3) { totalCount edges { cursor } } } }",
      { id: createExperiment.id },
    );
    assert.equal(expRuns.experiment.runs.totalCount, 5);
    assert.equal(expRuns.experiment.runs.edges.length, 3);
    const foreign = await s.gqlData<{ runs: { totalCount: number } }>("{ runs { totalCount } }", {}, other.apiKey);
    assert.equal(foreign.runs.totalCount, 0);
    const badCursor = await s.gql('{ runs(after: "garbage") { totalCount } }');
    assert.deepEqual(codes(badCursor), ["BAD_USER_INPUT"]);

    const models: string[] = [];
    let after: string | null = null;
    for (;;) {
      const data: {
        models: {
          edges: { node: { id: string } }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
          totalCount: number;
        };
      } = await s.gqlData(
        "query ($after: String) { models(first: 2, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } totalCount } }",
        { after },
      );
      models.push(...data.models.edges.map((e) => e.node.id));
      if (!data.models.pageInfo.hasNextPage) {
        assert.equal(models.length, data.models.totalCount);
        break;
      }
      after = data.models.pageInfo.endCursor;
    }
    assert.equal(new Set(models).size, models.length);
  });

  test("limits: too deep, too many aliases and batched requests are refused", async () => {
    const deep = await s.gql(
      "{ models { edges { node { parent { parent { parent { parent { parent { parent { parent { parent { parent { parent { id } } } } } } } } } } } } } }",
    );
    assert.equal(deep.data, undefined);
    assert.match(deep.errors?.[0]?.message ?? "", /depth/i);
    const aliases = Array.from({ length: 30 }, (_, i) => `a${i}: viewer { projectId }`).join(" ");
    const many = await s.gql(`{ ${aliases} }`);
    assert.equal(many.data, undefined);
    assert.match(many.errors?.[0]?.message ?? "", /alias/i);
    const batch = await fetch(s.gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${s.gateway.apiKey}` },
      body: JSON.stringify([{ query: "{ viewer { projectId } }" }, { query: "{ viewer { projectId } }" }]),
    });
    assert.equal(batch.status, 400);
    const csrf = await fetch(`${s.gateway.url}?query=${encodeURIComponent("{ viewer { projectId } }")}`, {
      headers: { authorization: `Bearer ${s.gateway.apiKey}` },
    });
    assert.equal(csrf.status, 400, "a GET without a preflight-forcing header must be refused (CSRF prevention)");
  });

  test("uploads: stored with size and sha256, 413 when too large, 401 without a key", async () => {
    const ok = await s.upload(new Uint8Array([1, 2, 3]));
    assert.equal(ok.status, 201);
    assert.equal(ok.body.sizeBytes, 3);
    assert.equal(ok.body.sha256, "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81");
    const big = await s.upload(new Uint8Array(64 * 1024 + 1));
    assert.equal(big.status, 413);
    // Streamed without a content-length: refused once the limit is crossed, nothing stored.
    const chunked = await fetch(`${s.gateway.baseUrl}/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${s.gateway.apiKey}` },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < 4; i++) controller.enqueue(new Uint8Array(32 * 1024));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    assert.equal(chunked.status, 413);
    const anonymous = await s.upload(new Uint8Array([1]), null);
    assert.equal(anonymous.status, 401);
    const health = await fetch(`${s.gateway.baseUrl}/healthz`);
    assert.equal(health.status, 200);
    const ready = await fetch(`${s.gateway.baseUrl}/readyz`);
    assert.equal(ready.status, 200);
  });

  test("malformed requests get a typed error and no stack trace", async () => {
    const result = await s.gql("{ runs(first: -1) { totalCount } }");
    assert.deepEqual(codes(result), ["BAD_USER_INPUT"]);
    assert.equal(result.errors?.[0]?.extensions?.field, "first");
    const syntax = await s.gql("{ viewer { ");
    assert.match(String(syntax.errors?.[0]?.extensions?.code), /^GRAPHQL_(PARSE|VALIDATION)_FAILED$/);
    assert.equal(JSON.stringify(syntax.errors).includes("stacktrace"), false);
  });
});

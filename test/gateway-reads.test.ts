import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { type GatewaySetup, setup } from "./support/gateway.ts";
import { completeRun, lastJob } from "./support/run-events.ts";

/** The runs page's read path: what it costs in SQL statements, and that the batched answers are right. */
describeEachDriver((driver) => {
  let s: GatewaySetup;
  // Statements the gateway sent while `counting` was on (background work such as the liveness sweep
  // also queries, so assertions look only at the tables a runs page reads).
  let statements: string[] = [];
  let counting = false;
  before(async () => {
    s = await setup(driver, {
      // The read path itself, executed on every request (gateway-response-cache.test.ts covers the cache).
      responseCacheBytes: 0,
      onQuery: (sql) => {
        if (counting) statements.push(sql);
      },
    });
  });
  after(async () => {
    await s?.cleanup();
  });

  async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
    statements = [];
    counting = true;
    try {
      return { result: await work(), statements };
    } finally {
      counting = false;
    }
  }
  const on = (table: string, list: string[]) => list.filter((q) => new RegExp(`from "${table}"`).test(q));

  const runs: { id: string; valAccuracies: number[] }[] = [];
  let baseId = "";
  // For the sweeps test: the same dataset, trainer and base layers as the runs'.
  let datasetId = "";
  let trainerId = "";
  let baseLayers: { name: string; className: string; weightHash: string | null; params: number }[] = [];

  before(async () => {
    const uploaded = await s.upload(zipFiles(tinyModel().files));
    const { registerModel } = await s.gqlData<{ registerModel: { id: string } }>(
      `mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id } }`,
      { input: { name: "reads-base", uploadId: uploaded.body.uploadId, labels: ["a", "b", "c"] } },
    );
    baseId = registerModel.id;
    const { model } = await s.gqlData<{
      model: { layers: { name: string; className: string; weightHash: string | null; params: number }[] };
    }>("query ($id: ID!) { model(id: $id) { layers { name className weightHash params } } }", { id: baseId });
    const data = await s.upload(imageFolderZip(["p", "q"]));
    const { createDataset } = await s.gqlData<{ createDataset: { id: string } }>(
      "mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { id } }",
      { input: { name: "reads-data", uploadId: data.body.uploadId } },
    );
    const { registerTrainer } = await s.gqlData<{ registerTrainer: { trainer: { id: string } } }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "reads", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
      { t: s.gateway.joinToken },
    );
    // Best valAccuracy at epoch 2, 1 and 3; best (lowest) loss is the same epoch, loss = 1 - valAccuracy.
    for (const valAccuracies of [
      [0.5, 0.9, 0.7],
      [0.8, 0.6, 0.7],
      [0.4, 0.5, 0.6],
    ]) {
      const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(
        "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
        { input: { baseModelId: baseId, datasetId: createDataset.id, epochs: 3, pool: "reads" } },
      );
      const job = await lastJob(s, "reads");
      await completeRun({
        nats: s.nats,
        jobToken: job.jobToken,
        runId: startFineTune.id,
        trainerId: registerTrainer.trainer.id,
        outputModelId: job.outputModelId,
        baseLayers: model.layers,
        featureLayer: "features",
        inputShape: [8, 8, 1],
        labels: ["p", "q"],
        valAccuracies,
      });
      runs.push({ id: startFineTune.id, valAccuracies });
    }
    for (let i = 0; ; i++) {
      const { runs: page } = await s.gqlData<{ runs: { edges: { node: { status: string } }[] } }>(
        `{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { status } } } }`,
      );
      if (page.edges.length === 3 && page.edges.every((e) => e.node.status === "SUCCEEDED")) break;
      if (i > 300) throw new Error("the ingest never finished the three runs");
      await new Promise((r) => setTimeout(r, 100));
    }
    datasetId = createDataset.id;
    trainerId = registerTrainer.trainer.id;
    baseLayers = model.layers;
  });

  type PageRun = {
    id: string;
    baseModel: { id: string; name: string; layers?: { name: string }[] };
    best: { epoch: number; valAccuracy: number } | null;
    lowestLoss: { epoch: number } | null;
  };

  test("a runs page asks for every run's best epoch in one query per metric, not one per run", async () => {
    const { result, statements } = await counted(() =>
      s.gqlData<{ runs: { edges: { node: PageRun }[] } }>(
        `{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { id baseModel { id name }
            best: bestEpoch(metric: valAccuracy) { epoch valAccuracy } lowestLoss: bestEpoch(metric: loss) { epoch } } } } }`,
      ),
    );
    const byId = new Map(result.runs.edges.map((e) => [e.node.id, e.node]));
    for (const run of runs) {
      const node = byId.get(run.id);
      const bestEpoch = run.valAccuracies.indexOf(Math.max(...run.valAccuracies)) + 1;
      assert.equal(node?.best?.epoch, bestEpoch, `best valAccuracy epoch of ${run.id}`);
      assert.equal(node?.best?.valAccuracy, Math.max(...run.valAccuracies));
      assert.equal(node?.lowestLoss?.epoch, bestEpoch, `lowest loss epoch of ${run.id}`);
      assert.equal(node?.baseModel.id, baseId);
      assert.equal(node?.baseModel.name, "reads-base");
    }
    assert.equal(on("run_epochs", statements).length, 2, statements.join("\n"));
    assert.equal(on("models", statements).length, 1, statements.join("\n"));
  });

  test("a page and its totalCount are one statement on runs, and a key seen before is not read again", async () => {
    const query = `{ runs(filter: { baseModelId: "${baseId}" }, first: 2) { totalCount edges { node { id } } } }`;
    await s.gqlData(query);
    const { result, statements } = await counted(() => s.gqlData<{ runs: { totalCount: number } }>(query));
    assert.equal(result.runs.totalCount, runs.length);
    assert.equal(on("runs", statements).length, 1, statements.join("\n"));
    assert.equal(on("api_keys", statements).length, 0, statements.join("\n"));
  });

  test("baseModel { id name } reads model rows without their layer list; asking for layers reads them", async () => {
    const light = await counted(() =>
      s.gqlData(`{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { baseModel { id name } } } } }`),
    );
    const [lightRead] = on("models", light.statements);
    assert.ok(lightRead, light.statements.join("\n"));
    assert.doesNotMatch(lightRead, /"layers"/);

    const full = await counted(() =>
      s.gqlData<{ runs: { edges: { node: PageRun }[] } }>(
        `{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { baseModel { id name layers { name } } } } } }`,
      ),
    );
    const [fullRead] = on("models", full.statements);
    assert.match(fullRead ?? "", /"layers"/);
    for (const edge of full.result.runs.edges) {
      assert.deepEqual(
        edge.node.baseModel.layers?.map((l) => l.name),
        ["flatten", "features", "head"],
      );
    }
  });

  test("descendants with the lineage graph's fields read summaries, no layers, each parent without a query: the full rows' answer", async () => {
    // A grandchild of the base: a fine-tune of the first run's output model.
    const { run } = await s.gqlData<{ run: { outputModel: { id: string; layers: typeof baseLayers } } }>(
      "query ($id: ID!) { run(id: $id) { outputModel { id layers { name className weightHash params } } } }",
      { id: runs[0]?.id },
    );
    const childId = run.outputModel.id;
    const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(
      "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
      { input: { baseModelId: childId, datasetId, epochs: 1, pool: "reads" } },
    );
    const job = await lastJob(s, "reads");
    await completeRun({
      nats: s.nats,
      jobToken: job.jobToken,
      runId: startFineTune.id,
      trainerId,
      outputModelId: job.outputModelId,
      baseLayers: run.outputModel.layers,
      featureLayer: "features",
      inputShape: [8, 8, 1],
      labels: ["p", "q"],
      valAccuracies: [0.7],
    });
    for (let i = 0; ; i++) {
      const { model } = await s.gqlData<{ model: { children: unknown[] } }>(
        "query ($id: ID!) { model(id: $id) { children { id } } }",
        { id: childId },
      );
      if (model.children.length === 1) break;
      if (i > 300) throw new Error("the ingest never created the grandchild");
      await new Promise((r) => setTimeout(r, 100));
    }

    const fields = `id name kind architecture bestMetric verifiedLineage lineageReason initialization createdAt
      producedBy { id } forkedFrom { epoch } parent { id name kind }`;
    type Node = Record<string, unknown> & { id: string; layers?: unknown };
    const subtree = (id: string, selection: string, fragments = "") =>
      counted(() =>
        s.gqlData<{ model: { descendants: Node[] } }>(
          `query ($id: ID!) { model(id: $id) { descendants { ${selection} } } } ${fragments}`,
          { id },
        ),
      );
    for (const [from, size] of [
      [baseId, "the base's subtree"],
      [childId, "an inner model's subtree"],
      [job.outputModelId, "a leaf's"],
    ] as const) {
      const summaries = await subtree(from, fields);
      const full = await subtree(from, `${fields} layers { name }`);
      const viaFragment = await subtree(from, "...M", `fragment M on Model { ${fields} }`);
      assert.deepEqual(
        summaries.result.model.descendants,
        full.result.model.descendants.map(({ layers: _, ...rest }) => rest),
        size,
      );
      assert.deepEqual(viaFragment.result, summaries.result, size);
      // The model asked about, its subtree's start row, the subtree's document: no layers in the
      // subtree's read, and no query for the parents (each is the model asked about or in the subtree).
      const reads = on("models", summaries.statements);
      assert.equal(reads.length, 3, reads.join("\n"));
      assert.match(reads[2] ?? "", /json_agg/);
      assert.doesNotMatch(reads[2] ?? "", /"layers"|"labels"|"provenance"/);
      assert.match(on("models", full.statements).join("\n"), /"layers"/);
    }
    const fromBase = (await subtree(baseId, fields)).result.model.descendants;
    const grandchild = fromBase.find((m) => m.id === job.outputModelId);
    assert.deepEqual(grandchild?.parent, {
      id: childId,
      name: fromBase.find((m) => m.id === childId)?.name,
      kind: "FINE_TUNED",
    });
    assert.deepEqual(grandchild?.producedBy, { id: startFineTune.id });
    assert.equal(grandchild?.bestMetric, 0.7);
    assert.equal(fromBase.at(-1)?.id, job.outputModelId, "the deepest generation comes last");
    assert.deepEqual(
      (await subtree(childId, fields)).result.model.descendants.map((m) => m.id),
      [job.outputModelId],
    );
    assert.deepEqual((await subtree(job.outputModelId, fields)).result.model.descendants, []);
  });

  test("a GraphQL answer is per caller: no-store, with or without a key", async () => {
    const post = (authorization?: string) =>
      fetch(s.gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: `{ runs(first: 1) { edges { node { id } } } }` }),
      });
    const answered = await post(`Bearer ${s.gateway.apiKey}`);
    assert.equal(answered.status, 200);
    assert.equal(answered.headers.get("cache-control"), "no-store");
    await answered.body?.cancel();
    const refused = await post();
    assert.equal(refused.headers.get("cache-control"), "no-store");
    await refused.body?.cancel();
  });

  test("a fragment on baseModel reads the full row, so fields behind it are never empty", async () => {
    const { runs: page } = await s.gqlData<{ runs: { edges: { node: PageRun }[] } }>(
      `{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { baseModel { ...M } } } } }
       fragment M on Model { id layers { name } }`,
    );
    assert.equal(page.edges[0]?.node.baseModel.layers?.length, 3);
  });

  test("the compare page's series come in a few statements per metric, not per run", async () => {
    const series = ["loss", "valLoss", "accuracy", "valAccuracy"]
      .map((m) => `${m}: series(metric: ${m}, maxPoints: 2) { epoch last }`)
      .join(" ");
    type Compared = { id: string; valAccuracy: { epoch: number; last: number }[] };
    const { result, statements } = await counted(() =>
      s.gqlData<{ runs: { edges: { node: Compared }[] } }>(
        `query ($ids: [ID!]!) { runs(filter: { ids: $ids }, first: 3) { edges { node { id ${series} } } } }`,
        { ids: runs.map((r) => r.id) },
      ),
    );
    assert.equal(result.runs.edges.length, 3);
    for (const { node } of result.runs.edges) {
      // 3 epochs in 2 buckets: epochs 1-2 and 3, each bucket's last value.
      const values = runs.find((r) => r.id === node.id)?.valAccuracies ?? [];
      assert.deepEqual(node.valAccuracy, [
        { epoch: 2, last: values[1] },
        { epoch: 3, last: values[2] },
      ]);
    }
    // Per metric: the runs' bounds, then their buckets; the same for one run or a hundred.
    assert.equal(on("run_epochs", statements).length, 4 * 2, statements.join("\n"));
  });

  // Last: its trial runs join the base's runs that the tests above count.
  // Set by the sweeps-list test, read by the Run.sweep test after it.
  const sweepIds: string[] = [];

  test("a sweeps list reads every sweep's trials in one query, for trials and bestTrial alike", async () => {
    for (const lr of [0.01, 0.02]) {
      const { startSweep } = await s.gqlData<{ startSweep: { id: string } }>(
        "mutation ($input: StartSweepInput!) { startSweep(input: $input) { id } }",
        {
          input: {
            name: `reads sweep ${lr}`,
            baseModelId: baseId,
            datasetId,
            pool: "reads",
            method: "GRID",
            space: { learningRate: { values: [lr] } },
            maxEpochs: 2,
          },
        },
      );
      const job = await lastJob(s, "reads");
      await completeRun({
        nats: s.nats,
        jobToken: job.jobToken,
        runId: job.runId,
        trainerId,
        outputModelId: job.outputModelId,
        baseLayers,
        featureLayer: "features",
        inputShape: [8, 8, 1],
        labels: ["p", "q"],
      });
      sweepIds.push(startSweep.id);
    }
    type Listed = {
      id: string;
      status: string;
      trials: { index: number; metric: number | null }[];
      bestTrial: { index: number } | null;
    };
    const query = "{ sweeps { id status trials { index metric } bestTrial { index metric } } }";
    for (let i = 0; ; i++) {
      const { sweeps } = await s.gqlData<{ sweeps: Listed[] }>(query);
      if (sweeps.filter((w) => sweepIds.includes(w.id) && w.status === "SUCCEEDED").length === 2) break;
      if (i > 300) throw new Error(`the sweeps never ended: ${JSON.stringify(sweeps)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const { result, statements } = await counted(() => s.gqlData<{ sweeps: Listed[] }>(query));
    for (const sweep of result.sweeps) {
      // The metric at the trial's last epoch (valAccuracy 0.5, then 0.75), read as one row per run.
      assert.deepEqual(sweep.trials, [{ index: 0, metric: 0.75 }]);
      assert.deepEqual(sweep.bestTrial, { index: 0, metric: 0.75 });
    }
    assert.equal(on("sweep_trials", statements).length, 1, statements.join("\n"));
    const epochReads = on("run_epochs", statements);
    assert.equal(epochReads.length, 1, statements.join("\n"));
    assert.match(
      epochReads[0] ?? "",
      /join lateral[\s\S]*limit/i,
      "the last epoch only, not every epoch of every trial",
    );
  });

  test("a runs page asks for every run's sweep and trial in one query; runs of no sweep answer null", async () => {
    type Listed = {
      id: string;
      sweep: { id: string; name: string } | null;
      sweepTrial: { index: number; params: unknown; metric: number | null } | null;
    };
    const { result, statements } = await counted(() =>
      s.gqlData<{ runs: { edges: { node: Listed }[] } }>(
        `{ runs(filter: { baseModelId: "${baseId}" }) { edges { node { id sweep { id name } sweepTrial { index params metric } } } } }`,
      ),
    );
    const nodes = result.runs.edges.map((e) => e.node);
    assert.equal(nodes.length, runs.length + sweepIds.length);
    for (const plain of runs) assert.deepEqual(nodes.find((n) => n.id === plain.id)?.sweep, null);
    const trials = nodes.filter((n) => n.sweep);
    assert.deepEqual(trials.map((n) => n.sweep?.id).sort(), [...sweepIds].sort());
    for (const n of trials) {
      const lr = Number(n.sweep?.name.replace("reads sweep ", ""));
      assert.deepEqual(n.sweepTrial, { index: 0, params: { learningRate: lr }, metric: 0.75 });
    }
    assert.equal(on("sweep_trials", statements).length, 1, statements.join("\n"));
    // The sweep scheduler's 5 s tick (running sweeps by status) may land inside the window: not this request's.
    const sweepReads = on("sweeps", statements).filter((q) => !/where "sweeps"\."status" = /.test(q));
    assert.equal(sweepReads.length, 0, `the sweep comes with its trial, not read again:\n${sweepReads.join("\n")}`);
  });

  test("a runs page reads every run's study in one query", async () => {
    const studyIds: string[] = [];
    for (const name of ["reads study a", "reads study b"]) {
      const { startStudy } = await s.gqlData<{ startStudy: { id: string } }>(
        "mutation ($input: StartStudyInput!) { startStudy(input: $input) { id } }",
        {
          input: {
            name,
            baseModelIds: [baseId],
            datasetId,
            fractions: [0.5, 1],
            arms: ["FINE_TUNE"],
            seeds: [1],
            epochs: 1,
            pool: "reads-studies",
          },
        },
      );
      studyIds.push(startStudy.id);
    }
    type Listed = { id: string; study: { id: string; name: string } | null };
    const { result, statements } = await counted(() =>
      s.gqlData<{ runs: { edges: { node: Listed }[] } }>(
        `{ runs(filter: { baseModelId: "${baseId}" }, first: 100) { edges { node { id study { id name } } } } }`,
      ),
    );
    const nodes = result.runs.edges.map((e) => e.node);
    const inStudies = nodes.filter((n) => n.study);
    // Two runs per study (two fractions), each naming its own study; the plain runs answer null.
    assert.deepEqual(inStudies.map((n) => n.study?.id).sort(), [...studyIds, ...studyIds].sort());
    for (const plain of runs) assert.equal(nodes.find((n) => n.id === plain.id)?.study, null);
    assert.equal(on("studies", statements).length, 1, statements.join("\n"));
  });
});

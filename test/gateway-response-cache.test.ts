import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RunsDocument } from "@graft/client";
import { createDatabase, rowsOf } from "@graft/db";
import { describeEachDriver } from "@graft/db/testing";
import { type Gateway, startGateway } from "@graft/gateway";
import { waitFor } from "@graft/testkit";
import { sql } from "drizzle-orm";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { type GatewaySetup, setup } from "./support/gateway.ts";
import { completeRun, lastJob } from "./support/run-events.ts";

type PageRun = {
  id: string;
  name: string | null;
  status: string;
  baseModel: { id: string; name: string };
  dataset: { id: string; name: string };
  trainer: { id: string; name: string } | null;
  bestEpoch: { epoch: number; valAccuracy: number | null } | null;
  outputModel: { id: string; name: string } | null;
};
type Page = { runs: { totalCount: number; edges: { node: PageRun }[] } };

/**
 * The response cache (services/gateway/src/graphql/response-cache.ts) through a real gateway
 * and database: the dashboard's runs page is answered from memory while nothing changed, and
 * every change shows on the very next read. No waiting, no TTL: each step below would fail
 * with a cache that expires on time. A hit is told by the `age` header the cache adds.
 */
describeEachDriver((driver) => {
  let s: GatewaySetup;
  let baseId = "";
  let datasetId = "";
  let trainerId = "";
  let baseLayers: Parameters<typeof completeRun>[0]["baseLayers"] = [];
  let otherKey = "";
  let otherProjectId = "";
  // Statements that read the data version (PGlite keeps it in memory and should send none).
  let versionReads = 0;

  before(async () => {
    s = await setup(driver, {
      onQuery: (statement) => {
        if (/from "?data_version"?/.test(statement)) versionReads++;
      },
    });
    const uploaded = await s.upload(zipFiles(tinyModel().files));
    const { registerModel } = await s.gqlData<{ registerModel: { id: string; layers: typeof baseLayers } }>(
      `mutation ($input: RegisterModelInput!) { registerModel(input: $input) { id layers { name className weightHash params } } }`,
      { input: { name: "cache-base", uploadId: uploaded.body.uploadId, labels: ["a", "b", "c"] } },
    );
    baseId = registerModel.id;
    baseLayers = registerModel.layers;
    const data = await s.upload(imageFolderZip(["p", "q"]));
    const { createDataset } = await s.gqlData<{ createDataset: { id: string } }>(
      "mutation ($input: CreateDatasetInput!) { createDataset(input: $input) { id } }",
      { input: { name: "cache-data", uploadId: data.body.uploadId } },
    );
    datasetId = createDataset.id;
    const { registerTrainer } = await s.gqlData<{ registerTrainer: { trainer: { id: string } } }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "cache", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
      { t: s.gateway.joinToken },
    );
    trainerId = registerTrainer.trainer.id;
    ({ apiKey: otherKey, projectId: otherProjectId } = await s.gateway.createProject("cache-other", "ADMIN"));
  });
  after(async () => {
    await s?.cleanup();
  });

  /** The dashboard's runs page on `gateway`, and whether it was answered from the cache (Apollo's `age` header). */
  async function page(
    key = s.gateway.apiKey,
    gateway: Gateway = s.gateway,
  ): Promise<{ page: Page["runs"]; hit: boolean; text: string }> {
    const response = await fetch(gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: String(RunsDocument), variables: { first: 50 } }),
    });
    const text = await response.text();
    const result = JSON.parse(text) as { data?: Page; errors?: unknown[] };
    assert.deepEqual(result.errors ?? [], []);
    assert.ok(result.data);
    return { page: result.data.runs, hit: response.headers.has("age"), text };
  }
  /** A page read twice: the second answer must come from the cache (or the tests below prove nothing). */
  async function cachedPage(key?: string, gateway?: Gateway): Promise<Page["runs"]> {
    const first = await page(key, gateway);
    const second = await page(key, gateway);
    assert.ok(second.hit, "the second identical read was not served from the cache");
    // A hit sends the text stored with the answer: byte for byte what the execution sent.
    assert.equal(second.text, first.text);
    return second.page;
  }
  const nodeOf = (p: Page["runs"], id: string) => p.edges.find((e) => e.node.id === id)?.node;
  async function startRun(): Promise<string> {
    const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(
      "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
      { input: { baseModelId: baseId, datasetId, epochs: 2, pool: "cache" } },
    );
    return startFineTune.id;
  }

  test("the cache holds at most its byte limit: distinct answers past it evict the oldest, which is executed again", async () => {
    // Each answer of an empty page costs about 1 KB with its key and overhead: 16 KB holds a
    // dozen or so, so forty distinct variables must evict the first (with no bound it would hit).
    const small = await setup(driver, { responseCacheBytes: 16 * 1024 });
    try {
      const read = async (first: number) => {
        const response = await fetch(small.gateway.url, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${small.gateway.apiKey}` },
          body: JSON.stringify({ query: String(RunsDocument), variables: { first } }),
        });
        assert.equal(response.status, 200);
        await response.text();
        return response.headers.has("age");
      };
      assert.equal(await read(1), false);
      assert.equal(await read(1), true, "the first answer is cached while the cache has room");
      for (let first = 2; first <= 40; first++) await read(first);
      assert.equal(await read(40), true, "the newest answer is still cached");
      assert.equal(await read(1), false, "the oldest answer was evicted and executed again");
    } finally {
      await small.cleanup();
    }
  });

  let finishedRunId = "";

  test("a new run shows on the next read of a cached page", async () => {
    const before = await cachedPage();
    const runId = await startRun();
    const { page: after, hit } = await page();
    assert.equal(hit, false);
    assert.equal(after.totalCount, before.totalCount + 1);
    assert.equal(nodeOf(after, runId)?.status, "QUEUED");
    finishedRunId = runId;
  });

  test("ingested epochs (a better best epoch), the finished status and the output model show on the next read", async () => {
    const runId = finishedRunId;
    assert.equal(nodeOf(await cachedPage(), runId)?.bestEpoch, null);
    const job = await lastJob(s, "cache");
    await completeRun({
      nats: s.nats,
      jobToken: job.jobToken,
      runId,
      trainerId,
      outputModelId: job.outputModelId,
      baseLayers,
      featureLayer: "features",
      inputShape: [8, 8, 1],
      labels: ["p", "q"],
      valAccuracies: [0.5, 0.9],
    });
    // Waits on an uncached query (epochs are not cacheable), never on the cached page.
    await waitFor(
      "the run finished with its two epochs",
      async () => {
        const { run } = await s.gqlData<{ run: { status: string; epochs: { epoch: number }[] } }>(
          "query ($id: ID!) { run(id: $id) { status epochs { epoch } } }",
          { id: runId },
        );
        return run.status === "SUCCEEDED" && run.epochs.length === 2;
      },
      { timeoutMs: 60_000 },
    );
    const node = nodeOf((await page()).page, runId);
    assert.equal(node?.status, "SUCCEEDED");
    assert.deepEqual(
      { epoch: node?.bestEpoch?.epoch, valAccuracy: node?.bestEpoch?.valAccuracy },
      {
        epoch: 2,
        valAccuracy: 0.9,
      },
    );
    assert.ok(node?.outputModel, "the output model");
    assert.equal(node?.trainer?.id, trainerId);
  });

  test("a cancel shows on the next read", async () => {
    const runId = await startRun();
    assert.equal(nodeOf(await cachedPage(), runId)?.status, "QUEUED");
    await s.gqlData("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: runId });
    assert.equal(nodeOf((await page()).page, runId)?.status, "CANCELLED");
  });

  test("two projects asking the same query never get each other's cached answer", async () => {
    const mine = await cachedPage();
    assert.ok(mine.totalCount > 0);
    const theirs = await cachedPage(otherKey);
    assert.equal(theirs.totalCount, 0);
    assert.deepEqual(theirs.edges, []);
    assert.deepEqual((await page()).page, mine);
  });

  test("fields outside the cached list stay live while the page keeps hitting", async () => {
    const live = `{ runs(first: 50) { edges { node { id trainer { id name status } } } } }`;
    const statusOf = async () => {
      const { runs } = await s.gqlData<{ runs: { edges: { node: { trainer: { status: string } | null } }[] } }>(live);
      return runs.edges.find((e) => e.node.trainer)?.node.trainer?.status;
    };
    const cached = await cachedPage();
    const before = await statusOf();
    assert.notEqual(before, "DRAINING");
    // A trainer's status is written without moving the data version (heartbeats would empty the cache).
    await s.gqlData("mutation ($id: ID!) { drainTrainer(id: $id) { id } }", { id: trainerId });
    assert.equal(await statusOf(), "DRAINING");
    const { page: after, hit } = await page();
    assert.ok(hit, "the page still hits: nothing it shows changed");
    assert.deepEqual(after, cached);
  });

  test(`the version ${driver === "pglite" ? "is kept in memory on PGlite" : "is read from PostgreSQL"}`, async () => {
    await cachedPage();
    versionReads = 0;
    await cachedPage();
    if (driver === "pglite") assert.equal(versionReads, 0, "no statement: the bump's NOTIFY keeps it");
    else assert.ok(versionReads > 0, "read from the database: other replicas write too");
  });

  if (driver === "postgres") {
    test("requests that miss together are answered by one execution", async () => {
      assert.ok(s.databaseUrl);
      const direct = await createDatabase({ url: s.databaseUrl });
      try {
        await startRun(); // a new version: the page is cold
        // The page's executions block on a lock held here (the version is still readable), so
        // the reads below all arrive while the first one's execution is under way.
        const { reads } = await direct.db.transaction(async (tx) => {
          await tx.execute(sql`lock table run_epochs in access exclusive mode`);
          const reads = Promise.all(Array.from({ length: 8 }, () => page()));
          await waitFor("a page execution waiting for the lock", async () => {
            const [row] = rowsOf<{ n: number }>(
              await direct.db.execute(
                sql`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
              ),
            );
            return (row?.n ?? 0) > 0;
          });
          await new Promise((r) => setTimeout(r, 500)); // the others arrive (late ones hit anyway)
          return { reads }; // awaited once the lock is gone
        });
        const answers = await reads;
        assert.equal(answers.filter((a) => a.hit).length, 7, "all but the first waited for its answer");
        for (const a of answers) assert.deepEqual(a.page, answers[0]?.page);
      } finally {
        await direct.close();
      }
    });

    test("two replicas on one PostgreSQL: a write through one, or straight SQL, shows on the other's next read", async () => {
      const databaseUrl = s.databaseUrl;
      assert.ok(databaseUrl);
      const b = await startGateway({
        port: 0,
        natsUrl: s.nats.url,
        natsAuth: s.nats.auth,
        databaseUrl,
        // The same local key and join token as replica a (another would revoke a's).
        bootstrapKey: s.gateway.apiKey,
        joinToken: s.gateway.joinToken,
        builtinModels: [],
        memoryStorage: true,
      });
      const direct = await createDatabase({ url: databaseUrl });
      try {
        const onB = (key?: string) => page(key, b);
        const cachedOnB = (key?: string) => cachedPage(key, b);

        const runId = await startRun(); // through replica a
        assert.equal(nodeOf(await cachedOnB(), runId)?.status, "QUEUED");
        await s.gqlData("mutation ($id: ID!) { cancelRun(id: $id) { id } }", { id: runId });
        assert.equal(nodeOf((await onB()).page, runId)?.status, "CANCELLED");

        await cachedOnB();
        await direct.db.execute(sql`update models set name = 'renamed-base' where id = ${baseId}`);
        assert.equal(nodeOf((await onB()).page, runId)?.baseModel.name, "renamed-base");

        await cachedOnB();
        await direct.db.execute(sql`update datasets set name = 'renamed-data' where id = ${datasetId}`);
        assert.equal(nodeOf((await onB()).page, runId)?.dataset.name, "renamed-data");

        await cachedOnB();
        await direct.db.execute(sql`update trainers set name = 'renamed-trainer' where id = ${trainerId}`);
        assert.equal(nodeOf((await onB()).page, finishedRunId)?.trainer?.name, "renamed-trainer");

        // A visibility change: the run moves to the other project.
        const otherBefore = await cachedOnB(otherKey);
        assert.equal(nodeOf(otherBefore, runId), undefined);
        // Its base and dataset become built-ins first (visible to every project), so the other
        // project can read the run once it is theirs.
        await direct.db.execute(sql`update models set project_id = null where id = ${baseId}`);
        await direct.db.execute(sql`update datasets set project_id = null where id = ${datasetId}`);
        assert.equal(nodeOf((await onB(otherKey)).page, runId), undefined);
        await direct.db.execute(sql`update runs set project_id = ${otherProjectId} where id = ${runId}`);
        assert.equal(nodeOf((await onB()).page, runId), undefined);
        assert.equal(nodeOf((await onB(otherKey)).page, runId)?.id, runId);
      } finally {
        await direct.close();
        await b.stop();
      }
    });
  }
});

// A run and its job are stored together (the job outbox), so neither a NATS that is away nor a
// gateway that dies between the run's commit and the publish leaves a run QUEUED without a job.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { GraftFetcher } from "@graft/client";
import { jobMessageId, queuedJobIds } from "@graft/contracts";
import { createTestDatabaseTarget, describeEachDriver } from "@graft/db/testing";
import { type NatsServer, startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { setup } from "./support/gateway.ts";
import { startGatewayProcess, stopGatewayProcess } from "./support/gateway-process.ts";
import { lastJob } from "./support/run-events.ts";

const START =
  "mutation ($m: ID!, $d: ID!) { startFineTune(input: { baseModelId: $m, datasetId: $d, epochs: 1 }) { id status } }";
const RUN = "query ($id: ID!) { run(id: $id) { status } }";

/** The Nats-Msg-Ids of the default pool's queued jobs, read as a trainer's server sees them. */
async function queuedJobs(nats: Pick<NatsServer, "url" | "auth">): Promise<string[]> {
  const nc = await connect(gatewayConnectOptions(nats));
  try {
    const ids: string[] = [];
    for await (const job of queuedJobIds(await jetstreamManager(nc), "default")) ids.push(job.msgId ?? "(none)");
    return ids;
  } finally {
    await nc.close();
  }
}

/** Waits for the first job to be queued, then returns every queued job. */
const firstJobs = (nats: NatsServer) =>
  waitFor(
    "a job in the queue",
    async () => {
      const jobs = await queuedJobs(nats);
      return jobs.length > 0 && jobs;
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );

/** A tiny uploaded model and image dataset, through the API. */
async function modelAndDataset(client: GraftFetcher): Promise<{ m: string; d: string }> {
  const upload = async (bytes: Uint8Array) => {
    const res = await client.send(bytes as Uint8Array<ArrayBuffer>, {
      url: client.uploadsUrl,
      contentType: "application/zip",
    });
    return ((await res.json()) as { uploadId: string }).uploadId;
  };
  const data = async <T>(query: string, variables: Record<string, unknown>) => {
    const result = await client.execute<T, Record<string, unknown>>(query, variables);
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data;
  };
  const model = await upload(zipFiles(tinyModel().files));
  const dataset = await upload(imageFolderZip());
  const { registerModel } = await data<{ registerModel: { id: string } }>(
    'mutation ($u: ID!) { registerModel(input: { name: "m", uploadId: $u }) { id } }',
    { u: model },
  );
  const { createDataset } = await data<{ createDataset: { id: string } }>(
    'mutation ($u: ID!) { createDataset(input: { name: "d", uploadId: $u }) { id } }',
    { u: dataset },
  );
  return { m: registerModel.id, d: createDataset.id };
}

describeEachDriver((driver) => {
  test("startFineTune is one read of its sources and one insert of the run with its job; the job was enqueued when the run was queued", async () => {
    let statements: string[] | null = null;
    const s = await setup(driver, { onQuery: (sql) => statements?.push(sql) });
    try {
      const client = new GraftFetcher({ url: s.gateway.url, apiKey: s.gateway.apiKey, timeoutMs: null });
      const ids = await modelAndDataset(client);
      statements = [];
      const { startFineTune: run } = await s.gqlData<{ startFineTune: { id: string } }>(START, ids);
      const sent = statements;
      statements = null;
      // Background work (liveness, the outbox's passes, the limiter's lease) queries too: look at what dispatch does.
      const inserts = sent.filter((q) => /insert into "(runs|job_outbox)"/.test(q));
      assert.equal(inserts.length, 1, inserts.join("\n"));
      assert.match(inserts[0] ?? "", /insert into "runs".*insert into "job_outbox"/s, "the run and its job together");
      const reads = sent.filter((q) => /from "(models|datasets)"|join "(models|datasets)"/.test(q));
      assert.equal(reads.length, 1, reads.join("\n"));
      assert.match(reads[0] ?? "", /"models".*"datasets"/s, "the base model and the dataset together");

      const job = await lastJob(s);
      assert.equal(job.runId, run.id);
      const { run: stored } = await s.gqlData<{ run: { queuedAt: string } }>(
        "query ($id: ID!) { run(id: $id) { queuedAt } }",
        { id: run.id },
      );
      assert.equal(new Date(job.enqueuedAt).getTime(), new Date(stored.queuedAt).getTime());
    } finally {
      await s.cleanup();
    }
  });

  test("with NATS down, startFineTune stores the run QUEUED; once NATS is back its job goes out once, a cancelled run's never", async () => {
    // File storage: the jobs stream outlives the nats-server restart, as in a deployment.
    const s = await setup(driver, { memoryStorage: false, jobOutbox: { everyMs: 500 } });
    let nats = s.nats;
    try {
      const client = new GraftFetcher({ url: s.gateway.url, apiKey: s.gateway.apiKey, timeoutMs: null });
      const ids = await modelAndDataset(client);
      await nats.kill();

      // Stored first, so the publisher reaches its entry before the kept run's.
      const { startFineTune: dropped } = await s.gqlData<{ startFineTune: { id: string } }>(START, ids);
      await s.gqlData("mutation ($id: ID!) { cancelRun(id: $id) { status } }", { id: dropped.id });
      const started = await s.gql<{ startFineTune: { id: string; status: string } }>(START, ids);
      assert.equal(started.errors, undefined, "NATS being away does not fail startFineTune");
      const run = started.data?.startFineTune;
      assert.equal(run?.status, "QUEUED");

      nats = await nats.restart();
      assert.deepEqual(await firstJobs(nats), [jobMessageId(run.id)]);
      const { run: after } = await s.gqlData<{ run: { status: string } }>(RUN, { id: run.id });
      assert.equal(after.status, "QUEUED", "queued for a trainer, not failed");
      const { run: cancelled } = await s.gqlData<{ run: { status: string } }>(RUN, { id: dropped.id });
      assert.equal(cancelled.status, "CANCELLED");
    } finally {
      await s.gateway.stop();
      await nats.stop();
    }
  });

  test("a gateway killed with a run's job still in the outbox: a fresh gateway publishes it on start, once", async () => {
    let nats = await startNatsServer();
    const target = await createTestDatabaseTarget(driver);
    const secret = (prefix: string) => `${prefix}_${randomBytes(24).toString("base64url")}`;
    const config = {
      port: 0,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : { pgliteDir: target.pgliteDir }),
      bootstrapKey: secret("graft"),
      joinToken: secret("graft_join"),
      builtinModels: [],
      allowPrivateUrls: true,
    };
    let gateway = await startGatewayProcess(config, "gateway-1");
    try {
      const client = new GraftFetcher({ url: gateway.url, apiKey: config.bootstrapKey, timeoutMs: null });
      const ids = await modelAndDataset(client);
      // NATS away: the run commits with its job in the outbox, and the gateway dies before NATS is back.
      await nats.kill();
      const started = await client.execute<{ startFineTune: { id: string; status: string } }, Record<string, unknown>>(
        START,
        ids,
      );
      const run = started.data?.startFineTune;
      assert.equal(run?.status, "QUEUED", JSON.stringify(started.errors));
      gateway.kill("SIGKILL");
      await gateway.exited;
      nats = await nats.restart();
      assert.deepEqual(await queuedJobs(nats), [], "nobody published it yet");

      gateway = await startGatewayProcess({ ...config, natsUrl: nats.url }, "gateway-2");
      assert.deepEqual(await firstJobs(nats), [jobMessageId(run.id)]);
    } finally {
      await stopGatewayProcess(gateway);
      await nats.stop();
      await target.cleanup();
    }
  });
});

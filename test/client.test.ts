// @graft/client against a real gateway (nats-server, PGlite or PostgreSQL): every shared
// operation passes the gateway's validation and limits, errors arrive typed, uploads and
// graphql-ws subscriptions work with the key, and the fetch, URL, headers and timeout are injectable.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import {
  CompareRunsDocument,
  DatasetRefsDocument,
  DatasetsDocument,
  ExperimentRefsDocument,
  ExperimentsDocument,
  FilterOptionsDocument,
  GraftApiError,
  GraftClient,
  GraftConnectionError,
  type GraftError,
  GraftFetcher,
  LineageDocument,
  ModelDocument,
  ModelsDocument,
  ModelTreeDocument,
  NewFineTuneOptionsDocument,
  OverviewDocument,
  RunDocument,
  RunStatus,
  RunsDocument,
  StartFineTuneDocument,
  subscribe,
  TrainerEventsDocument,
  TrainersDocument,
  ViewerDocument,
} from "@graft/client";
import { describeEachDriver } from "@graft/db/testing";
import { waitFor } from "@graft/testkit";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { type GatewaySetup, setup } from "./support/gateway.ts";
import { completeRun, lastJob } from "./support/run-events.ts";

describeEachDriver((driver) => {
  let s: GatewaySetup;
  let client: GraftClient;
  before(async () => {
    s = await setup(driver, { maxUploadBytes: 64 * 1024 });
    client = new GraftClient({ url: s.gateway.url, apiKey: s.gateway.apiKey });
  });
  after(async () => {
    await s?.cleanup();
  });

  const NO_SUCH_ID = "00000000-0000-4000-8000-000000000000";

  /** A local HTTP server that answers every request with `respond`; closed by the caller. */
  async function httpServer(respond: Parameters<typeof createServer>[1]): Promise<{ url: string; server: Server }> {
    const server = createServer(respond);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, server };
  }

  test("every query of the shared set runs on the gateway within its depth, cost and token limits", async () => {
    const queries = [
      [ViewerDocument, {}],
      [OverviewDocument, {}],
      [ModelsDocument, { first: 5 }],
      [ModelDocument, { id: NO_SUCH_ID }],
      [ModelTreeDocument, { id: NO_SUCH_ID }],
      [LineageDocument, {}],
      [DatasetsDocument, {}],
      [DatasetRefsDocument, {}],
      [ExperimentsDocument, {}],
      [ExperimentRefsDocument, {}],
      [RunsDocument, { first: 5 }],
      [RunDocument, { id: NO_SUCH_ID }],
      [RunDocument, { id: NO_SUCH_ID, full: false, maxPoints: 100 }],
      [FilterOptionsDocument, {}],
      // The compare page's largest ask: 8 runs x 4 series x 250 points.
      [CompareRunsDocument, { ids: Array(8).fill(NO_SUCH_ID), first: 8, maxPoints: 250 }],
      [NewFineTuneOptionsDocument, {}],
      [TrainersDocument, {}],
    ] as const;
    const fetcher = new GraftFetcher({ url: s.gateway.url, apiKey: s.gateway.apiKey });
    for (const [document, variables] of queries) {
      const answer = await fetcher.execute<unknown, Record<string, unknown>>(String(document), variables);
      // An unknown id reaches the resolver (NOT_FOUND): validation and limits let the operation through.
      const codes = (answer.errors ?? []).map((e) => e.extensions?.code);
      assert.ok(
        codes.every((code) => code === "NOT_FOUND"),
        `${String(document).slice(0, 80)}: ${JSON.stringify(answer.errors)}`,
      );
      assert.equal(answer.status, 200);
      assert.ok(answer.data);
    }
  });

  test("a refused input is a GraftApiError with the gateway's code and field, and changes nothing", async () => {
    const before = await client.runs();
    const refused = await client
      .startFineTune({ baseModelId: NO_SUCH_ID, datasetId: NO_SUCH_ID, epochs: 5000 })
      .then(() => assert.fail("epochs 5000 was accepted"))
      .catch((error: unknown) => error);
    assert.ok(refused instanceof GraftApiError, String(refused));
    assert.equal(refused.code, "BAD_USER_INPUT");
    assert.equal(refused.field, "input.epochs");
    assert.match(refused.message, /^input\.epochs: /);
    assert.equal((await client.runs()).totalCount, before.totalCount);

    const missing = await client.model(NO_SUCH_ID).catch((e: unknown) => e);
    assert.ok(missing instanceof GraftApiError);
    assert.equal(missing.code, "NOT_FOUND");
  });

  test("a wrong key and no key are UNAUTHENTICATED with status 401", async () => {
    for (const apiKey of ["graft_not-a-real-key", null]) {
      const fetcher = new GraftFetcher({ url: s.gateway.url, apiKey });
      const answer = await fetcher.execute(ViewerDocument);
      assert.equal(answer.status, 401);
      const error = await fetcher.request(ViewerDocument).catch((e: unknown) => e);
      assert.ok(error instanceof GraftApiError);
      assert.equal(error.code, "UNAUTHENTICATED");
      assert.equal(error.status, 401);
    }
  });

  test("no gateway, a server that is not GraphQL, and a timeout are GraftConnectionErrors", async () => {
    const closed = await httpServer(() => {});
    closed.server.close();
    const unreachable = await new GraftFetcher({ url: closed.url, apiKey: "k" })
      .request(ViewerDocument)
      .catch((e) => e);
    assert.ok(unreachable instanceof GraftConnectionError, String(unreachable));
    assert.equal(unreachable.code, "GATEWAY_UNAVAILABLE");
    assert.equal(unreachable.status, undefined);
    assert.match(unreachable.message, /cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+\/graphql/);

    const html = await httpServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<html>"));
    const slow = await httpServer(() => {});
    try {
      const notGraphQL = await new GraftFetcher({ url: html.url }).request(ViewerDocument).catch((e) => e);
      assert.ok(notGraphQL instanceof GraftConnectionError, String(notGraphQL));
      assert.equal(notGraphQL.status, 200);
      assert.match(notGraphQL.message, /not a GraphQL response/);

      const timedOut = await new GraftFetcher({ url: slow.url, timeoutMs: 200 })
        .request(ViewerDocument)
        .catch((e) => e);
      assert.ok(timedOut instanceof GraftConnectionError, String(timedOut));
    } finally {
      slow.server.closeAllConnections();
      await Promise.all([html, slow].map(({ server }) => new Promise((resolve) => server.close(resolve))));
    }
  });

  test("fetch, headers and key are injectable; without a key no Authorization header is sent", async () => {
    const seen: Headers[] = [];
    const recording: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    const withKey = new GraftFetcher({
      url: s.gateway.url,
      apiKey: s.gateway.apiKey,
      headers: { "x-request-id": "client-test" },
      fetch: recording,
    });
    assert.equal((await withKey.request(ViewerDocument)).viewer.projectName, "default");
    assert.equal(seen[0]?.get("authorization"), `Bearer ${s.gateway.apiKey}`);
    assert.equal(seen[0]?.get("x-request-id"), "client-test");
    assert.equal(seen[0]?.get("content-type"), "application/json");

    // The dashboard's browser side: its proxy adds the key, so the client must not.
    await new GraftFetcher({ url: s.gateway.url, fetch: recording }).execute(ViewerDocument);
    assert.equal(seen[1]?.has("authorization"), false);
  });

  test("uploads return an id that feeds createDataset; an oversized upload is PAYLOAD_TOO_LARGE on field file", async () => {
    const uploaded = await client.upload(imageFolderZip(["cats", "dogs"]) as Uint8Array<ArrayBuffer>);
    assert.match(uploaded.sha256, /^[0-9a-f]{64}$/);
    const dataset = await client.createDataset("client-shapes", uploaded.uploadId);
    assert.deepEqual([...dataset.labels].sort(), ["cats", "dogs"]);

    const big = await client.upload(new Uint8Array(64 * 1024 + 1)).catch((e: unknown) => e);
    assert.ok(big instanceof GraftApiError, String(big));
    assert.equal(big.code, "PAYLOAD_TOO_LARGE");
    assert.equal(big.field, "file");
    assert.equal(big.status, 413);
  });

  test("runEvents streams a run's status live over graphql-ws and ends after the terminal event", async () => {
    const model = await client.upload(zipFiles(tinyModel().files) as Uint8Array<ArrayBuffer>);
    const base = await client.registerModel({ name: "client-tiny", uploadId: model.uploadId, labels: ["a", "b", "c"] });
    const data = await client.upload(imageFolderZip(["a", "b", "c"]) as Uint8Array<ArrayBuffer>);
    const dataset = await client.createDataset("client-abc", data.uploadId);
    // No trainer serves this pool: only the cancel moves the run.
    const { startFineTune: run } = await client.request(StartFineTuneDocument, {
      input: { baseModelId: base.id, datasetId: dataset.id, epochs: 1, pool: "client-test" },
    });
    assert.equal(run.status, RunStatus.Queued);

    const statuses: string[] = [];
    const consumed = (async () => {
      for await (const event of client.runEvents(run.id)) statuses.push(event.status);
    })();
    // Subscriptions start lazily: cancel only once the socket is surely subscribed.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await client.cancelRun(run.id)).status, RunStatus.Cancelled);
    await consumed;
    assert.equal(statuses.at(-1), RunStatus.Cancelled);
    assert.equal((await client.run(run.id))?.status, RunStatus.Cancelled);
  });

  test("runEvents subscribed after the run ended still yields every stored epoch once, then the terminal status", async () => {
    const { registerTrainer } = await s.gqlData<{ registerTrainer: { trainer: { id: string } } }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "client-late", host: "h", pool: "client-late", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
      { t: s.gateway.joinToken },
    );
    const model = await client.upload(zipFiles(tinyModel().files) as Uint8Array<ArrayBuffer>);
    const base = await client.registerModel({ name: "client-late", uploadId: model.uploadId, labels: ["a", "b", "c"] });
    const data = await client.upload(imageFolderZip(["p", "q"]) as Uint8Array<ArrayBuffer>);
    const dataset = await client.createDataset("client-late", data.uploadId);
    const { startFineTune: run } = await client.request(StartFineTuneDocument, {
      input: { baseModelId: base.id, datasetId: dataset.id, epochs: 3, pool: "client-late" },
    });
    const { model: stored } = await s.gqlData<{
      model: { layers: { name: string; className: string; weightHash: string | null; params: number }[] };
    }>("query ($id: ID!) { model(id: $id) { layers { name className weightHash params } } }", { id: base.id });
    await completeRun({
      nats: s.nats,
      jobToken: (await lastJob(s, "client-late")).jobToken,
      runId: run.id,
      trainerId: registerTrainer.trainer.id,
      outputModelId: (await lastJob(s, "client-late")).outputModelId,
      baseLayers: stored.layers,
      featureLayer: "features",
      inputShape: [8, 8, 1],
      labels: ["p", "q"],
      valAccuracies: [0.5, 0.6, 0.7],
    });
    await waitFor("the run to succeed", async () => (await client.run(run.id))?.status === RunStatus.Succeeded);

    const events: { kind: string; epoch: number | undefined; status: string }[] = [];
    for await (const event of client.runEvents(run.id)) {
      events.push({ kind: event.kind, epoch: event.epoch?.epoch, status: event.status });
    }
    assert.deepEqual(
      events.map((e) => e.epoch ?? e.status),
      [1, 2, 3, RunStatus.Succeeded],
    );
  });

  test("a subscription with a wrong key ends in a GraftConnectionError, without retrying forever", async () => {
    let stop = () => {};
    const error = await new Promise<GraftError>((resolve, reject) => {
      stop = subscribe(
        { url: s.gateway.url, apiKey: "graft_not-a-real-key", retryAttempts: 0 },
        TrainerEventsDocument,
        {},
        {
          next: () => reject(new Error("an event arrived without a valid key")),
          error: resolve,
          complete: () => reject(new Error("completed without a valid key")),
        },
      );
    });
    stop();
    assert.ok(error instanceof GraftConnectionError, String(error));
    assert.match(error.message, /subscription failed/);
  });
});

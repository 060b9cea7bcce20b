import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { epochCheckpointKey, forkSeedKey, openArtifactStore } from "@graft/artifacts";
import { describeEachDriver } from "@graft/db/testing";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect } from "@nats-io/transport-node";
import { type Client, createClient } from "graphql-ws";
import WebSocket from "ws";
import { imageFolderZip, tinyModel, zipFiles } from "./support/fixtures.ts";
import { codes, type GatewaySetup, setup } from "./support/gateway.ts";
import { lastJob } from "./support/run-events.ts";

describeEachDriver((driver) => {
  let s: GatewaySetup;
  before(async () => {
    s = await setup(driver);
  });
  after(async () => {
    await s?.cleanup();
  });

  function client(options: { key?: string | null; header?: string } = {}): Client {
    const key = options.key === undefined ? s.gateway.apiKey : options.key;
    return createClient({
      url: s.gateway.wsUrl,
      retryAttempts: 0,
      lazy: true,
      connectionParams: key === null ? {} : { authorization: `Bearer ${key}` },
      webSocketImpl: class extends WebSocket {
        constructor(url: string, protocols?: string | string[]) {
          super(url, protocols, options.header ? { headers: { authorization: options.header } } : {});
        }
      },
    });
  }

  /** A base model and a dataset of the local project. */
  async function baseAndData(): Promise<{ baseModelId: string; datasetId: string }> {
    const model = await s.upload(zipFiles(tinyModel().files));
    const data = await s.upload(imageFolderZip());
    const { registerModel } = await s.gqlData<{ registerModel: { id: string } }>(
      'mutation ($u: ID!) { registerModel(input: { name: "m", uploadId: $u }) { id } }',
      { u: model.body.uploadId },
    );
    const { createDataset } = await s.gqlData<{ createDataset: { id: string } }>(
      'mutation ($u: ID!) { createDataset(input: { name: "d", uploadId: $u }) { id } }',
      { u: data.body.uploadId },
    );
    return { baseModelId: registerModel.id, datasetId: createDataset.id };
  }

  async function queuedRun(extra: Record<string, unknown> = {}): Promise<string> {
    const { startFineTune } = await s.gqlData<{ startFineTune: { id: string } }>(
      "mutation ($input: StartFineTuneInput!) { startFineTune(input: $input) { id } }",
      { input: { ...(await baseAndData()), epochs: 1, pool: "subs", ...extra } },
    );
    return startFineTune.id;
  }

  /** The first `n` results of a subscription, or the error that ended it. */
  async function take(
    c: Client,
    query: string,
    variables: Record<string, unknown>,
    n: number,
    during?: () => Promise<unknown>,
  ) {
    const results: { data?: unknown; errors?: readonly { message: string; extensions?: Record<string, unknown> }[] }[] =
      [];
    const iterator = c.iterate({ query, variables });
    const pending = (async () => {
      for await (const result of iterator) {
        results.push(result as (typeof results)[number]);
        if (results.length >= n || result.errors) break;
      }
    })();
    pending.catch(() => {}); // observed below; avoids an unhandled rejection while waiting
    // Give the subscription time to be established before causing events.
    await new Promise((r) => setTimeout(r, 500));
    await during?.();
    await Promise.race([
      pending,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`timed out; got ${JSON.stringify(results)}`)), 15_000),
      ),
    ]);
    return results;
  }

  test("a websocket without a valid API key is refused before any operation", async () => {
    for (const key of [null, "graft_wrong"]) {
      const c = client({ key });
      await assert.rejects(
        take(c, "subscription { trainerEvents { kind } }", {}, 1),
        (error: unknown) =>
          (error as { code?: number }).code === 4403 ||
          /4403|Forbidden/.test(String((error as Error).message ?? error)),
      );
      await c.dispose();
    }
  });

  test("runEvents tells a subscriber that its queued run was cancelled; another project's run is NOT_FOUND", async () => {
    const runId = await queuedRun();
    const c = client({ key: null, header: `Bearer ${s.gateway.apiKey}` });
    try {
      const results = await take(
        c,
        "subscription ($id: ID!) { runEvents(runId: $id) { kind runId status } }",
        { id: runId },
        2,
        () => s.gqlData("mutation ($id: ID!) { cancelRun(id: $id) { status } }", { id: runId }),
      );
      assert.deepEqual(
        results.map((r) => r.data),
        [
          { runEvents: { kind: "STATUS", runId, status: "QUEUED" } }, // the snapshot a subscription opens with
          { runEvents: { kind: "STATUS", runId, status: "CANCELLED" } },
        ],
      );
    } finally {
      await c.dispose();
    }
    const other = await s.gateway.createProject("subs-other");
    const foreign = client({ key: other.apiKey });
    try {
      const results = await take(
        foreign,
        "subscription ($id: ID!) { runEvents(runId: $id) { kind } }",
        { id: runId },
        1,
      );
      assert.equal(results[0]?.errors?.[0]?.extensions?.code, "NOT_FOUND");
    } finally {
      await foreign.dispose();
    }
  });

  test("runEvents over the raw protocol: each frame names its subscription, a completed one hears no more, ping is answered", async () => {
    const runId = await queuedRun();
    const socket = new WebSocket(s.gateway.wsUrl, "graphql-transport-ws");
    const messages: string[] = [];
    socket.on("message", (data) => messages.push(String(data)));
    await new Promise((resolve, reject) => socket.once("open", resolve).once("error", reject));
    const heard = (what: string, message: unknown) =>
      waitFor(what, () => messages.includes(JSON.stringify(message)), { timeoutMs: 15_000 });
    try {
      socket.send(
        JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${s.gateway.apiKey}` } }),
      );
      await heard("the ack", { type: "connection_ack" });
      const query = "subscription ($id: ID!) { runEvents(runId: $id) { kind status } }";
      const subscribe = (id: string) =>
        socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables: { id: runId } } }));
      const next = (id: string, status: string) => ({
        id,
        type: "next",
        payload: { data: { runEvents: { kind: "STATUS", status } } },
      });
      // Two subscribers of one operation on one socket share each event's encoding; the id is each one's own.
      subscribe("a");
      subscribe('b "quoted"');
      await heard("a's snapshot", next("a", "QUEUED"));
      await heard("b's snapshot", next('b "quoted"', "QUEUED"));
      socket.send(JSON.stringify({ id: "a", type: "complete" }));
      socket.send(JSON.stringify({ type: "ping" }));
      await heard("the pong", { type: "pong" });
      await s.gqlData("mutation ($id: ID!) { cancelRun(id: $id) { status } }", { id: runId });
      await heard("b hears the cancel", next('b "quoted"', "CANCELLED"));
      assert.ok(!messages.includes(JSON.stringify(next("a", "CANCELLED"))), "a completed subscription hears no more");
      subscribe("a"); // its id is free again, and it opens with the run as it is now
      await heard("a's new snapshot", next("a", "CANCELLED"));
      assert.equal(
        messages.filter((m) => m.includes('"id":"a"')).length,
        2,
        `a heard its two snapshots only: ${messages.join(" ")}`,
      );
    } finally {
      socket.close();
    }
  });

  test("trainerEvents announces a trainer that registers", async () => {
    const c = client();
    try {
      const results = await take(c, "subscription { trainerEvents { kind trainer { name } } }", {}, 1, () =>
        s.gqlData(
          `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "sub-trainer", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainerToken } }`,
          { t: s.gateway.joinToken },
        ),
      );
      assert.deepEqual(results[0]?.data, { trainerEvents: { kind: "REGISTERED", trainer: { name: "sub-trainer" } } });
    } finally {
      await c.dispose();
    }
  });

  /** Writes a checkpoint of `runId`'s epoch into the artifacts bucket, as a trainer keeping it would. */
  async function keptCheckpoint(runId: string, epoch: number, bytes: Uint8Array): Promise<void> {
    const nc = await connect(gatewayConnectOptions(s.nats));
    try {
      await (await openArtifactStore(nc, { storage: "memory" })).put(epochCheckpointKey(runId, epoch), bytes);
    } finally {
      await nc.close();
    }
  }

  test("forkRun copies the kept checkpoint to the fork's seed, and the fork's job names the parent and epoch", async () => {
    const parentId = await queuedRun({ epochs: 2, keepCheckpoints: 2 });
    // More than one object-store chunk, so the copy is a real stream.
    const checkpoint = Uint8Array.from({ length: 300_000 }, (_, i) => i % 251);
    await keptCheckpoint(parentId, 1, checkpoint);
    const { forkRun } = await s.gqlData<{
      forkRun: { id: string; forkedFrom: { run: { id: string }; epoch: number } };
    }>("mutation ($input: ForkRunInput!) { forkRun(input: $input) { id forkedFrom { run { id } epoch } } }", {
      input: { runId: parentId, epoch: 1, learningRate: 0.01 },
    });
    assert.deepEqual(forkRun.forkedFrom, { run: { id: parentId }, epoch: 1 });
    const nc = await connect(gatewayConnectOptions(s.nats));
    try {
      const seed = await (await openArtifactStore(nc, { storage: "memory" })).get(forkSeedKey(forkRun.id));
      assert.ok(seed && Buffer.from(seed).equals(Buffer.from(checkpoint)), "the seed is the parent's checkpoint");
    } finally {
      await nc.close();
    }
    const job = await lastJob(s, "subs");
    assert.equal(job.runId, forkRun.id);
    assert.deepEqual(job.forkedFrom, { runId: parentId, epoch: 1 });
  });

  /** `work`, or a failure saying `what` if it has not settled within 15 s. */
  async function within<T>(work: Promise<T>, what: () => string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(what())), 15_000);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  test("sweepUpdated reads each trial's run afresh on every notice, and ends with the sweep", async () => {
    const { startSweep } = await s.gqlData<{ startSweep: { id: string } }>(
      "mutation ($input: StartSweepInput!) { startSweep(input: $input) { id } }",
      {
        input: {
          name: "live sweep",
          ...(await baseAndData()),
          pool: "subs",
          method: "GRID",
          space: { learningRate: { values: [0.01, 0.02] } },
          maxEpochs: 1,
          maxConcurrentTrials: 1,
        },
      },
    );
    type Seen = { sweepUpdated: { status: string; trials: { run: { status: string } | null }[] } };
    const c = client();
    try {
      const seen: Seen[] = [];
      const iterator = c.iterate<Seen>({
        query: "subscription ($id: ID!) { sweepUpdated(id: $id) { status trials { run { status } } } }",
        variables: { id: startSweep.id },
      });
      const until = (async () => {
        for await (const result of iterator) {
          if (!result.data) throw new Error(JSON.stringify(result.errors));
          seen.push(result.data);
        }
        // Only the gateway ends this loop: it completes the subscription once the sweep has ended.
      })();
      until.catch(() => {}); // observed below
      await waitFor("the first sweepUpdated", async () => seen.length > 0 || undefined, { timeoutMs: 15_000 });
      assert.deepEqual(seen[0], {
        sweepUpdated: { status: "RUNNING", trials: [{ run: { status: "QUEUED" } }, { run: null }] },
      });
      await s.gqlData("mutation ($id: ID!) { cancelSweep(id: $id) { id } }", { id: startSweep.id });
      await within(until, () => `not completed after the cancel; got ${JSON.stringify(seen)}`);
      // The queued trial was cancelled with the sweep: the notice shows it, not the run as first read.
      assert.deepEqual(seen.at(-1), {
        sweepUpdated: { status: "CANCELLED", trials: [{ run: { status: "CANCELLED" } }, { run: null }] },
      });
      // Subscribing to a sweep that has ended: the sweep as it ended, once, then the end.
      const late: Seen[] = [];
      const lateEnd = (async () => {
        for await (const result of c.iterate<Seen>({
          query: "subscription ($id: ID!) { sweepUpdated(id: $id) { status trials { run { status } } } }",
          variables: { id: startSweep.id },
        })) {
          if (!result.data) throw new Error(JSON.stringify(result.errors));
          late.push(result.data);
        }
      })();
      await within(lateEnd, () => `a late subscription did not complete; got ${JSON.stringify(late)}`);
      assert.deepEqual(late, [seen.at(-1)]);
    } finally {
      await c.dispose();
    }
  });

  test("sweeps, studies and forks answer another project NOT_FOUND on every way in, garbage is refused, and nothing changes", async () => {
    const { baseModelId, datasetId } = await baseAndData();
    const sweepInput = {
      name: "owned sweep",
      baseModelId,
      datasetId,
      pool: "subs",
      method: "GRID",
      space: { learningRate: { values: [0.01, 0.02] } },
      maxEpochs: 2,
      maxConcurrentTrials: 1,
    };
    const { startSweep } = await s.gqlData<{ startSweep: { id: string } }>(
      "mutation ($input: StartSweepInput!) { startSweep(input: $input) { id } }",
      { input: sweepInput },
    );
    const { startStudy } = await s.gqlData<{ startStudy: { id: string } }>(
      "mutation ($input: StartStudyInput!) { startStudy(input: $input) { id } }",
      {
        input: {
          name: "owned study",
          baseModelIds: [baseModelId],
          datasetId,
          fractions: [1],
          arms: ["FINE_TUNE"],
          seeds: [1],
          epochs: 1,
          pool: "subs",
        },
      },
    );
    const parentId = await queuedRun({ epochs: 2, keepCheckpoints: 1 });
    // A kept checkpoint: only the caller's project (or the input) can be why a fork is refused.
    await keptCheckpoint(parentId, 1, new Uint8Array([1, 2, 3]));
    const state = () =>
      s.gqlData<unknown>(
        `query ($id: ID!) { sweep(id: $id) { status trials { run { id status } } } runs { totalCount }
          sweeps { id } studies { id } }`,
        { id: startSweep.id },
      );
    const before = await state();

    const other = await s.gateway.createProject("science-other"); // a MEMBER key of another project
    const foreignCalls: [string, Record<string, unknown>][] = [
      ["query ($id: ID!) { sweep(id: $id) { id } }", { id: startSweep.id }],
      ["mutation ($id: ID!) { cancelSweep(id: $id) { id } }", { id: startSweep.id }],
      ["mutation ($input: ForkRunInput!) { forkRun(input: $input) { id } }", { input: { runId: parentId, epoch: 1 } }],
      ["mutation ($input: StartSweepInput!) { startSweep(input: $input) { id } }", { input: sweepInput }],
    ];
    for (const [query, variables] of foreignCalls)
      assert.deepEqual(codes(await s.gql(query, variables, other.apiKey)), ["NOT_FOUND"], query);
    const foreign = client({ key: other.apiKey });
    try {
      for (const [query, id] of [
        ["subscription ($id: ID!) { sweepUpdated(id: $id) { status } }", startSweep.id],
        ["subscription ($id: ID!) { studyUpdated(id: $id) { status } }", startStudy.id],
      ] as const) {
        const [result] = await take(foreign, query, { id }, 1);
        assert.equal(result?.errors?.[0]?.extensions?.code, "NOT_FOUND", query);
      }
    } finally {
      await foreign.dispose();
    }
    assert.deepEqual(
      await s.gqlData("{ sweeps { id } studies { id } runs { totalCount } }", {}, other.apiKey),
      { sweeps: [], studies: [], runs: { totalCount: 0 } },
      "the other project stored nothing",
    );

    // Malformed ids name nothing (no subject is built from them); out-of-bounds input is refused.
    const own = client();
    try {
      for (const id of ["not-a-uuid", "a.>", "../x", "*"]) {
        assert.deepEqual(codes(await s.gql("query ($id: ID!) { sweep(id: $id) { id } }", { id })), ["NOT_FOUND"]);
        assert.deepEqual(codes(await s.gql("mutation ($id: ID!) { cancelSweep(id: $id) { id } }", { id })), [
          "NOT_FOUND",
        ]);
        const [result] = await take(own, "subscription ($id: ID!) { sweepUpdated(id: $id) { status } }", { id }, 1);
        assert.equal(result?.errors?.[0]?.extensions?.code, "NOT_FOUND", id);
      }
    } finally {
      await own.dispose();
    }
    const refusals: [string, Record<string, unknown>, string][] = [
      ["forkRun", { runId: parentId, epoch: 0 }, "input.epoch"],
      ["forkRun", { runId: parentId, epoch: 3 }, "input.epoch"],
      ["forkRun", { runId: parentId, epoch: 2 }, "input.epoch"], // not (yet) kept
      ["forkRun", { runId: parentId, epoch: 1, keepCheckpoints: 21 }, "input.keepCheckpoints"],
      ["forkRun", { runId: parentId, epoch: 1, epochs: 1001 }, "input.epochs"],
      [
        "startSweep",
        { ...sweepInput, space: { learningRate: { values: Array.from({ length: 101 }, (_, i) => (i + 1) / 1000) } } },
        "input.space.learningRate.values",
      ],
      ["startSweep", { ...sweepInput, maxConcurrentTrials: 101 }, "input.maxConcurrentTrials"],
      ["startSweep", { ...sweepInput, maxEpochs: 1001 }, "input.maxEpochs"],
    ];
    for (const [mutation, input, field] of refusals) {
      const type = mutation === "forkRun" ? "ForkRunInput" : "StartSweepInput";
      const result = await s.gql(`mutation ($input: ${type}!) { ${mutation}(input: $input) { id } }`, { input });
      assert.deepEqual(codes(result), ["BAD_USER_INPUT"], `${mutation} ${JSON.stringify(input).slice(0, 120)}`);
      assert.equal(result.errors?.[0]?.extensions?.field, field, result.errors?.[0]?.message);
    }
    assert.deepEqual(await state(), before, "the owner's sweep, studies and runs are as they were");
  });
});

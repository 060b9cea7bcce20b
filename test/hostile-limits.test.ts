// Hostile input against the gateway's bounds on work per request: GraphQL over HTTP and
// graphql-ws (tokens, depth, aliases, directives, list cost with variables, introspection,
// deep JSON, rate per key, live operations per socket), uploads (size, concurrency, one
// mutation per upload), archives, images, model files, URL fetches (SSRF, deadlines, shard
// counts) and malformed NATS run events. Every case checks the typed refusal, that nothing
// changed (models, datasets, experiments, runs counted before and after), and that the
// gateway answered /healthz within a second while the attack was in flight; bombs also check
// that the process's memory stayed bounded.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import { type AddressInfo, createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { GATEWAY_INGEST_CONSUMER, RUN_EVENTS_STREAM, runEventsSubject } from "@graft/contracts";
import { describeEachDriver } from "@graft/db/testing";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { strToU8, zipSync } from "fflate";
import WebSocket from "ws";
import { imageFolderZip, png, tinyModel, zipFiles } from "./support/fixtures.ts";
import { codes, type GatewaySetup, type GraphQLResult, setup } from "./support/gateway.ts";

const MAX_UPLOAD = 4 * 2 ** 20;
const MiB = 2 ** 20;
// Compressed once, before any gateway starts: 100 MiB of zeros deflate to about 100 KB.
const bomb = zipSync({ "cats/1.png": new Uint8Array(100 * MiB), "dogs/1.png": png(2, 2, 2) }, { level: 1 });

/** Resolves once /healthz answered 200 within a second. */
async function responsive(baseUrl: string): Promise<void> {
  const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
  assert.equal(res.status, 200, "the gateway answers /healthz");
}

const COUNTS = `{ models(first: 1) { totalCount } datasets { id } experiments { id } runs(first: 1) { totalCount } }`;
type Counts = {
  models: { totalCount: number };
  datasets: unknown[];
  experiments: unknown[];
  runs: { totalCount: number };
};

/**
 * Runs `attack` while checking, mid-flight, that /healthz answers within a second; then that
 * the stored counts did not move and, for bombs, that RSS grew by less than `maxRssGrowth`.
 */
async function attack<T>(
  s: GatewaySetup,
  run: () => Promise<T>,
  options: { maxRssGrowth?: number; key?: string } = {},
): Promise<T> {
  const count = async () => {
    const data = await s.gqlData<Counts>(COUNTS, {}, options.key);
    return [data.models.totalCount, data.datasets.length, data.experiments.length, data.runs.totalCount];
  };
  const before = await count();
  const rss = process.memoryUsage().rss;
  let peak = rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const pending = run();
    // While the attack is being handled, the gateway still answers.
    await new Promise((resolve) => setImmediate(resolve));
    await responsive(s.gateway.baseUrl);
    const result = await pending;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (options.maxRssGrowth !== undefined)
      assert.ok(peak - rss < options.maxRssGrowth, `RSS grew ${((peak - rss) / MiB).toFixed(0)} MiB`);
    assert.deepEqual(await count(), before, "models, datasets, experiments and runs unchanged");
    await responsive(s.gateway.baseUrl);
    return result;
  } finally {
    clearInterval(sampler);
  }
}

function refusedWith(result: GraphQLResult<unknown>, code: string, pattern?: RegExp, limit?: string) {
  assert.equal(result.data ?? null, null, JSON.stringify(result.data));
  assert.deepEqual(codes(result).slice(0, 1), [code], JSON.stringify(result.errors));
  if (pattern) assert.match(result.errors?.[0]?.message ?? "", pattern);
  if (limit) assert.equal(result.errors?.[0]?.extensions?.limit, limit, JSON.stringify(result.errors));
}

/** Posts raw JSON, so the body can be anything. */
async function postRaw(s: GatewaySetup, body: string, key = s.gateway.apiKey) {
  const res = await fetch(s.gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as GraphQLResult<unknown> };
}

/** A graphql-ws client speaking the protocol by hand: subscribe, read the first reply. */
async function openSocket(s: GatewaySetup, key = s.gateway.apiKey) {
  const socket = new WebSocket(s.gateway.wsUrl, "graphql-transport-ws");
  const inbox: Record<string, unknown>[] = [];
  socket.on("message", (data) => inbox.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${key}` } }));
  await waitFor("the connection_ack", () => inbox.some((m) => m.type === "connection_ack"), { timeoutMs: 5_000 });
  let next = 0;
  return {
    socket,
    inbox,
    /** Subscribes; resolves with the first error/next/complete for that id, or "live" after 300 ms. */
    async subscribe(query: string, variables: Record<string, unknown> = {}) {
      const id = String(++next);
      socket.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
      const deadline = Date.now() + 300;
      while (Date.now() < deadline) {
        const reply = inbox.find((m) => m.id === id);
        if (reply) return reply as { type: string; payload?: { message: string; extensions?: { code?: string } }[] };
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return { type: "live" };
    },
    close: () => socket.close(),
  };
}

const pngBytes = (width: number, height: number, options: { interlaced?: boolean } = {}) => {
  const bytes = png(4, 4, 100);
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  view.setUint32(16, width);
  view.setUint32(20, height);
  if (options.interlaced) bytes[28] = 1;
  return bytes;
};

/** A model zip whose model.json `edit` changes. */
function modelZip(edit: (json: Record<string, unknown>) => unknown, extra: Record<string, Uint8Array> = {}) {
  const { modelJson, files } = tinyModel();
  const copy = structuredClone(modelJson);
  // `edit` changes the copy in place, or returns the whole text to store instead.
  const edited = edit(copy);
  const text = typeof edited === "string" ? edited : JSON.stringify(copy);
  return zipSync({ ...Object.fromEntries(files), "model.json": strToU8(text), ...extra });
}

const layersOf = (json: Record<string, unknown>) =>
  (
    (json.modelTopology as Record<string, unknown>).config as {
      layers: { class_name: string; config: Record<string, unknown> }[];
    }
  ).layers;
const manifestOf = (json: Record<string, unknown>) =>
  json.weightsManifest as { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[];

const firstLayer = (json: Record<string, unknown>) => (layersOf(json)[0] as { config: Record<string, unknown> }).config;
const firstWeight = (json: Record<string, unknown>) =>
  manifestOf(json)[0]?.weights[0] as { name: string; shape: number[] };

/** Central directory entry offsets of an fflate zip (no comment). */
function centralEntries(zip: Uint8Array): number[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.byteLength - 22;
  let at = view.getUint32(end + 16, true);
  return Array.from({ length: view.getUint16(end + 10, true) }, () => {
    const here = at;
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    return here;
  });
}

describeEachDriver((driver) => {
  let s: GatewaySetup;
  before(async () => {
    s = await setup(driver, { maxUploadBytes: MAX_UPLOAD, fetchTimeoutMs: 1_500, headersTimeoutMs: 2_000 });
  });
  after(async () => {
    await s?.cleanup();
  });

  const registerUpload = async (zip: Uint8Array) => {
    const up = await s.upload(zip);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    return s.gql('mutation ($u: ID!) { registerModel(input: { name: "hostile", uploadId: $u }) { id } }', {
      u: up.body.uploadId,
    });
  };
  const datasetUpload = async (zip: Uint8Array) => {
    const up = await s.upload(zip);
    assert.equal(up.status, 201, JSON.stringify(up.body));
    return s.gql('mutation ($u: ID!) { createDataset(input: { name: "hostile", uploadId: $u }) { id } }', {
      u: up.body.uploadId,
    });
  };

  describe("GraphQL over HTTP", () => {
    const cases: [string, () => string, number, string, RegExp][] = [
      [
        "more than 1000 tokens",
        () => `{ viewer { ${"projectId ".repeat(1200)} } }`,
        400,
        "GRAPHQL_PARSE_FAILED",
        /Document contains more th.t 1000 tokens/,
      ],
      [
        "depth 9",
        () => "{ models { edges { node { parent { parent { parent { parent { parent { parent { id } } } } } } } } } }",
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /depth limit/i,
      ],
      [
        "16 aliases",
        () => `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: viewer { projectId }`).join(" ")} }`,
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /alias/i,
      ],
      [
        "51 directives",
        () => `{ viewer { projectId ${"@include(if: true) ".repeat(51)} } }`,
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /directive/i,
      ],
      [
        "children nested four deep",
        () => "{ models { edges { node { children { children { children { children { id } } } } } } } }",
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /cost limit/,
      ],
      [
        "siblings of siblings of siblings",
        () => "{ models(first: 50) { edges { node { siblings { siblings { siblings { id } } } } } } }",
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /cost limit/,
      ],
      [
        "introspection, off by default",
        () => "{ __schema { types { name } } }",
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /introspection/i,
      ],
      [
        "300-level nested introspection",
        () => `{ __type(name: "Model") { ${"fields { type { ".repeat(150)}name${" } }".repeat(150)} } }`,
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /limit of/,
      ],
      [
        "a JSON literal 100 levels deep in provenance",
        () =>
          `mutation { registerModel(input: { name: "x", url: "http://127.0.0.1:1/m", provenance: { a: ${"[".repeat(100)}${"]".repeat(100)} } }) { id } }`,
        400,
        "GRAPHQL_VALIDATION_FAILED",
        /nested deeper than 64/,
      ],
    ];
    for (const [name, query, status, code, pattern] of cases) {
      test(`refuses ${name} (HTTP ${status}, ${code})`, async () => {
        const res = await attack(s, () => postRaw(s, JSON.stringify({ query: query() })));
        assert.equal(res.status, status, JSON.stringify(res.json));
        refusedWith(res.json, code, pattern);
      });
    }

    test("the list cost reads `first: $n` from the variables: 500 models with their layers refused, 5 allowed", async () => {
      const query = "query ($n: Int) { models(first: $n) { edges { node { layers { name } children { id } } } } }";
      const big = await attack(s, () => postRaw(s, JSON.stringify({ query, variables: { n: 500 } })));
      assert.equal(big.status, 400);
      refusedWith(big.json, "GRAPHQL_VALIDATION_FAILED", /could return \d+ objects/);
      const small = await postRaw(s, JSON.stringify({ query, variables: { n: 5 } }));
      assert.equal(small.status, 200, JSON.stringify(small.json));
      // Costs are remembered per document and variables: the same document asked big again is still refused.
      const again = await attack(s, () => postRaw(s, JSON.stringify({ query, variables: { n: 500 } })));
      assert.equal(again.status, 400);
      refusedWith(again.json, "GRAPHQL_VALIDATION_FAILED", /could return \d+ objects/);
    });

    test("field suggestions are masked", async () => {
      const res = await attack(s, () => postRaw(s, JSON.stringify({ query: "{ modls { id } }" })));
      assert.equal(res.status, 400);
      assert.doesNotMatch(res.json.errors?.[0]?.message ?? "", /Did you mean/);
    });

    test("a provenance variable 100 levels deep is BAD_USER_INPUT, not an internal error", async () => {
      let deep: unknown = {};
      for (let i = 0; i < 100; i++) deep = { a: deep };
      const res = await attack(s, () =>
        postRaw(
          s,
          JSON.stringify({
            query:
              'mutation ($p: JSON) { registerModel(input: { name: "x", url: "http://127.0.0.1:1/m", provenance: $p }) { id } }',
            variables: { p: deep },
          }),
        ),
      );
      refusedWith(res.json, "BAD_USER_INPUT", /nested deeper than 64/);
    });

    test("a body holding a 500,000-deep array is refused before parsing (400, JSON_DEPTH)", async () => {
      const body = `{"query":"{ viewer { projectId } }","variables":{"p":${"[".repeat(500_000)}${"]".repeat(500_000)}}}`;
      const res = await attack(s, () => postRaw(s, body), { maxRssGrowth: 256 * MiB });
      assert.equal(res.status, 400);
      refusedWith(res.json, "BAD_USER_INPUT", /nested deeper/, "JSON_DEPTH");
    });

    test("a 1,000,000-deep array is refused by the body size (413) without being parsed", async () => {
      const body = `{"query":"{ viewer { projectId } }","variables":{"p":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}}`;
      const res = await attack(s, () => postRaw(s, body), { maxRssGrowth: 256 * MiB });
      assert.equal(res.status, 413);
    });

    for (const [name, input] of [
      ["a zero-width space", "cat\u200bs"],
      ["a right-to-left override", "report\u202egpj.exe"],
      ["a bidi isolate", "a\u2066b"],
      ["an escape sequence", "x\u001b]52;c;ZXZpbA==\u0007"],
      ["a C1 control", "x\u009bclear"],
      ["a word joiner", "na\u2060me"],
      ["201 characters", "n".repeat(201)],
      ["1 MiB", "n".repeat(MiB - 200)],
    ] as const) {
      test(`an experiment name with ${name} is BAD_USER_INPUT on input.name`, async () => {
        const res = await attack(s, () =>
          s.gql("mutation ($n: String!) { createExperiment(input: { name: $n }) { id } }", { n: input }),
        );
        refusedWith(res, "BAD_USER_INPUT");
        assert.equal(res.errors?.[0]?.extensions?.field, "input.name");
      });
    }

    test("model labels with a right-to-left override are refused", async () => {
      const zip = zipFiles(tinyModel().files);
      const up = await s.upload(zip);
      const res = await attack(s, () =>
        s.gql(
          'mutation ($u: ID!, $l: [String!]) { registerModel(input: { name: "m", uploadId: $u, labels: $l }) { id } }',
          {
            u: up.body.uploadId,
            l: ["a", "b\u202ec", "d"],
          },
        ),
      );
      refusedWith(res, "BAD_USER_INPUT", /direction-changing/);
      assert.equal(res.errors?.[0]?.extensions?.field, "input.labels.1");
    });
  });

  test("a client dribbling its request headers is cut off (408) instead of holding the socket", async () => {
    const { port } = new URL(s.gateway.baseUrl);
    const socket = createConnection(Number(port), "127.0.0.1");
    let answer = "";
    socket.on("data", (chunk) => {
      answer += String(chunk);
    });
    socket.on("error", () => {}); // writes after the server hung up
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const drip = setInterval(() => socket.write("X-Slow: 1\r\n"), 200);
    try {
      await attack(s, () => closed);
      assert.match(answer, /^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      socket.destroy();
    }
  });

  describe("graphql-ws", () => {
    const cases: [string, string, Record<string, unknown>, RegExp][] = [
      [
        "more than 1000 tokens",
        `subscription { trainerEvents { ${"__typename ".repeat(1200)} } }`,
        {},
        /more th.t 1000 tokens/,
      ],
      [
        "depth 9",
        "{ models { edges { node { parent { parent { parent { parent { parent { parent { id } } } } } } } } } }",
        {},
        /depth limit/i,
      ],
      [
        "16 aliases",
        `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: viewer { projectId }`).join(" ")} }`,
        {},
        /alias/i,
      ],
      ["introspection", "{ __schema { types { name } } }", {}, /introspection/i],
      [
        "a list cost from `first: $n`",
        "query ($n: Int) { models(first: $n) { edges { node { layers { name } } } } }",
        { n: 500 },
        /cost limit/,
      ],
      [
        "nested children",
        "{ models { edges { node { children { children { children { children { id } } } } } } } }",
        {},
        /cost limit/,
      ],
    ];
    for (const [name, query, variables, pattern] of cases) {
      test(`refuses ${name} like HTTP does`, async () => {
        const ws = await openSocket(s);
        try {
          const reply = await attack(s, () => ws.subscribe(query, variables));
          assert.equal(reply.type, "error", JSON.stringify(reply));
          assert.match(reply.payload?.[0]?.message ?? "", pattern);
        } finally {
          ws.close();
        }
      });
    }

    test("masks field suggestions", async () => {
      const ws = await openSocket(s);
      try {
        const reply = await attack(s, () => ws.subscribe("subscription { trainerEvnts { __typename } }"));
        assert.equal(reply.type, "error");
        assert.match(reply.payload?.[0]?.message ?? "", /Cannot query field/);
        assert.doesNotMatch(reply.payload?.[0]?.message ?? "", /Did you mean/);
      } finally {
        ws.close();
      }
    });

    test("holds at most 25 live operations per socket; completing one frees its slot", async () => {
      const ws = await openSocket(s);
      try {
        for (let i = 0; i < 25; i++)
          assert.equal((await ws.subscribe("subscription { trainerEvents { __typename } }")).type, "live");
        const refused = await attack(s, () => ws.subscribe("subscription { trainerEvents { __typename } }"));
        assert.equal(refused.type, "error");
        assert.match(refused.payload?.[0]?.message ?? "", /at most 25 live operations/);
        ws.socket.send(JSON.stringify({ id: "1", type: "complete" }));
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal((await ws.subscribe("subscription { trainerEvents { __typename } }")).type, "live");
      } finally {
        ws.close();
      }
    });
  });

  describe("uploads", () => {
    test("a body over the limit streams no further than the limit: 413, nothing stored", async () => {
      const res = await attack(s, () => s.upload(new Uint8Array(MAX_UPLOAD + 1)));
      assert.equal(res.status, 413);
      assert.equal((res.body as { code?: string }).code, "PAYLOAD_TOO_LARGE");
    });

    test("a chunked body over the limit (no Content-Length) is cut off: 413", async () => {
      const chunks = async function* () {
        for (let i = 0; i < 6; i++) yield new Uint8Array(MiB);
      };
      const res = await attack(s, () =>
        fetch(`${s.gateway.baseUrl}/uploads`, {
          method: "POST",
          headers: { authorization: `Bearer ${s.gateway.apiKey}`, "content-type": "application/zip" },
          body: ReadableStream.from(chunks()),
          duplex: "half",
        } as RequestInit),
      );
      assert.equal(res.status, 413);
    });

    test("an empty body is BAD_USER_INPUT and a keyless one UNAUTHENTICATED", async () => {
      const empty = await attack(s, () => s.upload(new Uint8Array(0)));
      assert.equal(empty.status, 400);
      const keyless = await attack(s, () => s.upload(new Uint8Array(10), null));
      assert.equal(keyless.status, 401);
    });

    test("one upload id serves one mutation: of two racing createDataset calls exactly one wins", async () => {
      const up = await s.upload(imageFolderZip());
      const before = (await s.gqlData<Counts>(COUNTS)).datasets.length;
      const create = () =>
        s.gql('mutation ($u: ID!) { createDataset(input: { name: "race", uploadId: $u }) { id } }', {
          u: up.body.uploadId,
        });
      const results = await Promise.all([create(), create(), create()]);
      assert.equal(results.filter((r) => r.data).length, 1, JSON.stringify(results));
      for (const lost of results.filter((r) => !r.data)) refusedWith(lost, "NOT_FOUND");
      assert.equal((await s.gqlData<Counts>(COUNTS)).datasets.length, before + 1);
      refusedWith(await attack(s, () => create()), "NOT_FOUND");
    });

    test("a mutation that fails gives its upload back for another try", async () => {
      const up = await s.upload(imageFolderZip());
      const wrong = await attack(s, () =>
        s.gql('mutation ($u: ID!) { registerModel(input: { name: "m", uploadId: $u }) { id } }', {
          u: up.body.uploadId,
        }),
      );
      refusedWith(wrong, "BAD_USER_INPUT");
      const right = await s.gql('mutation ($u: ID!) { createDataset(input: { name: "again", uploadId: $u }) { id } }', {
        u: up.body.uploadId,
      });
      assert.ok(right.data, JSON.stringify(right.errors));
    });
    test("a spool is removed whatever the mutation's outcome; one that cannot be made gives the upload back", async () => {
      // The gateway runs in this process: TMPDIR decides where it spools uploads.
      const spools = mkdtempSync(join(tmpdir(), "graft-spools-"));
      const saved = process.env.TMPDIR;
      // (tsx keeps its cache there too.)
      const spooled = () => readdirSync(spools).filter((name) => name.startsWith("graft-upload-"));
      const create = (u: unknown) =>
        s.gql('mutation ($u: ID!) { createDataset(input: { name: "spooled", uploadId: $u }) { id } }', { u });
      try {
        const up = await s.upload(imageFolderZip());
        const before = (await s.gqlData<Counts>(COUNTS)).datasets.length;
        process.env.TMPDIR = spools;
        const wrong = await s.gql('mutation ($u: ID!) { registerModel(input: { name: "m", uploadId: $u }) { id } }', {
          u: up.body.uploadId,
        });
        refusedWith(wrong, "BAD_USER_INPUT");
        assert.deepEqual(spooled(), [], "the failed mutation's spool is gone");
        process.env.TMPDIR = join(spools, "missing");
        refusedWith(await create(up.body.uploadId), "INTERNAL_SERVER_ERROR");
        assert.equal((await s.gqlData<Counts>(COUNTS)).datasets.length, before, "nothing was created");
        process.env.TMPDIR = spools;
        const right = await create(up.body.uploadId);
        assert.ok(right.data, `the upload was given back: ${JSON.stringify(right.errors)}`);
        assert.deepEqual(spooled(), [], "the successful mutation's spool is gone");
      } finally {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
        rmSync(spools, { recursive: true, force: true });
      }
    });
  });

  describe("archives", () => {
    const cases: [string, () => Uint8Array, RegExp, string | undefined][] = [
      [
        "overlapping entries",
        () => {
          const zip = zipSync({ "cats/1.png": png(2, 2, 1), "dogs/1.png": png(2, 2, 2) }, { level: 0 });
          new DataView(zip.buffer).setUint32((centralEntries(zip)[1] as number) + 42, 0, true);
          return zip;
        },
        /overlap/,
        undefined,
      ],
      [
        "a stored entry declaring 10 bytes but holding 300 KB",
        () => {
          const zip = zipSync({ "cats/1.png": new Uint8Array(300_000), "dogs/1.png": png(2, 2, 2) }, { level: 0 });
          new DataView(zip.buffer).setUint32((centralEntries(zip)[0] as number) + 24, 10, true);
          return zip;
        },
        /cannot be decoded|not a PNG/,
        undefined,
      ],
      [
        "an entry declaring 300 MiB (a deflate bomb's header)",
        () => {
          const zip = zipSync({ "cats/1.png": new Uint8Array(MiB), "dogs/1.png": png(2, 2, 2) });
          new DataView(zip.buffer).setUint32((centralEntries(zip)[0] as number) + 24, 300 * MiB, true);
          return zip;
        },
        /larger than/,
        "ARCHIVE_BYTES",
      ],
      ["a real 100 MiB deflate bomb", () => bomb, /not a PNG|cannot be decoded|larger than/, undefined],
      [
        "20,001 entries",
        () =>
          zipSync(
            Object.fromEntries(Array.from({ length: 20_001 }, (_, i) => [`c${i % 2}/${i}.png`, new Uint8Array(1)])),
            { level: 0 },
          ),
        /more than 20000 entries/,
        "ARCHIVE_ENTRIES",
      ],
      [
        "a path traversal entry",
        () => zipSync({ "../cats/1.png": png(2, 2, 1), "dogs/1.png": png(2, 2, 2) }),
        /traversal/,
        undefined,
      ],
      [
        "an entry pointing outside the archive",
        () => {
          const zip = zipSync({ "cats/1.png": png(2, 2, 1), "dogs/1.png": png(2, 2, 2) });
          new DataView(zip.buffer).setUint32((centralEntries(zip)[1] as number) + 42, 0x7fff0000, true);
          return zip;
        },
        /outside the archive/,
        undefined,
      ],
      [
        "Zip64 size markers",
        () => {
          const zip = zipSync({ "cats/1.png": png(2, 2, 1), "dogs/1.png": png(2, 2, 2) });
          new DataView(zip.buffer).setUint32((centralEntries(zip)[0] as number) + 24, 0xffffffff, true);
          return zip;
        },
        /Zip64/,
        undefined,
      ],
      ["a truncated archive", () => imageFolderZip().subarray(0, 200), /zip|CSV|UTF-8|control/, undefined],
    ];
    for (const [name, make, pattern, limit] of cases) {
      test(`createDataset refuses ${name}`, async () => {
        const zip = make();
        const res = await attack(s, () => datasetUpload(zip), { maxRssGrowth: 512 * MiB });
        refusedWith(res, "BAD_USER_INPUT", pattern, limit);
      });
    }
  });

  describe("images", () => {
    const cases: [string, () => Uint8Array, RegExp, string | undefined][] = [
      ["a PNG declaring 1 x 2^31 pixels", () => pngBytes(1, 2 ** 31), /1 x 2147483648/, "IMAGE_PIXELS"],
      ["a 74-byte-class PNG declaring 6000 x 6000", () => pngBytes(6000, 6000), /6000 x 6000/, "IMAGE_PIXELS"],
      ["a 0 x 8 PNG", () => pngBytes(0, 8), /0 x 8 pixels/, undefined],
      [
        "an interlaced PNG of 2100 x 2100",
        () => pngBytes(2100, 2100, { interlaced: true }),
        /interlaced/,
        "IMAGE_PIXELS",
      ],
      [
        "a JPEG declaring 65000 x 65000",
        () => {
          // The smallest JPEG header that reaches a frame: SOI, SOF0 with the size, EOI.
          return new Uint8Array([
            0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0xfd, 0xe8, 0xfd, 0xe8, 0x03, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1,
            0xff, 0xd9,
          ]);
        },
        /65000 x 65000/,
        "IMAGE_PIXELS",
      ],
      [
        "a PNG header with no IHDR",
        () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
        /header cannot be read/,
        undefined,
      ],
      ["a .png holding text", () => strToU8("rm -rf /"), /not a PNG or JPEG/, undefined],
    ];
    for (const [name, image, pattern, limit] of cases) {
      test(`createDataset refuses ${name} from its header, before decoding`, async () => {
        const zip = zipSync({ "cats/1.png": image(), "dogs/1.png": png(4, 4, 9) });
        const res = await attack(s, () => datasetUpload(zip), { maxRssGrowth: 256 * MiB });
        refusedWith(res, "BAD_USER_INPUT", pattern, limit);
      });
    }
    for (const [name, folder] of [
      ["a zero-width space", "ca\u200bts"],
      ["a right-to-left override", "dogs\u202egnp"],
      ["300 characters", "c".repeat(300)],
    ] as const) {
      test(`createDataset refuses a class folder named with ${name}`, async () => {
        const zip = zipSync({ [`${folder}/1.png`]: png(4, 4, 1), "dogs/1.png": png(4, 4, 9) });
        refusedWith(await attack(s, () => datasetUpload(zip)), "BAD_USER_INPUT", /class name/);
      });
    }
  });

  describe("model files", () => {
    const cases: [string, () => Uint8Array, RegExp, string | undefined][] = [
      [
        "a weight name of 20,000 slashes",
        () => modelZip((j) => Object.assign(firstWeight(j), { name: `features${"/".repeat(20_000)}kernel` })),
        /name too long/,
        "MODEL_NAME_LENGTH",
      ],
      [
        "20,001 weight entries",
        () =>
          modelZip((j) => {
            const group = manifestOf(j)[0] as { weights: unknown[] };
            group.weights = Array.from({ length: 20_001 }, (_, i) => ({
              name: `features/w${i}`,
              shape: [1],
              dtype: "float32",
            }));
          }),
        /20001 weights/,
        "MODEL_WEIGHT_ENTRIES",
      ],
      [
        "5,001 layers",
        () =>
          modelZip((j) => {
            const layers = layersOf(j);
            for (let i = 0; i < 5_000; i++)
              layers.push({ class_name: "Dropout", config: { name: `d${i}`, rate: 0.1 } });
          }),
        /5003 layers/,
        "MODEL_LAYERS",
      ],
      [
        "an input of [16000, 16000, 3]",
        () => modelZip((j) => Object.assign(firstLayer(j), { batch_input_shape: [null, 16000, 16000, 3] })),
        /16000, 16000, 3/,
        "MODEL_INPUT_SHAPE",
      ],
      [
        "400 million parameters",
        () => modelZip((j) => Object.assign(firstWeight(j), { shape: [20_000, 20_000] })),
        /parameters/,
        "MODEL_PARAMETERS",
      ],
      [
        "model.json nested 100,000 deep",
        () =>
          modelZip((j) =>
            JSON.stringify({ ...j, x: 0 }).replace('"x":0', `"x":${"[".repeat(100_000)}${"]".repeat(100_000)}`),
          ),
        /nested too deeply/,
        "JSON_DEPTH",
      ],
      [
        "300 weight shards",
        () =>
          modelZip((j) =>
            Object.assign(manifestOf(j)[0] ?? {}, { paths: Array.from({ length: 300 }, (_, i) => `s${i}.bin`) }),
          ),
        /300 weight files/,
        "MODEL_SHARDS",
      ],
      [
        "a layer name of 300 characters",
        () => modelZip((j) => Object.assign(firstLayer(j), { name: "l".repeat(300) })),
        /name too long/,
        "MODEL_NAME_LENGTH",
      ],
      [
        "a layer name with a right-to-left override",
        () => modelZip((j) => Object.assign(firstLayer(j), { name: "flat\u202eten" })),
        /direction-changing/,
        undefined,
      ],
      ["model.json that is not JSON", () => modelZip(() => "{ not json"), /not valid JSON/, undefined],
    ];
    for (const [name, make, pattern, limit] of cases) {
      test(`registerModel refuses ${name}`, async () => {
        const zip = make();
        const res = await attack(s, () => registerUpload(zip), { maxRssGrowth: 512 * MiB });
        refusedWith(res, "BAD_USER_INPUT", pattern, limit);
      });
    }
  });

  describe("URL fetch", () => {
    let server: Server;
    let port: number;
    let hits = 0;
    let respond: (path: string, res: ServerResponse) => void = (_, res) => res.end("{}");
    const drips: NodeJS.Timeout[] = [];
    let strict: GatewaySetup;
    before(async () => {
      server = createServer((req, res) => {
        hits++;
        respond(req.url ?? "/", res);
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      port = (server.address() as AddressInfo).port;
      strict = await setup(driver, { allowPrivateUrls: false });
    });
    after(async () => {
      for (const drip of drips) clearInterval(drip);
      server.closeAllConnections();
      server.close();
      await strict?.cleanup();
    });
    const register = (gw: GatewaySetup, url: string) =>
      gw.gql('mutation ($u: String!) { registerModel(input: { name: "remote", url: $u }) { id } }', { u: url });

    for (const host of [
      "127.0.0.1",
      "2130706433",
      "0x7f.1",
      "0177.0.0.1",
      "127.1",
      "[::1]",
      "[::ffff:127.0.0.1]",
      "0.0.0.0",
      "169.254.169.254",
      "[fd00::1]",
      "[fe80::1]",
      "10.0.0.1",
      "localhost",
    ]) {
      test(`without GRAFT_ALLOW_PRIVATE_URLS, http://${host}:<port> is refused without a connection`, async () => {
        const before = hits;
        const res = await attack(strict, () => register(strict, `http://${host}:${port}/model.json`));
        refusedWith(res, "BAD_USER_INPUT", /not a public one|private address/);
        assert.equal(hits, before, "the local server saw no request");
      });
    }

    test("a redirect is not followed", async () => {
      respond = (_, res) => res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
      refusedWith(
        await attack(s, () => register(s, `http://127.0.0.1:${port}/model.json`)),
        "BAD_USER_INPUT",
        /redirects are not followed/,
      );
    });

    test("a closed port reads like a dead host", async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const closedPort = (closed.address() as AddressInfo).port;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const res = await attack(s, () => register(s, `http://127.0.0.1:${closedPort}/model.json`));
      refusedWith(res, "BAD_USER_INPUT", /: the server could not be reached$/);
    });

    test("a body dripping past the deadline is cut off", async () => {
      respond = (_, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        drips.push(setInterval(() => res.write(" "), 50));
      };
      refusedWith(
        await attack(s, () => register(s, `http://127.0.0.1:${port}/model.json`)),
        "BAD_USER_INPUT",
        /time limit exceeded/,
      );
    });

    test("a manifest naming 1,100 shards is refused after fetching model.json alone", async () => {
      const paths = Array.from({ length: 1100 }, (_, i) => `group1-shard${i}of1100.bin`);
      respond = (path, res) =>
        res.end(path === "/model.json" ? JSON.stringify({ weightsManifest: [{ paths, weights: [] }] }) : "x");
      const before = hits;
      const res = await attack(s, () => register(s, `http://127.0.0.1:${port}/model.json`));
      refusedWith(res, "BAD_USER_INPUT", /1100 weight files/, "MODEL_SHARDS");
      assert.equal(hits, before + 1);
    });

    test("a model.json declaring 40 MiB is refused by its Content-Length", async () => {
      respond = (_, res) => {
        res.writeHead(200, { "content-length": String(40 * MiB) });
        res.write("{");
      };
      refusedWith(
        await attack(s, () => register(s, `http://127.0.0.1:${port}/model.json`)),
        "BAD_USER_INPUT",
        /larger than/,
      );
    });
  });

  describe("rate and concurrency per key", () => {
    let tight: GatewaySetup;
    before(async () => {
      tight = await setup(driver, { requestRate: { requests: 30, windowMs: 60_000 }, maxConcurrentUploads: 1 });
    });
    after(async () => {
      await tight?.cleanup();
    });

    test("a key past its request rate gets 429 with Retry-After; another key is unaffected", async () => {
      const { apiKey } = await tight.gateway.createProject("flood");
      let last = await postRaw(tight, JSON.stringify({ query: "{ viewer { projectId } }" }), apiKey);
      for (let i = 0; i < 30 && last.status === 200; i++)
        last = await postRaw(tight, JSON.stringify({ query: "{ viewer { projectId } }" }), apiKey);
      assert.equal(last.status, 429);
      assert.ok(Number(last.headers.get("retry-after")) >= 1);
      refusedWith(last.json, "RATE_LIMITED");
      const ws = await openSocket(tight, apiKey);
      try {
        const reply = await ws.subscribe("subscription { trainerEvents { __typename } }");
        assert.equal(reply.type, "error");
        assert.equal(reply.payload?.[0]?.extensions?.code, "RATE_LIMITED");
      } finally {
        ws.close();
      }
      const upload = await tight.upload(new Uint8Array(10), apiKey);
      assert.equal(upload.status, 429);
      await responsive(tight.gateway.baseUrl);
      const other = await postRaw(tight, JSON.stringify({ query: "{ viewer { projectId } }" }));
      assert.equal(other.status, 200);
    });

    test("a second upload while one streams is 429 for that key", async () => {
      const { apiKey } = await tight.gateway.createProject("uploader");
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = fetch(`${tight.gateway.baseUrl}/uploads`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}` },
        body: ReadableStream.from(
          (async function* () {
            yield new Uint8Array(1000);
            await gate;
            yield new Uint8Array(1000);
          })(),
        ),
        duplex: "half",
      } as RequestInit);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await tight.upload(new Uint8Array(10), apiKey);
      assert.equal(second.status, 429);
      release();
      assert.equal((await slow).status, 201);
      assert.equal((await tight.upload(new Uint8Array(10), apiKey)).status, 201, "the slot is free again");
    });
  });

  describe("NATS run events", () => {
    const runId = "00000000-0000-4000-8000-000000000001";
    const messages: [string, Uint8Array][] = [
      ["bytes that are not JSON", new Uint8Array([0xff, 0xfe, 0x00, 0x01])],
      ["JSON of the wrong shape", strToU8(JSON.stringify({ type: "epoch", runId }))],
      ["an unknown event type", strToU8(JSON.stringify({ type: "explode", runId, attempt: 1 }))],
      ["JSON nested 100,000 deep", strToU8(`{"type":"log","x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`)],
      [
        "an epoch for a run that does not exist",
        strToU8(
          JSON.stringify({
            type: "cancelled",
            runId,
            attempt: 1,
            trainerId: "00000000-0000-4000-8000-000000000002",
            at: new Date().toISOString(),
          }),
        ),
      ],
      [
        "a 900 KB log message",
        strToU8(JSON.stringify({ type: "log", runId, attempt: 1, message: "x".repeat(900_000) })),
      ],
    ];
    for (const [name, data] of messages) {
      test(`${name} on the events subject is dropped, not redelivered, and ingest goes on`, async () => {
        const nc = await connect(gatewayConnectOptions(s.nats));
        try {
          await attack(s, async () => {
            await jetstream(nc).publish(runEventsSubject("00000000-0000-4000-8000-000000000002", runId), data);
            const jsm = await jetstreamManager(nc);
            await waitFor(
              "the ingest consumer to settle the message",
              async () => {
                const info = await jsm.consumers.info(RUN_EVENTS_STREAM, GATEWAY_INGEST_CONSUMER);
                return info.num_pending === 0 && info.num_ack_pending === 0;
              },
              { timeoutMs: 10_000 },
            );
          });
        } finally {
          await nc.close();
        }
      });
    }
  });
});

// Per-key limits hold for a deployment, not per process: two gateway processes on one NATS
// and one PostgreSQL share the request rate and the upload slots of each API key (counters in
// the database), and an upload claimed by a gateway killed mid-mutation is free again after
// the claim timeout. Each refusal is checked for its typed answer and that nothing changed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { createDatabase, type Database, datasets, uploads, workLeases } from "@graft/db";
import { createTestDatabaseTarget, describeEachDriver, type TestDatabaseTarget } from "@graft/db/testing";
import { type NatsServer, startNatsServer } from "@graft/natsd";
import { waitFor } from "@graft/testkit";
import { eq } from "drizzle-orm";
import { imageFolderZip } from "./support/fixtures.ts";
import { type GatewayProcess, startGatewayProcess, stopGatewayProcess } from "./support/gateway-process.ts";

const RATE = 20;
const CLAIM_TIMEOUT_MS = 4_000;
const secret = (prefix: string) => `${prefix}_${randomBytes(24).toString("base64url")}`;

type Result = {
  status: number;
  headers: Headers;
  body: { data?: unknown; errors?: { extensions?: { code?: string } }[] };
};

async function gql(gateway: GatewayProcess, key: string, query: string, variables = {}): Promise<Result> {
  const res = await fetch(gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Result["body"] };
}

const uploadsUrl = (gateway: GatewayProcess) => gateway.url.replace(/\/graphql$/, "/uploads");

async function upload(gateway: GatewayProcess, key: string, body: Uint8Array | ReadableStream<Uint8Array>) {
  const res = await fetch(uploadsUrl(gateway), {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/zip" },
    body,
    duplex: "half",
  } as RequestInit);
  return { status: res.status, headers: res.headers, body: (await res.json()) as { uploadId?: string; code?: string } };
}

describeEachDriver(
  () => {
    // Two processes cannot share a PGlite database: replicas need PostgreSQL.
    let nats: NatsServer;
    let target: TestDatabaseTarget;
    let database: Database;
    let a: GatewayProcess;
    let b: GatewayProcess;
    const adminKey = secret("graft");

    /** A fresh MEMBER key, so each test starts with a full rate. */
    const newKey = async (name: string) => {
      const made = await gql(a, adminKey, "mutation ($n: String!) { createApiKey(input: { name: $n }) { secret } }", {
        n: name,
      });
      const key = (made.body.data as { createApiKey?: { secret: string } } | undefined)?.createApiKey?.secret;
      assert.ok(key, JSON.stringify(made.body));
      return key;
    };
    const datasetCount = async () => (await database.db.select({ id: datasets.id }).from(datasets)).length;

    before(async () => {
      nats = await startNatsServer();
      target = await createTestDatabaseTarget("postgres");
      const config = {
        port: 0,
        natsUrl: nats.url,
        natsAuth: nats.auth,
        databaseUrl: target.databaseUrl as string,
        bootstrapKey: adminKey,
        joinToken: secret("graft_join"),
        builtinModels: [],
        memoryStorage: true,
        requestRate: { requests: RATE, windowMs: 60_000 },
        maxConcurrentUploads: 1,
        uploadClaimTimeoutMs: CLAIM_TIMEOUT_MS,
      };
      // One after the other: the first migrates and seeds, the second finds it done.
      a = await startGatewayProcess(config, "gateway-a");
      b = await startGatewayProcess(config, "gateway-b");
      database = await createDatabase({ url: target.databaseUrl });
    });
    after(async () => {
      await database?.close();
      for (const gateway of [a, b]) if (gateway) await stopGatewayProcess(gateway);
      await nats?.stop();
      await target?.cleanup();
    });

    test("one key's requests through both replicas together pass the rate once, then 429 RATE_LIMITED on either", async () => {
      const key = await newKey("flood");
      const results: Result[] = [];
      for (let i = 0; i < RATE + 10; i++) results.push(await gql(i % 2 ? a : b, key, "{ viewer { projectId } }"));
      const passed = results.filter((r) => r.status === 200 && r.body.data);
      assert.equal(passed.length, RATE, `${RATE} requests pass over both replicas, not ${RATE} on each`);
      const refused = results.slice(RATE);
      for (const r of refused) {
        assert.equal(r.status, 429);
        assert.equal(r.body.errors?.[0]?.extensions?.code, "RATE_LIMITED");
        assert.equal(r.body.data ?? null, null);
        assert.ok(Number(r.headers.get("retry-after")) >= 1);
      }
      assert.ok(refused.some((_, i) => i % 2 === 0) && refused.some((_, i) => i % 2 === 1), "both replicas refuse");
      const upload429 = await upload(a, key, new Uint8Array(10));
      assert.equal(upload429.status, 429, "uploads count against the same rate");
      assert.equal((await database.db.select().from(uploads)).length, 0, "nothing was stored");
      assert.equal((await gql(b, adminKey, "{ viewer { projectId } }")).status, 200, "another key is unaffected");
    });

    test("one key's second upload on the other replica is 429 while its first streams; the slot frees after", async () => {
      const key = await newKey("uploader");
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => (release = resolve));
      const slow = upload(
        a,
        key,
        ReadableStream.from(
          (async function* () {
            yield new Uint8Array(1000);
            await gate;
            yield new Uint8Array(1000);
          })(),
        ),
      );
      await waitFor(
        "the first upload to hold its slot",
        async () => (await database.db.select().from(workLeases)).length === 1,
      );
      const second = await upload(b, key, new Uint8Array(10));
      assert.equal(second.status, 429);
      assert.equal(second.body.code, "RATE_LIMITED");
      assert.equal((await database.db.select().from(uploads)).length, 0, "nothing was stored");
      release();
      assert.equal((await slow).status, 201);
      assert.equal((await upload(b, key, new Uint8Array(10))).status, 201, "the slot is free again, on either replica");
    });

    test("an upload claimed by a gateway killed mid-mutation is refused while the claim is young, then free again", async () => {
      const key = await newKey("claimer");
      const up = await upload(a, key, imageFolderZip(["cats", "dogs"], 200, 32));
      assert.equal(up.status, 201, JSON.stringify(up.body));
      const uploadId = up.body.uploadId as string;
      const create = (gateway: GatewayProcess) =>
        gql(gateway, key, 'mutation ($u: ID!) { createDataset(input: { name: "claimed", uploadId: $u }) { id } }', {
          u: uploadId,
        });
      const before = await datasetCount();
      const pending = create(a).catch(() => null); // its gateway dies under it
      const row = async () => (await database.db.select().from(uploads).where(eq(uploads.id, uploadId)))[0];
      await waitFor("gateway A to claim the upload", async () => (await row())?.claimedAt != null, {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
      a.kill("SIGKILL");
      await a.exited;
      await pending;
      const left = await row();
      assert.ok(left?.claimedAt && left.consumedAt === null, "the dead gateway left the upload claimed, not consumed");

      const young = await create(b);
      assert.equal(young.body.errors?.[0]?.extensions?.code, "NOT_FOUND", JSON.stringify(young.body));
      assert.equal(await datasetCount(), before, "nothing changed while the claim is young");

      const wait = (left.claimedAt as Date).getTime() + CLAIM_TIMEOUT_MS + 500 - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      const freed = await create(b);
      assert.ok((freed.body.data as { createDataset?: { id: string } })?.createDataset?.id, JSON.stringify(freed.body));
      assert.equal(await datasetCount(), before + 1);
      assert.ok((await row())?.consumedAt, "the upload is consumed now");
      assert.equal((await create(b)).body.errors?.[0]?.extensions?.code, "NOT_FOUND", "and serves no other mutation");
    });
  },
  { drivers: ["postgres"] },
);

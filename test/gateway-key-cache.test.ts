import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftFetcher } from "@graft/client";
import { apiKeys, createDatabase } from "@graft/db";
import { createTestDatabaseTarget, describeEachDriver } from "@graft/db/testing";
import { type Gateway, startGateway } from "@graft/gateway";
import { startNatsServer } from "@graft/natsd";
import { waitFor } from "@graft/testkit";
import { eq } from "drizzle-orm";
import { setup } from "./support/gateway.ts";

/**
 * Gateways keep valid API keys for a while (apiKeyCacheTtlMs) instead of reading them on every
 * request. A revoked key must still be refused at once by the replica that revoked it, as soon
 * as the others hear of it (NATS), and within the TTL when they never do.
 */

const ME = "{ viewer { keyName } }";
const codeOf = async (gateway: Gateway, key: string) => {
  const result = await new GraftFetcher({ url: gateway.url, apiKey: key, timeoutMs: null }).execute(ME, {});
  return result.errors?.[0]?.extensions?.code ?? "OK";
};
const memberKey = async (gateway: Gateway) => {
  const admin = new GraftFetcher({ url: gateway.url, apiKey: gateway.apiKey, timeoutMs: null });
  const created = await admin.execute<{ createApiKey: { secret: string; apiKey: { id: string } } }, object>(
    'mutation { createApiKey(input: { name: "cached", role: MEMBER }) { secret apiKey { id } } }',
    {},
  );
  assert.ok(created.data, JSON.stringify(created.errors));
  return { id: created.data.createApiKey.apiKey.id, secret: created.data.createApiKey.secret };
};
const revoke = async (gateway: Gateway, id: string) => {
  const admin = new GraftFetcher({ url: gateway.url, apiKey: gateway.apiKey, timeoutMs: null });
  const result = await admin.execute("mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }", { id });
  assert.equal(result.errors, undefined, JSON.stringify(result.errors));
};

describeEachDriver((driver) => {
  test("a cached key that is revoked is refused on the next request of the replica that revoked it", async () => {
    // A TTL far longer than the test: only the revocation itself can end the cached entry.
    const keyReads: string[] = [];
    const s = await setup(driver, {
      apiKeyCacheTtlMs: 600_000,
      onQuery: (sql) => {
        if (/from "api_keys"/i.test(sql)) keyReads.push(sql);
      },
    });
    try {
      const key = await memberKey(s.gateway);
      assert.equal(await codeOf(s.gateway, key.secret), "OK");
      const before = keyReads.length;
      assert.equal(await codeOf(s.gateway, key.secret), "OK");
      assert.equal(keyReads.length, before, "the second request is served from the cache");
      await revoke(s.gateway, key.id);
      assert.equal(await codeOf(s.gateway, key.secret), "UNAUTHENTICATED");
      assert.equal(await codeOf(s.gateway, s.gateway.apiKey), "OK", "other keys stay valid");
    } finally {
      await s.cleanup();
    }
  });
});

const needsPostgres = {
  skip: process.env.DATABASE_URL ? false : "needs DATABASE_URL (two gateways cannot share one PGlite)",
};

/** Gateways as replicas: one nats-server and one PostgreSQL database for all of them. */
async function startReplicas(count: number, apiKeyCacheTtlMs: number) {
  const nats = await startNatsServer();
  const target = await createTestDatabaseTarget("postgres");
  const replicas: Gateway[] = [];
  const stop = async () => {
    for (const r of replicas) await r.stop();
    await target.cleanup();
    await nats.stop();
  };
  try {
    for (let i = 0; i < count; i++) {
      replicas.push(
        await startGateway({
          port: 0,
          natsUrl: nats.url,
          natsAuth: nats.auth,
          databaseUrl: target.databaseUrl ?? "",
          bootstrapKey: "graft_key_cache_test_bootstrap_0123456789abcdef",
          builtinModels: [],
          memoryStorage: true,
          apiKeyCacheTtlMs,
        }),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { replicas, databaseUrl: target.databaseUrl ?? "", stop };
}

test(
  "a key revoked where no gateway hears of it (straight in the database) is refused once the cache entry expires",
  needsPostgres,
  async () => {
    const { replicas, databaseUrl, stop } = await startReplicas(1, 1_000);
    const database = await createDatabase({ url: databaseUrl });
    try {
      const [gateway] = replicas;
      assert.ok(gateway);
      const key = await memberKey(gateway);
      assert.equal(await codeOf(gateway, key.secret), "OK");
      await database.db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, key.id));
      await waitFor(
        "the gateway to refuse the key",
        async () => (await codeOf(gateway, key.secret)) === "UNAUTHENTICATED",
      );
    } finally {
      await database.close();
      await stop();
    }
  },
);

test(
  "replicas sharing a database and NATS: a key revoked on one is refused by the other as soon as the notice arrives",
  needsPostgres,
  async () => {
    // A TTL far longer than the test: only the NATS notice can end B's entry in time.
    const { replicas, stop } = await startReplicas(2, 600_000);
    try {
      const [a, b] = replicas;
      assert.ok(a && b);
      const key = await memberKey(a);
      assert.equal(await codeOf(b, key.secret), "OK", "B has seen (and cached) the key");
      await revoke(a, key.id);
      assert.equal(await codeOf(a, key.secret), "UNAUTHENTICATED", "A refuses at once");
      await waitFor("B to refuse the revoked key", async () => (await codeOf(b, key.secret)) === "UNAUTHENTICATED");
    } finally {
      await stop();
    }
  },
);

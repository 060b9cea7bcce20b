import assert from "node:assert/strict";
import { test } from "node:test";
import { GraftFetcher } from "@graft/client";
import { API_KEYS_REVOKED, encodeMessage, trainerInboxPrefix } from "@graft/contracts";
import { apiKeys, createDatabase } from "@graft/db";
import { createTestDatabaseTarget, describeEachDriver } from "@graft/db/testing";
import { type Gateway, startGateway } from "@graft/gateway";
import { startNatsServer } from "@graft/natsd";
import { credsConnectOptions, gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect, type NatsConnection, PermissionViolationError } from "@nats-io/transport-node";
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

/** Publishes `data` on `subject` and resolves with the permission violation nats-server answers. */
async function refusedPublish(nc: NatsConnection, subject: string, data: Uint8Array): Promise<void> {
  const violation = (async () => {
    for await (const status of nc.status()) {
      if (status.type === "error" && status.error instanceof PermissionViolationError) return status.error;
    }
    throw new Error("the connection closed without a permission violation");
  })();
  nc.publish(subject, data);
  await nc.flush();
  const error = await waitFor(`a permission violation for ${subject}`, () =>
    Promise.race([violation, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))]),
  );
  assert.equal(error.operation, "publish");
  assert.equal(error.subject, subject);
}

test("a trainer cannot publish a key revocation notice; garbage from a NATS user that may is ignored, a forged one costs a key read", async () => {
  let keyReads = 0;
  const ignored: string[] = [];
  const s = await setup("pglite", {
    apiKeyCacheTtlMs: 600_000,
    onQuery: (sql) => {
      if (/from "api_keys"/i.test(sql)) keyReads += 1;
    },
    log: (line) => {
      if (/ignored a key revocation notice/.test(line)) ignored.push(line);
    },
  });
  const connections: NatsConnection[] = [];
  try {
    const key = await memberKey(s.gateway);
    const other = await memberKey(s.gateway);
    for (const k of [key, other]) assert.equal(await codeOf(s.gateway, k.secret), "OK");
    const servedFromCache = async (secret: string) => {
      const before = keyReads;
      return (await codeOf(s.gateway, secret)) === "OK" && keyReads === before;
    };
    assert.ok(await servedFromCache(key.secret), "both keys are cached");

    // A registered trainer holds a NATS user of its own: nats-server refuses the subject.
    const { registerTrainer } = await s.gqlData<{
      registerTrainer: { trainer: { id: string }; natsCredentials: string };
    }>(
      `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "revoker", host: "h", pool: "revokers", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } natsCredentials } }`,
      { t: s.gateway.joinToken },
    );
    const trainer = await connect({
      ...credsConnectOptions(
        s.nats.url,
        registerTrainer.natsCredentials,
        trainerInboxPrefix(registerTrainer.trainer.id),
      ),
      maxReconnectAttempts: 0,
    });
    connections.push(trainer);
    await refusedPublish(trainer, API_KEYS_REVOKED, encodeMessage({ apiKeyIds: [key.id] }));

    // Only gateway users may publish there. Garbage is logged and dropped; then a well-formed
    // notice (in order after the garbage) shows the gateway has read all of it.
    const gateway = await connect(gatewayConnectOptions(s.nats));
    connections.push(gateway);
    const garbage = [
      new TextEncoder().encode("not json"),
      encodeMessage({ apiKeyIds: "k" }),
      encodeMessage({ apiKeyIds: [] }),
      encodeMessage({ apiKeyIds: Array.from({ length: 10_001 }, (_, i) => `k${i}`) }),
      encodeMessage({ apiKeyIds: ["../*"] }),
    ];
    for (let i = 0; i < 100; i++) for (const data of garbage) gateway.publish(API_KEYS_REVOKED, data);
    gateway.publish(API_KEYS_REVOKED, encodeMessage({ apiKeyIds: [other.id] }));
    await gateway.flush();
    await waitFor(
      "the gateway to drop the other key from its cache",
      async () => !(await servedFromCache(other.secret)),
    );
    assert.equal(ignored.length, 100 * garbage.length, "every malformed notice was logged and ignored");
    assert.ok(await servedFromCache(key.secret), "the trainer's notice never arrived: the key is still cached");
    assert.equal(await codeOf(s.gateway, other.secret), "OK", "a forged notice only costs a read: the key is valid");
  } finally {
    for (const nc of connections) await nc.close();
    await s.cleanup();
  }
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

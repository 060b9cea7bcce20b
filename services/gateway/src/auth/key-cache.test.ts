import assert from "node:assert/strict";
import { test } from "node:test";
import { API_KEYS_REVOKED } from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect } from "@nats-io/transport-node";
import type { Viewer } from "./authenticate.ts";
import { ApiKeyCache, announceRevokedKeys, followRevokedKeys } from "./key-cache.ts";

const viewer = (apiKeyId: string): Viewer => ({
  projectId: "p",
  projectName: "p",
  apiKeyId,
  keyName: "k",
  role: "MEMBER",
  sessionId: null,
});

test("an entry is served until its TTL has passed, never after; a TTL of 0 keeps nothing", () => {
  const cache = new ApiKeyCache(1_000);
  cache.set("h1", { viewer: viewer("k1"), lastUsedAt: null }, 10_000);
  assert.equal(cache.get("h1", 10_999)?.viewer.apiKeyId, "k1");
  assert.equal(cache.get("h1", 11_000), undefined);
  assert.equal(cache.get("h1", 10_500), undefined, "an expired entry is gone, not revived");

  const off = new ApiKeyCache(0);
  off.set("h1", { viewer: viewer("k1"), lastUsedAt: null });
  assert.equal(off.get("h1"), undefined);
});

test("forgetting a key drops every hash that resolved to it, and only those", () => {
  const cache = new ApiKeyCache(60_000);
  cache.set("h1", { viewer: viewer("k1"), lastUsedAt: null });
  cache.set("h2", { viewer: viewer("k2"), lastUsedAt: null });
  cache.forget(["k1"]);
  assert.equal(cache.get("h1"), undefined);
  assert.equal(cache.get("h2")?.viewer.apiKeyId, "k2");
});

test("a full cache starts over instead of growing", () => {
  const cache = new ApiKeyCache(60_000, 2);
  cache.set("h1", { viewer: viewer("k1"), lastUsedAt: null });
  cache.set("h2", { viewer: viewer("k2"), lastUsedAt: null });
  cache.set("h3", { viewer: viewer("k3"), lastUsedAt: null });
  assert.equal(cache.get("h1"), undefined);
  assert.equal(cache.get("h3")?.viewer.apiKeyId, "k3");
});

test("a revocation announced by one replica is forgotten by another; a malformed notice changes nothing", async () => {
  const server = await startNatsServer();
  const a = await connect(gatewayConnectOptions(server));
  const b = await connect(gatewayConnectOptions(server));
  try {
    const here = new ApiKeyCache(600_000);
    const there = new ApiKeyCache(600_000);
    for (const cache of [here, there]) {
      cache.set("h1", { viewer: viewer("k1"), lastUsedAt: null });
      cache.set("h2", { viewer: viewer("k2"), lastUsedAt: null });
    }
    const logs: string[] = [];
    const sub = followRevokedKeys(there, b, (line) => logs.push(line));
    await b.flush();

    a.publish(API_KEYS_REVOKED, new TextEncoder().encode('{"apiKeyIds": "k2"}'));
    await announceRevokedKeys(here, a, ["k1"]);
    assert.equal(here.get("h1"), undefined, "forgotten by the announcing replica before it returns");
    await waitFor("the other replica to forget k1", () => there.get("h1") === undefined);
    assert.equal(there.get("h2")?.viewer.apiKeyId, "k2");
    assert.equal(logs.length, 1);
    assert.match(logs[0] ?? "", /ignored a key revocation notice/);
    sub.unsubscribe();
  } finally {
    await a.close();
    await b.close();
    await server.stop();
  }
});

test("a revocation announced while NATS is away is forgotten here at once and does not wait for NATS", async () => {
  const server = await startNatsServer();
  const nc = await connect({ ...gatewayConnectOptions(server), maxReconnectAttempts: -1 });
  try {
    const cache = new ApiKeyCache(600_000);
    cache.set("h1", { viewer: viewer("k1"), lastUsedAt: null });
    const disconnected = (async () => {
      for await (const status of nc.status()) if (status.type === "disconnect") return;
    })();
    await server.stop();
    await disconnected;
    const started = Date.now();
    await announceRevokedKeys(cache, nc, ["k1"]);
    assert.ok(Date.now() - started < 5_000, `returned after ${Date.now() - started} ms`);
    assert.equal(cache.get("h1"), undefined);
  } finally {
    await nc.close();
  }
});

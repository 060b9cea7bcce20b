// Unknown credentials cost the gateway a database read each; an address that sends too many
// in a window is refused (429) without one. The dashboard (a trusted proxy, on loopback here)
// forwards its browsers' addresses, so they are counted apart rather than as one dashboard.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { describeEachDriver } from "@graft/db/testing";
import WebSocket from "ws";
import { type GatewaySetup, setup } from "./support/gateway.ts";

const FAILURES = 5;
const ATTACKER = "203.0.113.7";
const NEIGHBOUR = "198.51.100.9";

const wrongKey = () => `graft_${randomBytes(32).toString("base64url")}`;
const wrongSession = () => `graftsession_${randomBytes(32).toString("base64url")}`;

describeEachDriver((driver) => {
  let s: GatewaySetup;
  /** Statements that read API keys or sessions, as the gateway sent them. */
  let credentialReads = 0;
  before(async () => {
    s = await setup(driver, {
      credentialFailures: { failures: FAILURES, windowMs: 60_000 },
      // Long enough that the valid key read at the start is still cached at the end under load.
      apiKeyCacheTtlMs: 60_000,
      onQuery: (sql) => {
        if (/from "(api_keys|sessions)"/.test(sql)) credentialReads++;
      },
    });
  });
  after(async () => {
    await s?.cleanup();
  });

  /** POSTs `{ viewer { role } }` as the dashboard would on behalf of `address`. */
  const viewerFrom = (address: string, key: string) =>
    fetch(s.gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}`, "x-forwarded-for": address },
      body: JSON.stringify({ query: "{ viewer { role } }" }),
    });

  const errorCode = async (res: Response) =>
    ((await res.json()) as { errors?: { extensions: { code: string } }[] }).errors?.[0]?.extensions.code;

  test("an address past its failed credentials gets 429 with Retry-After and costs no database read", async () => {
    // A valid key used from the address first: the key cache holds it.
    assert.equal((await viewerFrom(ATTACKER, s.gateway.apiKey)).status, 200);
    for (let i = 0; i < FAILURES; i++) {
      const res = await viewerFrom(ATTACKER, i % 2 ? wrongKey() : wrongSession());
      assert.equal(res.status, 401, `failure ${i + 1}`);
      assert.equal(await errorCode(res), "UNAUTHENTICATED");
    }
    const readsBefore = credentialReads;
    for (const credential of [wrongKey(), wrongSession()]) {
      const limited = await viewerFrom(ATTACKER, credential);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      assert.equal(await errorCode(limited), "RATE_LIMITED");
    }
    assert.equal(credentialReads, readsBefore, "a refused credential was not looked up");

    // The key this replica already found valid still passes from that address...
    assert.equal((await viewerFrom(ATTACKER, s.gateway.apiKey)).status, 200);
    // ...and another address is not affected by the first one's failures.
    assert.equal((await viewerFrom(NEIGHBOUR, wrongKey())).status, 401);
    assert.equal((await viewerFrom(NEIGHBOUR, s.gateway.apiKey)).status, 200);
  });

  test("the same limit holds for logins, uploads and websockets from that address", async () => {
    const readsBefore = credentialReads;
    const login = await fetch(s.gateway.url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": ATTACKER },
      body: JSON.stringify({
        query: "mutation ($k: String!) { createSession(apiKey: $k) { token } }",
        variables: { k: wrongKey() },
      }),
    });
    assert.equal(login.status, 429);
    assert.equal(await errorCode(login), "RATE_LIMITED");

    const upload = await fetch(new URL("/uploads", s.gateway.baseUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${wrongKey()}`, "x-forwarded-for": ATTACKER },
      body: new Uint8Array(16),
    });
    assert.equal(upload.status, 429);
    assert.ok(Number(upload.headers.get("retry-after")) >= 1);

    const closed = await new Promise<number>((resolve) => {
      const socket = new WebSocket(s.gateway.wsUrl, "graphql-transport-ws", {
        headers: { authorization: `Bearer ${wrongKey()}`, "x-forwarded-for": ATTACKER },
      });
      socket.once("open", () => socket.send(JSON.stringify({ type: "connection_init" })));
      socket.once("close", (code) => resolve(code));
      socket.once("error", () => {});
    });
    assert.equal(closed, 4403);
    assert.equal(credentialReads, readsBefore, "none of them was looked up");
  });
});

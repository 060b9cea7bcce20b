// Hostile input against the gateway's doors and keys: roles, key and join-token lifecycles,
// sessions, guessing join tokens, foreign Host names and Origins, rotated bootstrap secrets.
// Each case checks the typed refusal, that nothing changed, and that the gateway still answers.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, test } from "node:test";
import { createTestDatabaseTarget, describeEachDriver, type TestDriver } from "@graft/db/testing";
import { type GatewayConfig, startGateway } from "@graft/gateway";
import { type NatsServer, startNatsServer } from "@graft/natsd";
import { waitFor } from "@graft/testkit";
import WebSocket from "ws";
import { codes, type GatewaySetup, setup } from "./support/gateway.ts";

const IDLE_MS = 3_000;
const MAX_AGE_MS = 6_000;

/** The gateway answers /healthz within a second: a refusal did not stall it. */
async function assertResponsive(baseUrl: string): Promise<void> {
  const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
  assert.equal(res.status, 200);
}

/** A raw HTTP request, so the Host header can be anything. */
function raw(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end(options.body);
  });
}

/** Opens a websocket; resolves with the HTTP status of a refused upgrade, or "open". */
function upgrade(url: string, headers: Record<string, string>): Promise<number | "open"> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, "graphql-transport-ws", { headers });
    socket.once("open", () => {
      socket.close();
      resolve("open");
    });
    socket.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
    socket.once("error", () => {});
  });
}

describeEachDriver((driver) => {
  let s: GatewaySetup;
  before(async () => {
    s = await setup(driver, {
      sessionPolicy: { idleMs: IDLE_MS, maxAgeMs: MAX_AGE_MS },
      credentialRecheckMs: 300,
      websocketKeepAliveMs: 1_000,
    });
  });
  after(async () => {
    await s?.cleanup();
  });

  /** createSession with no Authorization header, as the dashboard calls it. */
  const createSession = async (apiKey: string) => {
    const made = await s.gql<{ createSession: { token: string; viewer: { role: string } } }>(
      "mutation ($k: String!) { createSession(apiKey: $k) { token expiresAt viewer { role } } }",
      { k: apiKey },
      null,
    );
    assert.ok(made.data, JSON.stringify(made.errors));
    return made.data.createSession;
  };

  const keyCount = async () =>
    (await s.gqlData<{ apiKeys: unknown[] }>("{ apiKeys(includeRevoked: true) { id } }")).apiKeys.length;

  test("a MEMBER key is FORBIDDEN from key management, join tokens and fleet operations", async () => {
    const { createApiKey } = await s.gqlData<{ createApiKey: { secret: string; apiKey: { role: string } } }>(
      'mutation { createApiKey(input: { name: "ci", role: MEMBER }) { secret apiKey { role } } }',
    );
    assert.equal(createApiKey.apiKey.role, "MEMBER");
    const member = createApiKey.secret;
    const before = await keyCount();
    const trainer = await s.gql<{ registerTrainer: { trainer: { id: string } } }>(
      'mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "fleet-1", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }',
      { t: s.gateway.joinToken },
      null,
    );
    const trainerId = trainer.data?.registerTrainer.trainer.id;
    for (const [operation, variables] of [
      ['mutation { createApiKey(input: { name: "escalate", role: ADMIN }) { secret } }', {}],
      ["{ apiKeys { id } }", {}],
      ["{ joinTokens { id } }", {}],
      ['mutation { createJoinToken(input: { name: "mine" }) { secret } }', {}],
      ["mutation ($id: ID!) { drainTrainer(id: $id) { status } }", { id: trainerId }],
      [
        "mutation ($id: ID!) { revokeApiKey(id: $id) { id } }",
        { id: (await s.gqlData<{ viewer: { projectId: string } }>("{ viewer { projectId } }")).viewer.projectId },
      ],
    ] as const) {
      const refused = await s.gql(operation, variables, member);
      assert.deepEqual(codes(refused), ["FORBIDDEN"], operation);
      assert.equal(refused.data ?? null, null, operation);
    }
    assert.equal(await keyCount(), before, "no key was made or revoked");
    const fleet = await s.gqlData<{ trainer: { status: string } }>("query ($id: ID!) { trainer(id: $id) { status } }", {
      id: trainerId,
    });
    assert.equal(fleet.trainer.status, "IDLE", "the trainer was not drained");
    // A member still works with its project's data.
    const viewer = await s.gqlData<{ viewer: { role: string } }>("{ viewer { role } }", {}, member);
    assert.equal(viewer.viewer.role, "MEMBER");
    await assertResponsive(s.gateway.baseUrl);
  });

  test("an ADMIN key creates keys whose secret is shown once, and a revoked key stops working at once", async () => {
    const { createApiKey } = await s.gqlData<{
      createApiKey: { secret: string; apiKey: { id: string; prefix: string } };
    }>('mutation { createApiKey(input: { name: "robot", role: ADMIN }) { secret apiKey { id prefix } } }');
    assert.match(createApiKey.secret, /^graft_[A-Za-z0-9_-]{43}$/);
    assert.ok(createApiKey.secret.startsWith(createApiKey.apiKey.prefix));
    const listed = await s.gql("{ apiKeys { id name prefix role createdAt lastUsedAt revokedAt bootstrap } }");
    assert.ok(!JSON.stringify(listed).includes(createApiKey.secret), "listing never shows a secret");
    const robot = createApiKey.secret;
    assert.equal(
      (await s.gqlData<{ viewer: { keyName: string } }>("{ viewer { keyName } }", {}, robot)).viewer.keyName,
      "robot",
    );
    const { token } = await createSession(robot);

    const revoked = await s.gqlData<{ revokeApiKey: { revokedAt: string | null } }>(
      "mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
      { id: createApiKey.apiKey.id },
    );
    assert.ok(revoked.revokeApiKey.revokedAt);
    for (const credential of [robot, token]) {
      const refused = await s.gql("{ viewer { projectName } }", {}, credential);
      assert.equal(refused.status, 401);
      assert.deepEqual(codes(refused), ["UNAUTHENTICATED"]);
    }
    const again = await s.gqlData<{ revokeApiKey: { revokedAt: string } }>(
      "mutation ($id: ID!) { revokeApiKey(id: $id) { revokedAt } }",
      { id: createApiKey.apiKey.id },
    );
    assert.equal(again.revokeApiKey.revokedAt, revoked.revokeApiKey.revokedAt, "revoking twice changes nothing");
    await assertResponsive(s.gateway.baseUrl);
  });

  test("refuses to revoke the last ADMIN key, foreign keys and malformed ids, changing nothing", async () => {
    const before = await keyCount();
    const { viewer } = await s.gqlData<{ viewer: { projectId: string } }>("{ viewer { projectId } }");
    const keys = await s.gqlData<{ apiKeys: { id: string; role: string; bootstrap: boolean }[] }>(
      "{ apiKeys { id role bootstrap } }",
    );
    const admins = keys.apiKeys.filter((k) => k.role === "ADMIN");
    assert.equal(admins.length, 1, "only the bootstrap key is an active ADMIN here");
    const last = await s.gql("mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", { id: admins[0]?.id });
    assert.deepEqual(codes(last), ["CONFLICT"]);
    const other = await s.gateway.createProject("elsewhere", "ADMIN");
    const foreign = await s.gqlData<{ apiKeys: { id: string }[] }>("{ apiKeys { id } }", {}, other.apiKey);
    const cross = await s.gql("mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", { id: foreign.apiKeys[0]?.id });
    assert.deepEqual(codes(cross), ["NOT_FOUND"], "another project's key is not there to revoke");
    for (const id of ["../../etc/passwd", "1 OR 1=1", viewer.projectId, "\u0000"]) {
      assert.deepEqual(codes(await s.gql("mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", { id })), [
        "NOT_FOUND",
      ]);
    }
    for (const name of ["", " ", "x".repeat(201), "tab\tname"]) {
      const bad = await s.gql("mutation ($n: String!) { createApiKey(input: { name: $n }) { secret } }", { n: name });
      assert.deepEqual(codes(bad), ["BAD_USER_INPUT"], JSON.stringify(name));
    }
    assert.equal(await keyCount(), before);
    assert.equal((await s.gql("{ viewer { role } }", {}, other.apiKey)).status, 200, "the other project's key works");
    await assertResponsive(s.gateway.baseUrl);
  });

  test("sessions stand for a key: wrong keys, session tokens and header injection cannot make one", async () => {
    const made = { createSession: await createSession(s.gateway.apiKey) };
    assert.match(made.createSession.token, /^graftsession_/);
    assert.equal(made.createSession.viewer.role, "ADMIN");
    for (const guess of [
      "graft_wrong",
      made.createSession.token,
      `${s.gateway.apiKey}\r\nX-Injected: 1`,
      `${s.gateway.apiKey} `,
      "x".repeat(100_000),
      "",
    ]) {
      const refused = await s.gql("mutation ($k: String!) { createSession(apiKey: $k) { token } }", { k: guess }, null);
      assert.deepEqual(codes(refused), ["UNAUTHENTICATED"], guess.slice(0, 40));
      assert.equal(refused.data ?? null, null);
    }
    const asSession = await s.gqlData<{ viewer: { role: string } }>(
      "{ viewer { role } }",
      {},
      made.createSession.token,
    );
    assert.equal(asSession.viewer.role, "ADMIN");
    const out = await s.gqlData<{ revokeSession: boolean }>("mutation { revokeSession }", {}, made.createSession.token);
    assert.equal(out.revokeSession, true);
    assert.deepEqual(codes(await s.gql("{ viewer { role } }", {}, made.createSession.token)), ["UNAUTHENTICATED"]);
    const keyStillWorks = await s.gqlData<{ revokeSession: boolean }>("mutation { revokeSession }");
    assert.equal(keyStillWorks.revokeSession, false, "logging out with a key (not a session) ends nothing");
    await assertResponsive(s.gateway.baseUrl);
  });

  test("sessions end when unused for the idle timeout, and at their absolute expiry even when used", async () => {
    const login = async () => (await createSession(s.gateway.apiKey)).token;
    const idle = await login();
    const busy = await login();
    const started = Date.now();
    // `busy` is used every half second; `idle` is not touched until its idle timeout has passed.
    while (Date.now() - started < IDLE_MS + 500) {
      assert.equal((await s.gql("{ viewer { role } }", {}, busy)).status, 200);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(codes(await s.gql("{ viewer { role } }", {}, idle)), ["UNAUTHENTICATED"], "idle timeout");
    while (Date.now() - started < MAX_AGE_MS - 500) {
      assert.equal((await s.gql("{ viewer { role } }", {}, busy)).status, 200);
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, Math.max(0, MAX_AGE_MS + 200 - (Date.now() - started))));
    assert.deepEqual(codes(await s.gql("{ viewer { role } }", {}, busy)), ["UNAUTHENTICATED"], "absolute expiry");
  });

  test("join tokens: created once, listed without secrets, a revoked one joins nothing", async () => {
    const { createJoinToken } = await s.gqlData<{ createJoinToken: { secret: string; joinToken: { id: string } } }>(
      'mutation { createJoinToken(input: { name: "rack-2" }) { secret joinToken { id } } }',
    );
    const listed = await s.gql("{ joinTokens { id name prefix bootstrap createdAt lastUsedAt } }");
    assert.ok(!JSON.stringify(listed).includes(createJoinToken.secret));
    const register = (token: string, name: string) =>
      s.gql(
        `mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "${name}", host: "h2", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainer { id } } }`,
        { t: token },
        null,
      );
    assert.deepEqual(codes(await register(createJoinToken.secret, "rack-2-a")), []);
    await s.gqlData("mutation ($id: ID!) { revokeJoinToken(id: $id) { revokedAt } }", {
      id: createJoinToken.joinToken.id,
    });
    const before = (await s.gqlData<{ trainers: unknown[] }>("{ trainers { id } }")).trainers.length;
    assert.deepEqual(codes(await register(createJoinToken.secret, "rack-2-b")), ["UNAUTHENTICATED"]);
    assert.equal((await s.gqlData<{ trainers: unknown[] }>("{ trainers { id } }")).trainers.length, before);
    await assertResponsive(s.gateway.baseUrl);
  });

  test("requests naming a foreign Host get 421 and no data, on HTTP and websockets; foreign Origins get 403", async () => {
    const url = s.gateway.url;
    const body = JSON.stringify({ query: "{ viewer { projectName } }" });
    const auth = { authorization: `Bearer ${s.gateway.apiKey}`, "content-type": "application/json" };
    for (const host of [
      "evil.example",
      `evil.example:${new URL(url).port}`,
      "127.0.0.1.nip.io",
      "localhost.",
      "localhost:1",
    ]) {
      const refused = await raw(url, { method: "POST", headers: { ...auth, host }, body });
      assert.equal(refused.status, 421, `Host ${host}`);
      assert.ok(!refused.body.includes("default"), "no data");
      assert.equal(
        (await raw(`${s.gateway.baseUrl}/uploads`, { method: "POST", headers: { ...auth, host } })).status,
        421,
      );
    }
    const wsUrl = s.gateway.wsUrl;
    const bearer = { authorization: `Bearer ${s.gateway.apiKey}` };
    assert.equal(await upgrade(wsUrl, { ...bearer, host: "evil.example" }), 421);
    assert.equal(await upgrade(wsUrl, { ...bearer, origin: "http://evil.example" }), 403);
    assert.equal(await upgrade(wsUrl, { ...bearer, origin: "null" }), 403);
    assert.equal(await upgrade(wsUrl, { ...bearer, origin: s.gateway.baseUrl }), "open", "its own origin may");
    assert.equal(await upgrade(wsUrl, bearer), "open", "clients outside a browser send no Origin");
    await assertResponsive(s.gateway.baseUrl);
  });

  /** A graphql-ws connection acknowledged for `key`, and its close code when it closes. */
  const acknowledgedSocket = async (key: string, options: { autoPong?: boolean } = {}) => {
    const socket = new WebSocket(s.gateway.wsUrl, "graphql-transport-ws", options);
    const closed = new Promise<number>((resolve) => socket.once("close", (code) => resolve(code)));
    await new Promise((resolve) => socket.once("open", resolve));
    socket.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${key}` } }));
    await new Promise((resolve) => socket.once("message", resolve));
    return { socket, closed };
  };

  test("every open websocket of a key is closed (4403) once the key is revoked", async () => {
    const { createApiKey } = await s.gqlData<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
      'mutation { createApiKey(input: { name: "socket" }) { secret apiKey { id } } }',
    );
    // The sockets of one key are re-checked with one lookup between them; each is closed.
    const sockets = [await acknowledgedSocket(createApiKey.secret), await acknowledgedSocket(createApiKey.secret)];
    await s.gqlData("mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", { id: createApiKey.apiKey.id });
    assert.deepEqual(await Promise.all(sockets.map((x) => x.closed)), [4403, 4403]);
  });

  test("a websocket that stops answering pings is ended; one that answers stays open", async () => {
    const silent = await acknowledgedSocket(s.gateway.apiKey, { autoPong: false });
    const answering = await acknowledgedSocket(s.gateway.apiKey);
    let pinged = 0;
    silent.socket.on("ping", () => pinged++);
    // Pinged every second (websocketKeepAliveMs), ended at the first sweep after an unanswered ping.
    assert.equal(await silent.closed, 1006);
    assert.ok(pinged >= 1, "it was pinged before it was ended");
    assert.equal(answering.socket.readyState, WebSocket.OPEN);
    answering.socket.close();
    await answering.closed;
  });

  test("join-token guesses are limited per address: 429 with Retry-After, even for the right token", async () => {
    const guess = (token: string) =>
      fetch(s.gateway.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query:
            'mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "guess", host: "g", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainerToken } }',
          variables: { t: token },
        }),
      });
    const before = (await s.gqlData<{ trainers: unknown[] }>("{ trainers { id } }")).trainers.length;
    // 20 failures per minute per address; the revoked-token case above already spent one.
    let refusedAfter = 0;
    for (; refusedAfter < 25; refusedAfter++) {
      const res = await guess(`graftjoin_guess-${refusedAfter}`);
      if (res.status === 429) break;
      const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
      assert.equal(body.errors[0]?.extensions.code, "UNAUTHENTICATED", `guess ${refusedAfter}`);
    }
    assert.ok(refusedAfter >= 18 && refusedAfter <= 20, `limited after ${refusedAfter} wrong guesses`);
    for (const token of ["graftjoin_guess-21", s.gateway.joinToken]) {
      const limited = await guess(token);
      assert.equal(limited.status, 429);
      assert.ok(Number(limited.headers.get("retry-after")) >= 1);
      const body = (await limited.json()) as { errors: { extensions: { code: string; retryAfter: number } }[] };
      assert.equal(body.errors[0]?.extensions.code, "RATE_LIMITED");
    }
    assert.equal((await s.gqlData<{ trainers: unknown[] }>("{ trainers { id } }")).trainers.length, before);
    assert.equal((await s.gql("{ viewer { role } }")).status, 200, "API keys from the same address still work");
    await assertResponsive(s.gateway.baseUrl);
  });

  test("rotating the bootstrap key and join token shuts out the old values; weak or revoked ones refuse to start", async () => {
    await rotation(driver);
  });
});

async function rotation(driver: TestDriver): Promise<void> {
  const nats: NatsServer = await startNatsServer();
  const target = await createTestDatabaseTarget(driver);
  const secret = (n: number) => `graft_rotation-${n}-Qx7vLm2PzR8kWc4NtY6bHd3JfS5gAe9U`;
  const token = (n: number) => `graftjoin_rotation-${n}-Vb3NqT8xKw5ZmR2cHj7LpD4sGf6YaE9U`;
  const start = (apiKey: string, joinToken: string, extra: Partial<GatewayConfig> = {}) =>
    startGateway({
      port: 0,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      ...(target.databaseUrl ? { databaseUrl: target.databaseUrl } : { pgliteDir: target.pgliteDir }),
      builtinModels: [],
      memoryStorage: true,
      bootstrapKey: apiKey,
      joinToken,
      ...extra,
    });
  const viewerStatus = async (url: string, key: string) =>
    (
      await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: "{ viewer { role } }" }),
      })
    ).status;
  try {
    const first = await start(secret(1), token(1));
    assert.equal(await viewerStatus(first.url, secret(1)), 200);
    await first.stop();

    const second = await start(secret(2), token(2));
    try {
      assert.equal(await viewerStatus(second.url, secret(2)), 200);
      assert.equal(await viewerStatus(second.url, secret(1)), 401, "the old bootstrap key stopped working");
      const joined = await fetch(second.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query:
            'mutation ($t: String!) { registerTrainer(input: { joinToken: $t, name: "old", host: "h", backend: "cpu", devices: [], cpuCount: 1, memoryBytes: 1 }) { trainerToken } }',
          variables: { t: token(1) },
        }),
      });
      const body = (await joined.json()) as { errors?: { extensions: { code: string } }[] };
      assert.equal(body.errors?.[0]?.extensions.code, "UNAUTHENTICATED", "the old join token stopped working");
    } finally {
      await second.stop();
    }

    await assert.rejects(start(secret(1), token(2)), /bootstrap API key was revoked/);
    await assert.rejects(start(secret(2), token(1)), /bootstrap join token was revoked/);
    for (const weak of ["k".repeat(40), "password1234password1234password", "graft_short"]) {
      await assert.rejects(start(weak, token(2)), { name: "WeakSecretError" }, weak);
      await assert.rejects(start(secret(2), weak), { name: "WeakSecretError" }, weak);
    }
    const third = await start(secret(2), token(2));
    assert.equal(await viewerStatus(third.url, secret(2)), 200, "refused starts changed nothing");
    await waitFor("the gateway to answer /healthz", async () => (await fetch(`${third.baseUrl}/healthz`)).ok);
    await third.stop();
  } finally {
    await target.cleanup();
    await nats.stop();
  }
}

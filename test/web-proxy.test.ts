import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { ensureWebBuild, loginThroughApi, startWebServer, type WebServer } from "@graft/web/testing";
import { type GatewaySetup, setup } from "./support/gateway.ts";

// The dashboard's server side holds only session tokens: these check what it lets through
// without a browser. Every route needs a login; the key never reaches a cookie.
let platform: GatewaySetup;
const FAILED_CREDENTIALS = 5;
let web: WebServer;

before(async () => {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
  // Few failed credentials per address, so the per-browser test below stays short.
  platform = await setup("pglite", { credentialFailures: { failures: FAILED_CREDENTIALS, windowMs: 60_000 } });
  web = await startWebServer({ graphqlUrl: platform.gateway.url });
});

after(async () => {
  await web?.stop();
  await platform?.cleanup();
});

const VIEWER = JSON.stringify({ query: "{ viewer { projectName } }" });
const post = (url: string, body: string | Uint8Array, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

test("refuses GraphQL, events and uploads without a session, and sends pages to the login", async () => {
  const gql = await post(`${web.url}/api/graphql`, VIEWER);
  assert.equal(gql.status, 401);
  const body = (await gql.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, "UNAUTHENTICATED");
  assert.equal((await fetch(`${web.url}/api/events?topic=trainers`)).status, 401);
  assert.equal((await post(`${web.url}/api/upload`, "zip", { "content-type": "application/zip" })).status, 401);
  const page = await fetch(`${web.url}/runs?status=FAILED`, { redirect: "manual" });
  assert.ok([303, 307, 308].includes(page.status), `pages redirect to /login, got ${page.status}`);
  assert.equal(page.headers.get("location"), "/login?next=%2Fruns%3Fstatus%3DFAILED");
});

test("logs in with a valid key only, into an http-only same-site session cookie that holds no key", async () => {
  const bad = await loginThroughApi(web.url, "graft_wrong");
  assert.equal(bad.status, 401);
  assert.doesNotMatch(bad.setCookie ?? "", /graft_session=/);

  const good = await loginThroughApi(web.url, platform.gateway.apiKey);
  assert.equal(good.status, 200);
  assert.match(good.setCookie ?? "", /graft_session=graftsession_[^;]+;.*HttpOnly/i);
  assert.match(good.setCookie ?? "", /SameSite=strict/i);
  assert.ok(!(good.setCookie ?? "").includes(platform.gateway.apiKey), "the cookie never holds the API key");
  const cookie = good.cookie ?? "";

  const gql = await post(`${web.url}/api/graphql`, VIEWER, { cookie });
  assert.deepEqual(await gql.json(), { data: { viewer: { projectName: "default" } } });
  const logout = await fetch(`${web.url}/api/login`, { method: "DELETE", headers: { cookie } });
  assert.match(logout.headers.get("set-cookie") ?? "", /graft_session=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i);
  const after = await post(`${web.url}/api/graphql`, VIEWER, { cookie });
  assert.equal(after.status, 401, "a logged-out session is over on the gateway too, not just forgotten");
});

test("the gateway counts a browser's failed sessions against that browser, not against the dashboard", async () => {
  const { cookie } = await loginThroughApi(web.url, platform.gateway.apiKey);
  const from = (address: string, sessionCookie: string) =>
    post(`${web.url}/api/graphql`, VIEWER, { cookie: sessionCookie, "x-forwarded-for": address });
  const forged = () => `graft_session=graftsession_${randomBytes(32).toString("base64url")}`;
  for (let i = 0; i < FAILED_CREDENTIALS; i++) assert.equal((await from("203.0.113.7", forged())).status, 401);
  assert.equal((await from("203.0.113.7", cookie ?? "")).status, 429, "that browser is refused for the minute");
  const other = await from("198.51.100.9", cookie ?? "");
  assert.equal(other.status, 200, "every other browser behind the same dashboard still gets in");
  assert.deepEqual(await other.json(), { data: { viewer: { projectName: "default" } } });
});

test("streams subscription events as Server-Sent Events and rejects malformed run, sweep and study ids", async () => {
  const { cookie } = await loginThroughApi(web.url, platform.gateway.apiKey);
  const headers = { cookie: cookie ?? "" };
  assert.equal((await fetch(`${web.url}/api/events?runId=../../etc`, { headers })).status, 400);
  assert.equal((await fetch(`${web.url}/api/events?sweepId=../../etc`, { headers })).status, 400);
  assert.equal((await fetch(`${web.url}/api/events?studyId=../../etc`, { headers })).status, 400);
  assert.equal((await fetch(`${web.url}/api/events`, { headers })).status, 400);
  const controller = new AbortController();
  const res = await fetch(`${web.url}/api/events?topic=trainers`, { headers, signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body?.getReader();
  assert.ok(reader);
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /: connected/);
  controller.abort();
});

test("relays a zip upload to the gateway", async () => {
  const { cookie } = await loginThroughApi(web.url, platform.gateway.apiKey);
  const res = await post(`${web.url}/api/upload`, new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]), {
    "content-type": "application/zip",
    cookie: cookie ?? "",
  });
  assert.equal(res.status, 201, await res.clone().text());
  const body = (await res.json()) as { uploadId?: string; sizeBytes?: number };
  assert.ok(body.uploadId);
  assert.equal(body.sizeBytes, 22);
});

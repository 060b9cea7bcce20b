import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ensureWebBuild, startWebServer, type WebServer } from "@graft/web/testing";
import { type GatewaySetup, setup } from "./support/gateway.ts";

// The dashboard's server side holds the API key: these check what it lets through without
// a browser. `local` runs in local mode (GRAFT_API_KEY set), `guarded` requires a login.
let platform: GatewaySetup;
let guarded: WebServer;
let local: WebServer;

before(async () => {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
  platform = await setup("pglite");
  guarded = await startWebServer({ graphqlUrl: platform.gateway.url });
  local = await startWebServer({ graphqlUrl: platform.gateway.url, apiKey: platform.gateway.apiKey });
});

after(async () => {
  await guarded?.stop();
  await local?.stop();
  await platform?.cleanup();
});

const VIEWER = JSON.stringify({ query: "{ viewer { projectName } }" });
const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

test("refuses GraphQL, events and uploads without a session", async () => {
  const gql = await post(`${guarded.url}/api/graphql`, VIEWER);
  assert.equal(gql.status, 401);
  const body = (await gql.json()) as { errors: { extensions: { code: string } }[] };
  assert.equal(body.errors[0]?.extensions.code, "UNAUTHENTICATED");
  assert.equal((await fetch(`${guarded.url}/api/events?topic=trainers`)).status, 401);
  assert.equal((await post(`${guarded.url}/api/upload`, "zip")).status, 401);
  const page = await fetch(`${guarded.url}/runs`, { redirect: "manual" });
  assert.ok([303, 307, 308].includes(page.status), `pages redirect to /login, got ${page.status}`);
  assert.match(page.headers.get("location") ?? "", /\/login/);
});

test("logs in with a valid key only, into an http-only same-site cookie", async () => {
  const bad = await post(`${guarded.url}/api/login`, JSON.stringify({ apiKey: "graft_wrong" }));
  assert.equal(bad.status, 401);
  assert.equal(bad.headers.get("set-cookie"), null);

  const good = await post(`${guarded.url}/api/login`, JSON.stringify({ apiKey: platform.gateway.apiKey }));
  assert.equal(good.status, 200);
  const cookie = good.headers.get("set-cookie") ?? "";
  assert.match(cookie, /HttpOnly/i);
  assert.match(cookie, /SameSite=strict/i);
  const pair = cookie.split(";")[0] ?? "";

  const gql = await post(`${guarded.url}/api/graphql`, VIEWER, { cookie: pair });
  assert.deepEqual(await gql.json(), { data: { viewer: { projectName: "default" } } });
  const logout = await fetch(`${guarded.url}/api/login`, { method: "DELETE", headers: { cookie: pair } });
  assert.match(logout.headers.get("set-cookie") ?? "", /graft_api_key=;|Max-Age=0|Expires=Thu, 01 Jan 1970/i);
});

test("local mode answers with the server's key, and a wrong cookie is not upgraded to it", async () => {
  const gql = await post(`${local.url}/api/graphql`, VIEWER);
  assert.deepEqual(await gql.json(), { data: { viewer: { projectName: "default" } } });
  const wrong = await post(`${local.url}/api/graphql`, VIEWER, { cookie: "graft_api_key=graft_wrong" });
  const body = (await wrong.json()) as { errors?: { extensions?: { code?: string } }[] };
  assert.equal(body.errors?.[0]?.extensions?.code, "UNAUTHENTICATED");
});

test("streams subscription events as Server-Sent Events and rejects malformed run ids", async () => {
  assert.equal((await fetch(`${local.url}/api/events?runId=../../etc`)).status, 400);
  assert.equal((await fetch(`${local.url}/api/events`)).status, 400);
  const controller = new AbortController();
  const res = await fetch(`${local.url}/api/events?topic=trainers`, { signal: controller.signal });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
  const reader = res.body?.getReader();
  assert.ok(reader);
  const first = new TextDecoder().decode((await reader.read()).value);
  assert.match(first, /: connected/);
  controller.abort();
});

test("relays a zip upload to the gateway", async () => {
  const res = await fetch(`${local.url}/api/upload`, {
    method: "POST",
    headers: { "content-type": "application/zip" },
    body: new Uint8Array([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]),
  });
  assert.equal(res.status, 201, await res.clone().text());
  const body = (await res.json()) as { uploadId?: string; sizeBytes?: number };
  assert.ok(body.uploadId);
  assert.equal(body.sizeBytes, 22);
});

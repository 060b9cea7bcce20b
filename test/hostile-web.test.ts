// Hostile input against the dashboard's doors: requests without a session or with forged
// cookies, cross-site posts (text/plain, forms, uploads, logins), foreign Host names, CSRF,
// oversized bodies, header injection, open redirects, login guessing, framing. Each case
// checks the status, that nothing changed on the gateway, and that the dashboard still answers.
// The browser cases run in Debian's chromium, with an attacker page on another site.
import assert from "node:assert/strict";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { ensureWebBuild, launchChromium, loginThroughApi, startWebServer, type WebServer } from "@graft/web/testing";
import type { Browser } from "playwright-core";
import { type GatewaySetup, setup } from "./support/gateway.ts";

let platform: GatewaySetup;
let web: WebServer;
let browser: Browser;
let attacker: Server;
let attackerOrigin = "";
let attackerPage = "";

before(async () => {
  ensureWebBuild((line) => process.stderr.write(`${line}\n`));
  platform = await setup("pglite");
  web = await startWebServer({ graphqlUrl: platform.gateway.url });
  browser = await launchChromium();
  // Another site: `localhost` is not the same site as the dashboard's 127.0.0.1.
  attacker = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(attackerPage);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await web?.stop();
  await platform?.cleanup();
});

const MIB = 1024 * 1024;
const CREATE = JSON.stringify({ query: 'mutation { createExperiment(input: { name: "pwned" }) { id } }' });

async function experimentCount(): Promise<number> {
  return (await platform.gqlData<{ experiments: unknown[] }>("{ experiments { id } }")).experiments.length;
}

/** The dashboard answers within a second: the refusal did not stall it. */
async function assertResponsive(): Promise<void> {
  const res = await fetch(`${web.url}/api/login`, { signal: AbortSignal.timeout(1_000) });
  assert.equal(res.status, 200);
}

async function session(): Promise<string> {
  const { cookie } = await loginThroughApi(web.url, platform.gateway.apiKey);
  assert.ok(cookie);
  return cookie;
}

/** A raw request (any Host, any header bytes), resolving with status and body. */
function raw(
  path: string,
  options: { method?: string; headers?: Record<string, string | number>; body?: string | Buffer; sendBody?: boolean },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${web.url}${path}`,
      { method: options.method ?? "GET", headers: options.headers },
      (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on("end", () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    if (options.sendBody === false) req.flushHeaders();
    else req.end(options.body);
  });
}

test("forged and old-style cookies get 401, never the gateway or a fallback key", async () => {
  const before = await experimentCount();
  for (const cookie of [
    `graft_session=graftsession_${"A".repeat(43)}`,
    "graft_session=graftsession_<script>",
    "graft_session=graftsession_%0d%0aX-Injected:%201",
    `graft_api_key=${platform.gateway.apiKey}`,
    `graft_session=${platform.gateway.apiKey}`,
  ]) {
    const res = await raw("/api/graphql", {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: CREATE,
    });
    assert.equal(res.status, 401, cookie);
    assert.ok(!res.body.includes(new URL(platform.gateway.url).host), "no gateway address in the answer");
  }
  assert.equal(await experimentCount(), before);
  await assertResponsive();
});

test("cross-site and non-JSON posts to /api/graphql are refused before the gateway, even with a session", async () => {
  const cookie = await session();
  const before = await experimentCount();
  const cases: [Record<string, string>, number][] = [
    [{ "content-type": "text/plain", origin: "http://evil.example" }, 403],
    [{ "content-type": "application/json", origin: "http://evil.example" }, 403],
    [{ "content-type": "text/plain", "sec-fetch-site": "cross-site" }, 403],
    [{ "content-type": "application/json", "sec-fetch-site": "same-site" }, 403],
    [{ "content-type": "application/json", origin: "null" }, 403],
    [{ "content-type": "text/plain" }, 415],
    [{ "content-type": "application/x-www-form-urlencoded" }, 415],
    [{ "content-type": "multipart/form-data; boundary=x" }, 415],
  ];
  for (const [headers, status] of cases) {
    const res = await raw("/api/graphql", { method: "POST", headers: { cookie, ...headers }, body: CREATE });
    assert.equal(res.status, status, JSON.stringify(headers));
  }
  assert.equal(await experimentCount(), before, "no mutation got through");
  const same = await raw("/api/graphql", {
    method: "POST",
    headers: { cookie, "content-type": "application/json", origin: web.url, "sec-fetch-site": "same-origin" },
    body: JSON.stringify({ query: "{ viewer { role } }" }),
  });
  assert.equal(same.status, 200, "the dashboard's own requests still work");
  await assertResponsive();
});

test("a foreign Host gets 421 and no data on every page and route (DNS rebinding)", async () => {
  const cookie = await session();
  for (const host of ["evil.example", `evil.example:${new URL(web.url).port}`, "127.0.0.1.nip.io"]) {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/login"],
      ["GET", "/settings"],
      ["POST", "/api/graphql"],
      ["GET", "/api/login"],
      ["POST", "/api/login"],
      ["GET", "/api/events?topic=trainers"],
      ["POST", "/api/upload"],
    ] as const) {
      const res = await raw(path, {
        method,
        headers: { host, cookie, "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify({ query: "{ viewer { projectName } }" }) : undefined,
      });
      assert.equal(res.status, 421, `${method} ${path} with Host ${host}`);
      assert.ok(!res.body.includes("default"), "no data");
    }
  }
  await assertResponsive();
});

test("the login form is CSRF-protected and refuses cross-site logins, odd bodies and header injection", async () => {
  const form = await fetch(`${web.url}/api/login`);
  const preSession = form.headers.get("set-cookie")?.split(";")[0] ?? "";
  const { csrfToken } = (await form.json()) as { csrfToken: string };
  const other = (await (await fetch(`${web.url}/api/login`)).json()) as { csrfToken: string };
  const login = (headers: Record<string, string>, body: unknown) =>
    raw("/api/login", {
      method: "POST",
      headers: { "content-type": "application/json", cookie: preSession, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  const key = platform.gateway.apiKey;
  const cases: [Record<string, string>, unknown, number][] = [
    [{ origin: "http://evil.example" }, { apiKey: key, csrfToken }, 403],
    [{ "sec-fetch-site": "cross-site" }, { apiKey: key, csrfToken }, 403],
    [{}, { apiKey: key }, 403],
    [{}, { apiKey: key, csrfToken: other.csrfToken }, 403],
    [{ cookie: "" }, { apiKey: key, csrfToken }, 403],
    [{}, { apiKey: key, csrfToken: `${csrfToken}x` }, 403],
    [{ "content-type": "text/plain" }, { apiKey: key, csrfToken }, 415],
    [{}, "{not json", 400],
    [{}, { apiKey: "x".repeat(10_000), csrfToken }, 413],
    [{ "x-forwarded-for": "198.51.100.1" }, { apiKey: `${key}\r\nX-Injected: 1`, csrfToken }, 401],
  ];
  for (const [headers, body, status] of cases) {
    const res = await login(headers, body);
    assert.equal(res.status, status, `${JSON.stringify(headers)} ${JSON.stringify(body).slice(0, 60)}`);
    assert.doesNotMatch(res.body, /graftsession_/);
    assert.ok(!res.body.includes(new URL(platform.gateway.url).host), "no gateway address in the answer");
  }
  const good = await login({}, { apiKey: key, csrfToken });
  assert.equal(good.status, 200, "the same form logs in with its own token");
  await assertResponsive();
});

test("an 8 MiB body is refused by its size before it is read", async () => {
  const cookie = await session();
  const headers = { cookie, "content-type": "application/json" };
  // Only the headers go out: an answer proves the body was judged before being read.
  const declared = await raw("/api/graphql", {
    method: "POST",
    headers: { ...headers, "content-length": 8 * MIB },
    sendBody: false,
  });
  assert.equal(declared.status, 413);
  const declaredLogin = await raw("/api/login", {
    method: "POST",
    headers: { ...headers, "content-length": 8 * MIB },
    sendBody: false,
  });
  assert.equal(declaredLogin.status, 413);
  // Chunked, with no length: counted while it streams and cut off at 256 KB.
  const chunked = await raw("/api/graphql", {
    method: "POST",
    headers: { ...headers, "transfer-encoding": "chunked" },
    body: Buffer.alloc(8 * MIB, 0x20),
  });
  assert.equal(chunked.status, 413);
  await assertResponsive();
});

test("uploads are refused cross-site and in form encodings", async () => {
  const cookie = await session();
  const zip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array(18).fill(0)]);
  for (const [headers, status] of [
    [{ "content-type": "application/zip", origin: "http://evil.example" }, 403],
    [{ "content-type": "application/zip", "sec-fetch-site": "cross-site" }, 403],
    [{ "content-type": "multipart/form-data; boundary=x" }, 415],
    [{ "content-type": "text/plain" }, 415],
  ] as const) {
    const res = await raw("/api/upload", { method: "POST", headers: { cookie, ...headers }, body: zip });
    assert.equal(res.status, status, JSON.stringify(headers));
    assert.doesNotMatch(res.body, /uploadId/);
  }
  await assertResponsive();
});

test("failed logins are limited per address (429 with Retry-After); other addresses still log in", async () => {
  const from = { "x-forwarded-for": "203.0.113.7" };
  let limitedAfter = 0;
  for (; limitedAfter < 15; limitedAfter++) {
    const res = await loginThroughApi(web.url, `graft_guess_${limitedAfter}`, from);
    if (res.status === 429) break;
    assert.equal(res.status, 401);
  }
  assert.equal(limitedAfter, 10, "ten failures per minute per address");
  const right = await fetch(`${web.url}/api/login`, { method: "POST", headers: from });
  assert.equal(right.status, 429, "the limit is checked before anything else");
  assert.ok(Number(right.headers.get("retry-after")) >= 1);
  const elsewhere = await loginThroughApi(web.url, platform.gateway.apiKey, { "x-forwarded-for": "198.51.100.9" });
  assert.equal(elsewhere.status, 200);
  await assertResponsive();
});

test("a session ends with logout and with its key's revocation", async () => {
  const { createApiKey } = await platform.gqlData<{ createApiKey: { secret: string; apiKey: { id: string } } }>(
    'mutation { createApiKey(input: { name: "laptop" }) { secret apiKey { id } } }',
  );
  const login = await loginThroughApi(web.url, createApiKey.secret);
  const cookie = login.cookie ?? "";
  const viewer = () =>
    fetch(`${web.url}/api/graphql`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json" },
      body: JSON.stringify({ query: "{ viewer { keyName } }" }),
    });
  assert.equal((await viewer()).status, 200);
  await platform.gqlData("mutation ($id: ID!) { revokeApiKey(id: $id) { id } }", { id: createApiKey.apiKey.id });
  assert.equal((await viewer()).status, 401, "revoking the key ended the dashboard session");
  const page = await fetch(`${web.url}/runs`, { headers: { cookie }, redirect: "manual" });
  assert.equal(page.status, 307, "and its pages send it to the login");
  await assertResponsive();
});

test("every response carries a CSP with frame-ancestors 'none', X-Frame-Options, Referrer-Policy and nosniff", async () => {
  const cookie = await session();
  for (const [path, init] of [
    ["/login", {}],
    ["/runs", { headers: { cookie } }],
    ["/api/login", {}],
    ["/api/graphql", { method: "POST", headers: { cookie, "content-type": "application/json" }, body: "{}" }],
  ] as const) {
    const res = await fetch(`${web.url}${path}`, init);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/, path);
    assert.equal(res.headers.get("x-frame-options"), "DENY", path);
    assert.equal(res.headers.get("referrer-policy"), "no-referrer", path);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
    if (path === "/login" || path === "/runs") {
      assert.match(csp, /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/, path);
      assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/, path);
    }
  }
});

test("in a browser: another site can neither frame the dashboard nor post to it with the user's session", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${web.url}/login`);
    await page.getByLabel("API key").fill(platform.gateway.apiKey);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const before = await experimentCount();

    attackerPage = `<!doctype html><iframe id="f" src="${web.url}/"></iframe>
      <form id="text" method="POST" action="${web.url}/api/graphql" enctype="text/plain" target="sink">
        <input name='{"query":"mutation { createExperiment(input: { name: \\"pwned\\" }) { id } }","x":"' value='"}'>
      </form>
      <form id="urlenc" method="POST" action="${web.url}/api/graphql" target="sink"><input name="query" value="x"></form>
      <iframe name="sink"></iframe>
      <script>document.getElementById("text").submit(); setTimeout(() => document.getElementById("urlenc").submit(), 300);</script>`;
    const evil = await context.newPage();
    const answers: number[] = [];
    evil.on("response", (res) => {
      if (res.url().startsWith(`${web.url}/api/graphql`)) answers.push(res.status());
    });
    await evil.goto(`${attackerOrigin}/`);
    await evil.waitForTimeout(1_500);
    assert.equal(await experimentCount(), before, "the cross-site posts changed nothing");
    assert.ok(answers.length > 0 && answers.every((s) => s === 401 || s === 403), `answers ${answers}`);
    const framed = evil.frames().find((f) => f.name() !== "sink" && f !== evil.mainFrame());
    const framedText = framed
      ? await framed.evaluate("document.body ? document.body.innerText : ''").catch(() => "")
      : "";
    assert.doesNotMatch(
      String(framedText),
      /Overview|Trainers|API key|Log in/,
      "no dashboard page rendered inside the frame",
    );
  } finally {
    await context.close();
  }
});

test("in a browser: login's next= never leaves the site", async () => {
  for (const next of ["//evil.example/", "/%5Cevil.example", "https://evil.example/", "/\\evil.example"]) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${web.url}/login?next=${encodeURIComponent(next)}`);
      await page.getByLabel("API key").fill(platform.gateway.apiKey);
      await page.getByRole("button", { name: "Log in" }).click();
      await page.waitForURL((url) => !url.pathname.startsWith("/login"), { timeout: 15_000 }).catch(() => {});
      assert.equal(new URL(page.url()).origin, web.url, `next=${next} stayed on the dashboard: ${page.url()}`);
    } finally {
      await context.close();
    }
  }
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { fetchModelFiles, isPrivateAddress, UrlFetchError } from "./url-fetch.ts";

test("classifies private, loopback, link-local, mapped and tunnelled addresses as private", () => {
  for (const address of [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "::",
    "::1",
    "[::1]",
    "fe80::1",
    "fe80::1%eth0",
    "fd00::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "64:ff9b::7f00:1",
    "2002:7f00:1::1",
    "2001:0:4136:e378::1",
    "2001:db8::1",
    "not an address",
  ]) {
    assert.equal(isPrivateAddress(address), true, address);
  }
  for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
    assert.equal(isPrivateAddress(address), false, address);
});

let server: Server;
let port: number;
let hits = 0;
let handler: (path: string, res: import("node:http").ServerResponse) => void = (_, res) => res.end("{}");
before(async () => {
  server = createServer((req, res) => {
    hits++;
    handler(req.url ?? "/", res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const strict = { allowPrivate: false, maxBytes: 1e6, timeoutMs: 5_000 };
const open = { ...strict, allowPrivate: true };

async function refused(url: string, options: Parameters<typeof fetchModelFiles>[1], pattern: RegExp) {
  await assert.rejects(fetchModelFiles(url, options), (error: unknown) => {
    assert.ok(error instanceof UrlFetchError, String(error));
    assert.match(error.message, pattern);
    return true;
  });
}

test("refuses every spelling of a loopback or private address without connecting", async () => {
  const before = hits;
  for (const host of [
    "127.0.0.1",
    "2130706433",
    "0x7f.1",
    "0x7f000001",
    "0177.0.0.1",
    "127.1",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[::ffff:7f00:1]",
    "0.0.0.0",
    "0",
    "169.254.169.254",
    "[fd00::1]",
    "[fe80::1]",
    "10.0.0.1",
  ]) {
    await refused(`http://${host}:${port}/model.json`, strict, /not a public one/);
  }
  await refused(`http://localhost:${port}/model.json`, strict, /resolves to a private address/);
  assert.equal(hits, before, "no request reached the local server");
});

test("fetches from loopback only when private URLs are allowed, and caps the size", async () => {
  handler = (_, res) => res.end(Buffer.alloc(2048, 1));
  const url = `http://localhost:${port}/model.json`;
  await refused(url, { ...open, maxBytes: 1000 }, /larger than 1000 bytes/);
  await refused(url, { ...open, maxModelJsonBytes: 1000 }, /larger than 1000 bytes/);
  const files = await fetchModelFiles(url, open);
  assert.equal(files.get("model.json")?.byteLength, 2048);
  await refused("file:///etc/passwd", open, /only http and https/);
  await refused(`http://user:pw@localhost:${port}/`, open, /credentials/);
});

test("does not follow redirects", async () => {
  handler = (path, res) => {
    if (path === "/model.json") res.writeHead(302, { location: "http://169.254.169.254/" }).end();
    else res.end("{}");
  };
  await refused(`http://127.0.0.1:${port}/model.json`, open, /HTTP 302 \(redirects are not followed\)/);
});

test("a closed port and a dead host read the same, so ports cannot be scanned", async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  await refused(
    `http://127.0.0.1:${closedPort}/model.json`,
    open,
    /cannot fetch \S+: the server could not be reached$/,
  );
  handler = (_, res) => res.socket?.destroy();
  await refused(`http://127.0.0.1:${port}/model.json`, open, /cannot fetch \S+: the server could not be reached$/);
});

test("cuts off a body that drips past the deadline", async () => {
  const drips: NodeJS.Timeout[] = [];
  handler = (_, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    drips.push(setInterval(() => res.write(" "), 50));
  };
  await refused(`http://127.0.0.1:${port}/model.json`, { ...open, timeoutMs: 600 }, /time limit exceeded/);
  for (const drip of drips) clearInterval(drip);
});

test("refuses a manifest naming more weight shards than the cap before fetching any", async () => {
  const paths = Array.from({ length: 1100 }, (_, i) => `group1-shard${i}of1100.bin`);
  handler = (path, res) =>
    res.end(path === "/model.json" ? JSON.stringify({ weightsManifest: [{ paths, weights: [] }] }) : "x");
  const before = hits;
  await refused(`http://127.0.0.1:${port}/model.json`, open, /names 1100 weight files; at most 256/);
  assert.equal(hits, before + 1, "only model.json was fetched");
  // Under the cap every shard is fetched (a generous deadline: 1,100 sequential requests).
  const files = await fetchModelFiles(`http://127.0.0.1:${port}/model.json`, {
    ...open,
    timeoutMs: 120_000,
    maxShards: 2000,
  });
  assert.equal(files.size, 1101);
});

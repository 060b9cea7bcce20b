import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { fetchModelFiles, isPrivateAddress, UrlFetchError } from "./url-fetch.ts";

test("classifies private, loopback, link-local and mapped addresses as private", () => {
  for (const address of [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "::1",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
  ]) {
    assert.equal(isPrivateAddress(address), true, address);
  }
  for (const address of ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
    assert.equal(isPrivateAddress(address), false, address);
});

test("refuses a URL that resolves to loopback unless private URLs are allowed, and caps the size", async () => {
  const body = Buffer.alloc(2048, 1);
  const server = createServer((_, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://localhost:${(server.address() as AddressInfo).port}/model.json`;
  try {
    await assert.rejects(
      fetchModelFiles(url, { allowPrivate: false, maxBytes: 1e6, timeoutMs: 5_000 }),
      (error: unknown) => {
        assert.ok(error instanceof UrlFetchError);
        assert.match(error.message, /private address/);
        return true;
      },
    );
    await assert.rejects(
      fetchModelFiles(url, { allowPrivate: true, maxBytes: 1000, timeoutMs: 5_000 }),
      /larger than 1000 bytes/,
    );
    const files = await fetchModelFiles(url, { allowPrivate: true, maxBytes: 1e6, timeoutMs: 5_000 });
    assert.equal(files.get("model.json")?.byteLength, 2048);
    await assert.rejects(
      fetchModelFiles("file:///etc/passwd", { allowPrivate: true, maxBytes: 1e6, timeoutMs: 5_000 }),
      /only http and https/,
    );
  } finally {
    server.close();
  }
});

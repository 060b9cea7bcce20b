import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { freePort } from "@graft/natsd";
import { classifyFailure } from "./failures.ts";
import { ArtifactRequestError, GatewayUnavailableError, gatewayArtifactStore } from "./gateway-artifacts.ts";

const job = { runId: "run-1", jobToken: "t".repeat(43) };

test("artifact requests retry while the gateway answers 503, and stop at once on a refusal", async () => {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    assert.equal(req.headers.authorization, `Bearer ${job.jobToken}`);
    if (req.url?.endsWith("/forbidden")) return res.writeHead(403).end("no");
    if (calls <= 2) return res.writeHead(503).end("database away");
    res.writeHead(200).end("bytes");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    const store = gatewayArtifactStore(base, job, { retryForMs: 10_000 });
    assert.equal(new TextDecoder().decode((await store.get("checkpoints/run-1")) ?? new Uint8Array()), "bytes");
    assert.equal(calls, 3, "two 503s, then the answer");
    calls = 10;
    await assert.rejects(store.get("models/x/forbidden"), ArtifactRequestError);
    assert.equal(calls, 11, "a 403 is not retried");
  } finally {
    server.close();
  }
});

test("a gateway that stays unreachable is an infrastructure failure, not the run's", async () => {
  const port = await freePort();
  const store = gatewayArtifactStore(`http://127.0.0.1:${port}/graphql`, job, { retryForMs: 1_000 });
  const error = await store.put("checkpoints/run-1", new Uint8Array([1])).catch((e: unknown) => e);
  assert.ok(error instanceof GatewayUnavailableError, String(error));
  assert.deepEqual(
    { code: classifyFailure(error).code, retryable: classifyFailure(error).retryable },
    { code: "INFRASTRUCTURE_ERROR", retryable: true },
  );
});

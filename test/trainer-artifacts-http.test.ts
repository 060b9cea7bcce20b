import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { test } from "node:test";
import { checkpointKey, modelArtifactKey, WEIGHTS_FILE } from "@graft/artifacts";
import { TRAINER_ARTIFACTS_PATH } from "@graft/contracts";
import { jobTokenFor } from "@graft/gateway/testing";
import { withStack } from "./support/stack.ts";
import { fineTuneInput, startFineTune } from "./support/trainer.ts";

/**
 * `/trainer-artifacts/<run>/<key>` from outside: no token, a forged one, another run's, paths
 * that try to climb out of the run's keys, methods it does not serve and a body past its limit.
 * Each is refused and the objects behind it are unchanged. No trainer runs: the runs stay
 * QUEUED in a pool nobody serves, so their grants are open for writing.
 */
const stack = withStack();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/**
 * One raw HTTP request: the path goes out exactly as written (fetch would resolve `..`), and
 * `declaredLength` announces a body larger than the bytes actually sent.
 */
function send(
  method: string,
  path: string,
  options: { token?: string; body?: Uint8Array; declaredLength?: number } = {},
): Promise<Answer> {
  const url = new URL(stack.gateway.url);
  // Keep-alive asked for, so a `connection: close` in the answer is the server's own decision.
  const headers: Record<string, string | number> = { connection: "keep-alive" };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body || options.declaredLength !== undefined) {
    headers["content-length"] = options.declaredLength ?? options.body?.byteLength ?? 0;
  }
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    // A refused upload may be cut off while we still write: only the answer matters.
    req.on("error", (error) => (answered ? undefined : reject(error)));
    if (options.body) req.write(options.body);
    if (options.declaredLength === undefined) req.end();
  });
}

const artifactPath = (runId: string, key: string) => `${TRAINER_ARTIFACTS_PATH}/${runId}/${key}`;

test("the trainer-artifacts route refuses missing, forged and other runs' tokens, climbing paths, other methods and oversize bodies; nothing it guards changes", async () => {
  const pool = "nobody-serves-this";
  const mine = await startFineTune(stack.gateway, fineTuneInput(stack.ids, { pool }));
  const other = await startFineTune(stack.gateway, fineTuneInput(stack.ids, { pool }));
  const token = jobTokenFor(stack.nats.auth, mine.id);
  const otherToken = jobTokenFor(stack.nats.auth, other.id);
  const weightsKey = `${modelArtifactKey(stack.ids.digitsCnn)}/${WEIGHTS_FILE}`;
  const ownCheckpoint = checkpointKey(mine.id);
  const otherCheckpoint = checkpointKey(other.id);

  // What must not change: the base model's weights (readable with the token) and the other run's checkpoint.
  const baseBefore = await send("GET", artifactPath(mine.id, weightsKey), { token });
  assert.equal(baseBefore.status, 200, "the job's base model is readable with its token");
  const seeded = await send("PUT", artifactPath(other.id, otherCheckpoint), {
    token: otherToken,
    body: new TextEncoder().encode("the other run's checkpoint"),
  });
  assert.equal(seeded.status, 204);
  const payload = new TextEncoder().encode("overwritten");

  // Who may call: the job token of exactly this run.
  for (const [what, tokenUsed] of [
    ["no token", undefined],
    ["a made-up token", "A".repeat(43)],
    ["the other run's token", otherToken],
  ] as const) {
    const put = await send("PUT", artifactPath(mine.id, ownCheckpoint), { token: tokenUsed, body: payload });
    assert.equal(put.status, 401, `${what}: ${put.body}`);
    assert.equal(put.headers["www-authenticate"], "Bearer");
    assert.equal(put.headers.connection, "close", `${what}: an unauthenticated body is not read on`);
  }
  const crossed = await send("PUT", artifactPath(other.id, otherCheckpoint), { token, body: payload });
  assert.equal(crossed.status, 401, "a token opens its own run's path only");
  const wrongKey = await send("PUT", artifactPath(mine.id, otherCheckpoint), { token, body: payload });
  assert.equal(wrongKey.status, 403, "its own path does not reach another run's checkpoint");
  assert.equal((await send("PUT", artifactPath("not-a-run", ownCheckpoint), { token })).status, 401);
  assert.equal((await send("GET", artifactPath(mine.id, "%E0%A4%A"), { token })).status, 400, "malformed escapes");
  const unknownRun = "00000000-0000-4000-8000-00000000abcd";
  const unknown = await send("GET", artifactPath(unknownRun, checkpointKey(unknownRun)), {
    token: jobTokenFor(stack.nats.auth, unknownRun),
  });
  assert.equal(unknown.status, 404);

  // Climbing out of the run's keys, plainly, percent-encoded, with encoded slashes: never the base model.
  for (const key of [
    `${ownCheckpoint}/../../${weightsKey}`,
    `${ownCheckpoint}/%2e%2e/%2e%2e/${weightsKey}`,
    `${ownCheckpoint.replace("/", "%2F")}%2F..%2F..%2F${weightsKey.replaceAll("/", "%2F")}`,
    `${weightsKey.replaceAll("/", "%2F")}`,
    `checkpoints/${other.id}%2F..%2F${mine.id}/../../${otherCheckpoint}`,
  ]) {
    for (const method of ["PUT", "DELETE"]) {
      const answer = await send(method, artifactPath(mine.id, key), { token, body: payload });
      assert.ok([401, 403].includes(answer.status), `${method} ${key}: ${answer.status} ${answer.body}`);
    }
  }
  const baseWrite = await send("PUT", artifactPath(mine.id, weightsKey), { token, body: payload });
  assert.equal(baseWrite.status, 403, "the base model is read-only");

  // Methods it does not serve.
  for (const method of ["POST", "PATCH", "OPTIONS"]) {
    const answer = await send(method, artifactPath(mine.id, ownCheckpoint), { token, body: payload });
    assert.equal(answer.status, 405, method);
    assert.equal(answer.headers.allow, "GET, PUT, DELETE");
  }

  // A body past the limit is refused from its declared length, before any of it is kept.
  const oversize = await send("PUT", artifactPath(mine.id, ownCheckpoint), {
    token,
    body: payload,
    declaredLength: 2 ** 30 + 1,
  });
  assert.equal(oversize.status, 413);
  assert.equal(JSON.parse(oversize.body.toString()).code, "PAYLOAD_TOO_LARGE");

  // Nothing changed behind the refusals.
  assert.equal((await send("GET", artifactPath(mine.id, ownCheckpoint), { token })).status, 404, "no checkpoint");
  const baseAfter = await send("GET", artifactPath(mine.id, weightsKey), { token });
  assert.equal(baseAfter.status, 200);
  assert.ok(baseAfter.body.equals(baseBefore.body), "the base model's weights are unchanged");
  const otherAfter = await send("GET", artifactPath(other.id, otherCheckpoint), { token: otherToken });
  assert.equal(otherAfter.body.toString(), "the other run's checkpoint");

  // And the token still does what it is for.
  assert.equal((await send("PUT", artifactPath(mine.id, ownCheckpoint), { token, body: payload })).status, 204);
  assert.equal((await send("GET", artifactPath(mine.id, ownCheckpoint), { token })).body.toString(), "overwritten");
});

test("the trainer-artifacts route streams objects both ways, and an upload cut off mid-body keeps the previous checkpoint", async () => {
  const run = await startFineTune(stack.gateway, fineTuneInput(stack.ids, { pool: "nobody-serves-this" }));
  const token = jobTokenFor(stack.nats.auth, run.id);
  const path = artifactPath(run.id, checkpointKey(run.id));

  // Several object-store chunks (128 KiB each) through the streaming PUT and GET, byte for byte.
  const good = randomBytes(600 * 1024);
  assert.equal((await send("PUT", path, { token, body: good })).status, 204);
  assert.ok((await send("GET", path, { token })).body.equals(good), "what was put is what is read");

  // A trainer killed while uploading its next checkpoint: the body stops after 300 KiB of 2 MiB.
  const url = new URL(stack.gateway.url);
  await new Promise<void>((resolve) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      method: "PUT",
      path,
      headers: { authorization: `Bearer ${token}`, "content-length": 2 * 1024 * 1024 },
      agent: false,
    });
    req.on("error", () => resolve());
    req.write(randomBytes(300 * 1024), () => setTimeout(() => req.destroy(), 500));
    req.on("close", () => resolve());
  });
  // The gateway sees the cut-off at once; give its failed put time to finish before reading.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const after = await send("GET", path, { token });
  assert.equal(after.status, 200, "the previous checkpoint is still there");
  assert.ok(after.body.equals(good), "and unchanged");
});

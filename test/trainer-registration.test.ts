// A trainer node's registration (through @graft/client) against a real gateway: it waits for a
// gateway that is not up yet, gives up at its deadline, and stops at once when refused.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { freePort, type NatsServer, startNatsServer } from "@graft/natsd";
import { GatewayUnreachableError, RegistrationError, startTrainerNode } from "@graft/trainer";
import { type GatewaySetup, setup } from "./support/gateway.ts";

let nats: NatsServer;
before(async () => {
  nats = await startNatsServer();
});
after(async () => {
  await nats?.stop();
});

const JOIN_TOKEN = "graftjoin_registration-test-token-000000";

function node(
  gatewayUrl: string,
  options: { joinToken?: string; deadlineMs: number; log: (line: string) => void; identityFile?: string },
) {
  return startTrainerNode({
    ...(options.identityFile ? { identityFile: options.identityFile } : {}),
    gatewayUrl,
    natsUrl: nats.url,
    joinToken: options.joinToken ?? JOIN_TOKEN,
    name: "registration-test",
    pool: "registration",
    backend: "cpu",
    registerDeadlineMs: options.deadlineMs,
    log: options.log,
  });
}

test("a trainer started before its gateway keeps registering until the gateway answers", async () => {
  const port = await freePort();
  const lines: string[] = [];
  let retrying = () => {};
  const firstRetry = new Promise<void>((resolve) => {
    retrying = resolve;
  });
  const starting = node(`http://127.0.0.1:${port}/graphql`, {
    deadlineMs: 120_000,
    log: (line) => {
      lines.push(line);
      if (/gateway not ready/.test(line)) retrying();
    },
  });
  // Should it fail before retrying, the await below reports why.
  starting.catch(() => retrying());
  await firstRetry;
  let gateway: GatewaySetup | undefined;
  try {
    gateway = await setup("pglite", {
      port,
      joinToken: JOIN_TOKEN,
      natsUrl: nats.url,
      natsAuth: nats.auth,
      memoryStorage: false,
    });
    const joined = await starting;
    try {
      const { trainers } = await gateway.gqlData<{ trainers: { id: string; name: string }[] }>(
        "{ trainers { id name } }",
      );
      assert.deepEqual(
        trainers.map((t) => [t.id, t.name]),
        [[joined.id, "registration-test"]],
      );
      assert.ok(
        lines.some((l) => /gateway not ready \(cannot reach the gateway/.test(l)),
        lines.join("\n"),
      );
    } finally {
      await joined.stop();
    }
  } finally {
    await gateway?.cleanup();
  }
});

test("a refused join token is final: no retries", async () => {
  const gateway = await setup("pglite", {
    joinToken: JOIN_TOKEN,
    natsUrl: nats.url,
    natsAuth: nats.auth,
    memoryStorage: false,
  });
  try {
    const lines: string[] = [];
    const refused = await node(gateway.gateway.url, {
      joinToken: "graftjoin_wrong-token-0000000000000000000",
      deadlineMs: 60_000,
      log: (line) => lines.push(line),
    }).catch((e: unknown) => e);
    assert.ok(refused instanceof RegistrationError, String(refused));
    assert.ok(refused.code, "the gateway's code is kept");
    assert.deepEqual(
      lines.filter((l) => /gateway not ready/.test(l)),
      [],
    );
  } finally {
    await gateway.cleanup();
  }
});

test("with no gateway at all, registration gives up at its deadline", async () => {
  const port = await freePort();
  const gaveUp = await node(`http://127.0.0.1:${port}/graphql`, { deadlineMs: 1_500, log: () => {} }).catch(
    (e: unknown) => e,
  );
  assert.ok(gaveUp instanceof GatewayUnreachableError, String(gaveUp));
  assert.equal(gaveUp.waitedMs, 1_500);
});

test("a restarted node replaces its own live registration with the token it kept; another process of the same name is refused with CONFLICT", async () => {
  const gateway = await setup("pglite", {
    joinToken: JOIN_TOKEN,
    natsUrl: nats.url,
    natsAuth: nats.auth,
    memoryStorage: false,
  });
  const stateDir = mkdtempSync(join(tmpdir(), "graft-identity-"));
  const identityFile = join(stateDir, "trainer-token");
  try {
    const first = await node(gateway.gateway.url, { deadlineMs: 10_000, log: () => {}, identityFile });
    assert.equal(statSync(identityFile).mode & 0o777, 0o600, "the kept token is readable by its owner only");
    // Stopped without being marked OFFLINE yet: its registration is still live.
    await first.stop();

    // Another process claiming the same host and name, with the join token but not the node's token.
    const lines: string[] = [];
    const impostor = await node(gateway.gateway.url, { deadlineMs: 1_500, log: (l) => lines.push(l) }).catch(
      (e: unknown) => e,
    );
    assert.ok(impostor instanceof RegistrationError, String(impostor));
    assert.equal(impostor.code, "CONFLICT");
    assert.ok(
      lines.some((l) => /a live trainer is registered as registration-test/.test(l)),
      lines.join("\n"),
    );

    // The node itself, restarted with its state directory: in at once, under the same id.
    const restarted = await node(gateway.gateway.url, { deadlineMs: 10_000, log: () => {}, identityFile });
    try {
      assert.equal(restarted.id, first.id);
      const { trainers } = await gateway.gqlData<{ trainers: { id: string }[] }>("{ trainers { id } }");
      assert.deepEqual(
        trainers.map((t) => t.id),
        [first.id],
      );
    } finally {
      await restarted.stop();
    }
  } finally {
    await gateway.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { connect as connectTcp } from "node:net";
import { test } from "node:test";
import { startNatsServer } from "./index.ts";

test("starts a JetStream nats-server on a free port and stops it", async () => {
  const server = await startNatsServer();
  const info = await new Promise<string>((resolve, reject) => {
    const socket = connectTcp(server.port, "127.0.0.1");
    socket.once("data", (data) => {
      resolve(data.toString());
      socket.destroy();
    });
    socket.once("error", reject);
  });
  assert.match(info, /^INFO .*"jetstream":true/);
  await server.stop();
  assert.notEqual(server.process.exitCode ?? server.process.signalCode, null);
});

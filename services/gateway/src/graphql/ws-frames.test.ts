import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { test } from "node:test";
import { setImmediate as turn } from "node:timers/promises";
import { WebSocket, WebSocketServer } from "ws";
import { FELL_BEHIND, FrameWriter } from "./ws-frames.ts";

/** A websocket server and `n` clients of it, each with the server's end of its connection. */
async function connected(n: number) {
  const wss = new WebSocketServer({ port: 0 });
  const ends: { socket: WebSocket; tcp: Socket }[] = [];
  wss.on("connection", (socket: WebSocket, request: IncomingMessage) => ends.push({ socket, tcp: request.socket }));
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  const clients = await Promise.all(
    Array.from({ length: n }, async () => {
      const client = new WebSocket(url);
      const received: string[] = [];
      client.on("message", (data, isBinary) => received.push(isBinary ? "<binary>" : String(data)));
      await new Promise((resolve) => client.once("open", resolve));
      return { client, received };
    }),
  );
  while (ends.length < n) await turn();
  // Accepted in connection order; each client's server end is the one at its own port.
  const server = clients.map(({ client }) => {
    const local = (client as unknown as { _socket: Socket })._socket.localPort;
    return ends.find((e) => e.tcp.remotePort === local) as { socket: WebSocket; tcp: Socket };
  });
  return {
    clients,
    server,
    async close() {
      for (const { client } of clients) client.terminate();
      for (const client of wss.clients) client.terminate();
      await new Promise((resolve) => wss.close(resolve));
    },
  };
}

const text = (s: string) => Buffer.from(s);

test("each frame arrives as its own text message, in order, and a socket's frames of one turn go out together", async () => {
  const c = await connected(2);
  try {
    const writer = new FrameWriter();
    const [a, b] = c.server as [(typeof c.server)[0], (typeof c.server)[0]];
    for (let n = 0; n < 50; n++) {
      writer.push(a.socket, a.tcp, text(`{"id":"a","n":${n}}`), a, n % 2 === 0);
      writer.push(b.socket, b.tcp, text(`{"id":"b","n":${n}}`), b, false);
    }
    while (c.clients.some((x) => x.received.length < 50)) await turn();
    const expect = (id: string) => Array.from({ length: 50 }, (_, n) => `{"id":"${id}","n":${n}}`);
    assert.deepEqual(c.clients[0]?.received, expect("a"));
    assert.deepEqual(c.clients[1]?.received, expect("b"));
  } finally {
    await c.close();
  }
});

test("a frame flushed is written at once; frames dropped for an owner never go out", async () => {
  const c = await connected(1);
  try {
    const writer = new FrameWriter();
    const end = c.server[0] as (typeof c.server)[0];
    const gone = {};
    writer.push(end.socket, end.tcp, text("gone 1"), gone, false);
    writer.push(end.socket, end.tcp, text("kept 1"), end, false);
    writer.push(end.socket, end.tcp, text("gone 2"), gone, false);
    writer.drop(end.socket, gone);
    writer.flush(end.socket);
    // What graphql-ws sends next (a `complete`) comes after the flushed frames.
    end.socket.send("complete");
    writer.push(end.socket, end.tcp, text("kept 2"), end, false);
    while ((c.clients[0]?.received.length ?? 0) < 3) await turn();
    assert.deepEqual(c.clients[0]?.received, ["kept 1", "complete", "kept 2"]);
  } finally {
    await c.close();
  }
});

test("a stuck socket loses droppable frames first, then is closed with 1013 while the others get everything", async () => {
  const c = await connected(2);
  try {
    const maxBytes = 1024 * 1024;
    const writer = new FrameWriter({ softFrames: 4, maxBytes });
    const [stuck, healthy] = c.server as [(typeof c.server)[0], (typeof c.server)[0]];
    const stuckClient = c.clients[0] as (typeof c.clients)[0];
    const big = Buffer.alloc(32 * 1024, "x");
    let sent = 0;
    /** Pushes big frames until the server holds bytes the kernel will not take: writes are stuck. */
    const fill = async () => {
      while (stuck.socket.bufferedAmount === 0 && sent < 20_000) {
        writer.push(stuck.socket, stuck.tcp, big, stuck, false);
        writer.push(healthy.socket, healthy.tcp, text(`h${sent++}`), healthy, false);
        await turn();
      }
      assert.ok(stuck.socket.bufferedAmount > 0, "the reader's buffers filled");
    };

    stuckClient.client.pause(); // reads nothing: the kernel's buffers fill, then the server's
    await fill();
    // Now frames wait in the writer: past softFrames, droppable (LOG-like) ones give way.
    for (let n = 0; n < 10; n++) {
      writer.push(stuck.socket, stuck.tcp, text(`log ${n}`), stuck, true);
      writer.push(stuck.socket, stuck.tcp, text(`epoch ${n}`), stuck, false);
    }
    stuckClient.client.resume();
    while (!stuckClient.received.includes("epoch 9")) await turn();
    const small = () => stuckClient.received.filter((m) => m.length < 100);
    assert.deepEqual(
      small().filter((m) => m.startsWith("epoch")),
      Array.from({ length: 10 }, (_, n) => `epoch ${n}`),
      "no frame that is not droppable is lost, and the order holds",
    );
    const logs = small().filter((m) => m.startsWith("log"));
    assert.ok(logs.length < 10, `droppable frames were dropped (${logs.length} of 10 kept)`);
    assert.deepEqual(logs, logs.toSorted(), "the oldest go first");

    stuckClient.client.pause();
    await fill();
    for (let n = 0; stuck.socket.readyState === WebSocket.OPEN && n < 1_000; n++) {
      writer.push(stuck.socket, stuck.tcp, big, stuck, false);
      writer.push(healthy.socket, healthy.tcp, text(`h${sent++}`), healthy, false);
    }
    assert.equal(stuck.socket.readyState, WebSocket.CLOSING, `closed past ${maxBytes} bytes waiting`);
    writer.push(stuck.socket, stuck.tcp, text("after close"), stuck, false);
    while ((c.clients[1]?.received.length ?? 0) < sent) await turn();
    assert.deepEqual(
      c.clients[1]?.received,
      Array.from({ length: sent }, (_, n) => `h${n}`),
      "the healthy socket got every frame, in order, all along",
    );
    const closed = new Promise<number>((resolve) => stuckClient.client.once("close", (code) => resolve(code)));
    stuckClient.client.resume();
    assert.equal(await closed, FELL_BEHIND);
    assert.ok(!stuckClient.received.includes("after close"), "nothing is written after the close");
  } finally {
    await c.close();
  }
});

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ensureStreams, RUN_EVENTS_STREAM, runEventsSubject } from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Outbox, type OutboxEntry } from "./outbox.ts";

const trainerId = "trainer-a";
const subject = runEventsSubject(trainerId, "run-1");
const entry = (n: number): OutboxEntry => ({
  subject,
  msgID: `run-1.1.epoch.${n}`,
  data: JSON.stringify({ epoch: n }),
});

type Body = { epoch: number } | { events: { epoch: number }[] };

/** Every message of the run-events stream, in stream order: an event's epoch, a batch's epochs. */
async function messages(nc: NatsConnection): Promise<(number | number[])[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(RUN_EVENTS_STREAM);
  const out: (number | number[])[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(RUN_EVENTS_STREAM, { seq });
    const body = m?.json() as Body | undefined;
    if (body) out.push("events" in body ? body.events.map((e) => e.epoch) : body.epoch);
  }
  return out;
}

/** Every event of the run-events stream, in stream order (batches opened). */
const streamed = async (nc: NatsConnection) => (await messages(nc)).flat();

const files = (dir: string) => readdirSync(dir).filter((f) => f.endsWith(".json"));

test("events held while nats-server is down reach the stream in order, once each, when it is back; a new process replays what the last one left", async () => {
  const storeDir = mkdtempSync(join(tmpdir(), "graft-outbox-nats-"));
  const dir = mkdtempSync(join(tmpdir(), "graft-outbox-"));
  let nats = await startNatsServer({ storeDir });
  const nc = await connect({ ...gatewayConnectOptions(nats), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const log: string[] = [];
  const open = () =>
    new Outbox({
      dir,
      js: jetstream(nc),
      accepts: (e) => e.subject.startsWith(`graft.events.${trainerId}.`),
      log: (line) => log.push(line),
      publishTimeoutMs: 1_000,
    });
  try {
    await ensureStreams(nc);
    const outbox = open();
    assert.equal(await outbox.send(entry(1), 10_000), true, "acknowledged while NATS is up");
    assert.deepEqual(files(dir), [], "an acknowledged event leaves the disk");

    await nats.kill();
    assert.equal(await outbox.send(entry(2), 300), false, "not acknowledged while NATS is down");
    assert.equal(await outbox.send(entry(3), 300), false);
    assert.equal(files(dir).length, 2, "held events are on disk");

    nats = await nats.restart();
    await waitFor("the held events to be delivered", async () => outbox.size === 0, { timeoutMs: 30_000 });
    assert.deepEqual(files(dir), []);
    assert.deepEqual(await streamed(nc), [1, 2, 3], "in order, each once");

    // A trainer that dies with events unsent: the next process of the same trainer sends them.
    await nats.kill();
    const held = outbox.send(entry(4), 300);
    assert.equal(await held, false);
    await outbox.close();
    // An entry of another identity (a trainer that re-registered under a new id) cannot be sent by this one.
    writeFileSync(
      join(dir, "999999999999.json"),
      JSON.stringify({ ...entry(5), subject: runEventsSubject("other", "run-1") }),
    );
    nats = await nats.restart();
    const next = open();
    await waitFor("the replay", async () => next.size === 0, { timeoutMs: 30_000 });
    assert.deepEqual(await streamed(nc), [1, 2, 3, 4]);
    assert.deepEqual(files(dir), []);
    assert.ok(
      log.some((l) => /replaying 1 event/.test(l)),
      log.join("\n"),
    );
    assert.ok(
      log.some((l) => /dropped 999999999999\.json/.test(l)),
      log.join("\n"),
    );
    await next.close();
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(storeDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an event that can never be stored is dropped with a reason; it does not hold back the ones after it", async () => {
  const dir = mkdtempSync(join(tmpdir(), "graft-outbox-"));
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  const log: string[] = [];
  try {
    await ensureStreams(nc);
    const outbox = new Outbox({ dir, js: jetstream(nc), accepts: () => true, log: (line) => log.push(line) });
    // Past the server's payload limit (1 MiB here, as the stream's own message limit).
    const huge = { ...entry(1), data: JSON.stringify({ epoch: 1, padding: "x".repeat(2 ** 20) }) };
    const refused = outbox.send(huge, 10_000);
    const after = outbox.send(entry(2), 10_000);
    await assert.rejects(refused, (error: Error) => error.name === "UnsendableEventError");
    assert.equal(await after, true, "the next event is acknowledged");
    assert.deepEqual(await streamed(nc), [2]);
    assert.deepEqual(files(dir), [], "the dropped entry left the disk too");
    assert.ok(
      log.some((l) => /dropped 0+1\.json \(run-1\.1\.epoch\.1\): .*max_payload/.test(l)),
      log.join("\n"),
    );
    await outbox.close();
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a backlog goes out as batch messages of one run attempt, in order, bounded in count and bytes; a lone event goes out bare", async () => {
  const storeDir = mkdtempSync(join(tmpdir(), "graft-outbox-nats-"));
  const dir = mkdtempSync(join(tmpdir(), "graft-outbox-"));
  let nats = await startNatsServer({ storeDir });
  const nc = await connect({ ...gatewayConnectOptions(nats), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  const log: string[] = [];
  const group = (g: string, e: OutboxEntry): OutboxEntry => ({ ...e, group: g });
  const padded = (n: number): OutboxEntry => ({
    ...entry(n),
    group: "run-1.2",
    data: JSON.stringify({ epoch: n, padding: "x".repeat(30_000) }),
  });
  try {
    await ensureStreams(nc);
    const outbox = new Outbox({
      dir,
      js: jetstream(nc),
      accepts: () => true,
      log: (line) => log.push(line),
      maxBatchEvents: 3,
      publishTimeoutMs: 1_000,
    });
    assert.equal(await outbox.send(group("run-1.1", entry(1)), 10_000), true, "a lone event is sent at once");

    await nats.kill();
    // Waiting while NATS is away: 2-8 of attempt 1, then 9-11 of attempt 2 (30 kB each), then 12 ungrouped.
    const held = [
      ...[2, 3, 4, 5, 6, 7, 8].map((n) => outbox.send(group("run-1.1", entry(n)), 60_000)),
      ...[9, 10, 11].map((n) => outbox.send(padded(n), 60_000)),
      outbox.send(entry(12), 60_000),
    ];
    await new Promise((r) => setTimeout(r, 300));
    nats = await nats.restart();
    assert.deepEqual(await Promise.all(held), Array(held.length).fill(true), "every held event is acknowledged");
    assert.deepEqual(files(dir), []);
    assert.deepEqual(
      await messages(nc),
      [1, [2, 3, 4], [5, 6, 7], 8, [9, 10], 11, 12],
      "batches stop at the count (3), the bytes (64 kB), the group, and an ungrouped entry",
    );
    await outbox.close();
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(storeDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test("entries a previous process left are replayed as batches, each event once", async () => {
  const dir = mkdtempSync(join(tmpdir(), "graft-outbox-"));
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  try {
    await ensureStreams(nc);
    // Written by a process whose NATS connection was gone: nothing reached the stream.
    const gone = await connect(gatewayConnectOptions(nats));
    await gone.close();
    const before = new Outbox({ dir, js: jetstream(gone), accepts: () => true, log: () => {}, publishTimeoutMs: 200 });
    const sent = Array.from({ length: 10 }, (_, i) => before.send({ ...entry(i + 1), group: "run-1.1" }, 100));
    assert.deepEqual(await Promise.all(sent), Array(10).fill(false));
    await before.close();
    assert.equal(files(dir).length, 10);

    const after = new Outbox({ dir, js: jetstream(nc), accepts: () => true, log: () => {} });
    await waitFor("the replay", async () => after.size === 0, { timeoutMs: 30_000 });
    assert.deepEqual(await messages(nc), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    assert.deepEqual(files(dir), []);
    await after.close();
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a batch the stream refuses for its size is sent again one event per message", async () => {
  const dir = mkdtempSync(join(tmpdir(), "graft-outbox-"));
  const nats = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(nats));
  const log: string[] = [];
  try {
    const jsm = await ensureStreams(nc);
    // A stream whose message limit is under the batch bound (64 KiB) but over each event.
    const { config } = await jsm.streams.info(RUN_EVENTS_STREAM);
    await jsm.streams.update(RUN_EVENTS_STREAM, { ...config, max_msg_size: 40_000 });
    const outbox = new Outbox({ dir, js: jetstream(nc), accepts: () => true, log: (line) => log.push(line) });
    const big = (n: number): OutboxEntry => ({
      ...entry(n),
      group: "run-1.1",
      data: JSON.stringify({ epoch: n, padding: "x".repeat(25_000) }),
    });
    const sent = [1, 2].map((n) => outbox.send(big(n), 30_000));
    assert.deepEqual(await Promise.all(sent), [true, true], "both are acknowledged");
    assert.deepEqual(await messages(nc), [1, 2], "each alone, in order");
    assert.ok(
      log.some((l) => /a batch of 2 events was refused, sending them one by one/.test(l)),
      log.join("\n"),
    );
    await outbox.close();
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

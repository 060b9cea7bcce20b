import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeMessage, runUpdatesSubject } from "@graft/contracts";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { waitFor } from "@graft/testkit";
import { connect } from "@nats-io/transport-node";
import { RunFanout } from "./fanout.ts";
import { Mailbox } from "./mailbox.ts";
import { parseRunUpdates, publishRunUpdates } from "./notify.ts";

const runId = "4b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11";
const update = (n: number) => ({
  kind: "LOG" as const,
  runId,
  status: "RUNNING" as const,
  attempt: 1,
  epoch: null,
  progress: null,
  message: `line ${n}`,
  at: new Date().toISOString(),
});

test("every local subscriber of a run hears its updates; the NATS subscription lives only while someone listens", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const other = await connect(gatewayConnectOptions(server));
  try {
    const fanout = new RunFanout(nc, () => {});
    const a = fanout.subscribe(runId);
    const b = fanout.subscribe(runId);
    const elsewhere = fanout.subscribe("5b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11");
    assert.equal(fanout.subscribedRuns, 2);
    const firstA = a.next();
    const firstB = b.next();
    await nc.flush();
    publishRunUpdates(other, [update(1)]);
    const [ra, rb] = await Promise.all([firstA, firstB]);
    assert.equal(ra.value?.message, "line 1");
    assert.equal(rb.value?.message, "line 1");
    assert.ok(ra.value?.at instanceof Date);

    await a.return?.();
    assert.equal(fanout.subscriberCount(runId), 1);
    await b.return?.();
    assert.equal(fanout.subscriberCount(runId), 0);
    await elsewhere.return?.();
    assert.equal(fanout.subscribedRuns, 0, "no NATS subscription is left behind");
    assert.equal(nc.stats().inMsgs, 1);
    // The UNSUB must reach the server before the next publish, or the server may still deliver it.
    await nc.flush();
    publishRunUpdates(other, [update(2)]);
    await other.flush();
    await nc.flush();
    assert.equal(nc.stats().inMsgs, 1, "an unwatched run's updates are not received");
    assert.throws(() => fanout.subscribe("bad.id"), { name: "InvalidSubjectTokenError" });
  } finally {
    await other.close();
    await nc.close();
    await server.stop();
  }
});

test("one subscriber of several runs (a study's) hears each run's updates after a prelude, and lets go of all of them", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const other = await connect(gatewayConnectOptions(server));
  const second = "5b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11";
  try {
    const fanout = new RunFanout(nc, () => {});
    const single = fanout.subscribe(runId);
    const both = fanout.subscribeMany([runId, second, runId], async () => null);
    assert.equal(fanout.subscribedRuns, 2);
    assert.equal(fanout.subscriberCount(runId), 2, "a run named twice is one subscription of the stream");
    const live = await both.next();
    assert.equal(live.value, null, "the prelude comes first, once every run's feed is attached");
    publishRunUpdates(other, [update(1), { ...update(2), runId: second }]);
    const [a, b] = [await both.next(), await both.next()];
    assert.deepEqual(
      [a.value, b.value].map((v) => [v?.runId, v?.message]),
      [
        [runId, "line 1"],
        [second, "line 2"],
      ],
    );
    assert.equal((await single.next()).value?.message, "line 1");
    await both.return?.();
    assert.equal(fanout.subscriberCount(runId), 1);
    assert.equal(fanout.subscriberCount(second), 0);
    assert.equal(fanout.subscribedRuns, 1);
    await single.return?.();
    assert.equal(fanout.subscribedRuns, 0);
    assert.throws(() => fanout.subscribeMany([second, "bad.id"]), { name: "InvalidSubjectTokenError" });
    assert.equal(fanout.subscribedRuns, 0, "nothing is subscribed when one id is malformed");
  } finally {
    await other.close();
    await nc.close();
    await server.stop();
  }
});

test("a lagging subscriber loses its oldest PROGRESS reports, never a STATUS", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const other = await connect(gatewayConnectOptions(server));
  try {
    const fanout = new RunFanout(nc, () => {});
    const box = fanout.subscribe(runId);
    assert.ok(box instanceof Mailbox);
    await nc.flush();
    const progress = (n: number) => ({
      ...update(n),
      kind: "PROGRESS" as const,
      message: null,
      progress: { phase: "TRAINING" as const, done: n, total: 1_000, epoch: 1, epochs: 2, etaSeconds: 1 },
    });
    const status = (n: number) => ({ ...update(n), kind: "STATUS" as const, message: `status ${n}` });
    // 400 reports with a STATUS every 100, far past the mailbox's soft limit (256), nothing read meanwhile.
    const sent = Array.from({ length: 400 }, (_, n) =>
      n % 100 === 0 ? [status(n), progress(n)] : [progress(n)],
    ).flat();
    publishRunUpdates(other, sent);
    await other.flush();
    await waitFor("the run's updates to arrive (one message)", async () => nc.stats().inMsgs === 1);
    const got = [];
    for (let i = 0; i < 256; i++) got.push((await box.next()).value);
    assert.equal(box.dropped, sent.length - 256, "only what exceeds the soft limit is dropped");
    assert.deepEqual(
      got.filter((g) => g?.kind === "STATUS").map((g) => g?.message),
      ["status 0", "status 100", "status 200", "status 300"],
    );
    assert.equal(got.at(-1)?.progress?.done, 399, "the newest report is kept");
    await box.return();
  } finally {
    await other.close();
    await nc.close();
    await server.stop();
  }
});

test("a run's updates go out as few messages, in order, each under NATS's payload limit; one naming another run is refused whole", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const other = await connect(gatewayConnectOptions(server));
  const second = "5b0e0a56-7c1a-4c3e-9d44-3f1f2f0d1a11";
  const logged: string[] = [];
  try {
    const fanout = new RunFanout(nc, (line) => logged.push(line));
    const box = fanout.subscribe(runId);
    const sizes: number[] = [];
    const raw = nc.subscribe(runUpdatesSubject(runId), {
      callback: (_e, msg) => {
        sizes.push(msg.data.length);
      },
    });
    await nc.flush();
    // 1,500 short messages then 200 of 10,000 characters (the largest LOG a trainer may send),
    // interleaved with the other run's; STATUS, which a subscriber reading late never loses.
    const long = "é".repeat(10_000);
    const status = (n: number, message = `line ${n}`) => ({ ...update(n), kind: "STATUS" as const, message });
    const sent = [
      ...Array.from({ length: 1_500 }, (_, n) => status(n)),
      ...Array.from({ length: 200 }, (_, n) => status(1_500 + n, `${1_500 + n} ${long}`)),
    ];
    publishRunUpdates(
      other,
      sent.flatMap((u) => [u, { ...u, runId: second }]),
    );
    await other.flush();
    const got = [];
    for (let i = 0; i < sent.length; i++) got.push((await box.next()).value);
    assert.deepEqual(
      got.map((g) => g?.message?.match(/\d+/)?.[0]),
      sent.map((_, n) => n.toString()),
      "every update of the run, once, in order, and none of the other run's",
    );
    assert.ok(sizes.length >= 4 && sizes.length < 30, `a few messages, not one per update: ${sizes.length}`);
    assert.ok(Math.max(...sizes) < 1024 * 1024, `each under 1 MB: ${Math.max(...sizes)}`);

    // Whatever the sender: an update naming another run than the subject's is not handed out.
    other.publish(
      runUpdatesSubject(runId),
      encodeMessage({ updates: [update(9_001), { ...update(9_002), runId: second }] }),
    );
    other.publish(runUpdatesSubject(runId), encodeMessage({ updates: [update(9_003)] }));
    assert.equal((await box.next()).value?.message, "line 9003", "the mixed message is dropped whole");
    assert.match(logged.join("\n"), /rejected update.*names run/);
    assert.throws(() => parseRunUpdates(runUpdatesSubject(runId), encodeMessage({ updates: [] })), {
      name: "InvalidMessageError",
    });
    raw.unsubscribe();
    await box.return?.();
  } finally {
    await other.close();
    await nc.close();
    await server.stop();
  }
});

test("listened subscribers (the websocket path) hear every update in order, and cycles of them leave nothing subscribed", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  const other = await connect(gatewayConnectOptions(server));
  try {
    const fanout = new RunFanout(nc, () => {});
    const snapshot = { ...update(0), kind: "STATUS" as const, at: new Date() };
    const heard: string[][] = [[], []];
    const ended: number[] = [];
    for (const [i, lines] of heard.entries()) {
      (fanout.subscribe(runId, async () => snapshot) as Mailbox<{ message: string | null }>).listen({
        item: (e) => lines.push(String(e.message)),
        end: () => ended.push(i),
      });
    }
    await waitFor("both listening", async () => heard.every((lines) => lines.length === 1));
    publishRunUpdates(other, [update(1), update(2)]);
    publishRunUpdates(other, [update(3)]);
    await waitFor("every update", async () => heard.every((lines) => lines.length === 4));
    for (const lines of heard) assert.deepEqual(lines, ["line 0", "line 1", "line 2", "line 3"]);

    // Subscribers come and go (some before their feed is live, some after): none is left behind.
    for (let n = 0; n < 500; n++) {
      const box = fanout.subscribe(runId, async () => snapshot) as Mailbox<unknown>;
      box.listen({ item: () => {}, end: () => {} });
      if (n % 2 === 0) await new Promise((r) => setImmediate(r));
      await box.return();
    }
    assert.equal(fanout.subscriberCount(runId), 2);
    fanout.close();
    assert.deepEqual(ended.toSorted(), [0, 1], "closing the fan-out ends its listeners");
    assert.equal(fanout.subscribedRuns, 0, "no NATS subscription is left behind");
  } finally {
    await other.close();
    await nc.close();
    await server.stop();
  }
});

test("a run's updates are announced as the JSON text of one RunUpdates, byte for byte", async () => {
  const server = await startNatsServer();
  const nc = await connect(gatewayConnectOptions(server));
  try {
    const heard: Uint8Array[] = [];
    nc.subscribe(runUpdatesSubject(runId), {
      callback: (_e, msg) => {
        heard.push(msg.data);
      },
    });
    await nc.flush();
    const sent = [update(1), { ...update(2), message: 'quote " and é' }];
    publishRunUpdates(nc, sent);
    await waitFor("the announcement", async () => heard.length === 1);
    assert.deepEqual(Buffer.from(heard[0] as Uint8Array), Buffer.from(encodeMessage({ updates: sent })));
  } finally {
    await nc.close();
    await server.stop();
  }
});

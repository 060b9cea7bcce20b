import assert from "node:assert/strict";
import { test } from "node:test";
import { MODEL_FILES, modelArtifactKey, storedModelDigest, WEIGHTS_FILE } from "@graft/artifacts";
import {
  encodeMessage,
  JOBS_STREAM,
  jobClaim,
  jobMessageSchema,
  jobsConsumerName,
  type RunEvent,
  runControlSubject,
  runEventsSubject,
  TRAINER_ARTIFACTS_PATH,
  trainerInboxPrefix,
} from "@graft/contracts";
import { credsConnectOptions, gatewayConnectOptions } from "@graft/natsd/testing";
import { type UnclaimedRunEvent, waitFor } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection, PermissionViolationError } from "@nats-io/transport-node";
import { PLATFORM_WAIT, withStack } from "./support/stack.ts";
import { fineTuneInput, getRun, graphql, startFineTune, waitForRunEnd } from "./support/trainer.ts";

/**
 * The trainer plane under attack from a legitimately registered trainer host: it holds its
 * own NATS user and nothing else. nats-server refuses what its permissions do not allow; the
 * gateway refuses events it cannot prove and recomputes lineage from the stored artifact.
 */
const stack = withStack({ trainers: ["alpha"] });

interface Registered {
  id: string;
  creds: string;
}

/** Registers a trainer the way a new host does (join token only), without running one. */
async function register(name: string, pool: string): Promise<Registered> {
  const { registerTrainer } = await graphql<{
    registerTrainer: { trainer: { id: string }; natsCredentials: string };
  }>(
    stack.gateway,
    `mutation ($input: RegisterTrainerInput!) { registerTrainer(input: $input) { trainer { id } natsCredentials } }`,
    {
      input: {
        joinToken: stack.gateway.joinToken,
        name,
        host: "intruder-host",
        pool,
        backend: "cpu",
        devices: [],
        cpuCount: 1,
        memoryBytes: 1e9,
      },
    },
  );
  return { id: registerTrainer.trainer.id, creds: registerTrainer.natsCredentials };
}

const connectAs = (t: Registered) =>
  connect({ ...credsConnectOptions(stack.nats.url, t.creds, trainerInboxPrefix(t.id)), maxReconnectAttempts: 0 });

/** Publishes on `subject` and resolves with the permission violation nats-server answers. */
async function refusedPublish(nc: NatsConnection, subject: string): Promise<PermissionViolationError> {
  const violation = (async () => {
    for await (const status of nc.status()) {
      if (status.type === "error" && status.error instanceof PermissionViolationError) return status.error;
    }
    throw new Error("the connection closed without a permission violation");
  })();
  nc.publish(subject, encodeMessage({ forged: true }));
  await nc.flush();
  return await waitFor(`a permission violation for ${subject}`, () => Promise.race([violation, sleep(100)]), {
    timeoutMs: 10_000,
  }).then((error) => {
    assert.equal(error.operation, "publish");
    assert.equal(error.subject, subject);
    return error;
  });
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms));

async function eventDropTotal(): Promise<number> {
  const { eventDrops } = await graphql<{ eventDrops: { total: number } }>(
    stack.gateway,
    "{ eventDrops(first: 0) { total } }",
  );
  return eventDrops.total;
}

const at = () => new Date().toISOString();

test("a NATS client without credentials, or with made-up ones, is refused by nats-server", async () => {
  await assert.rejects(connect({ servers: stack.nats.url, maxReconnectAttempts: 0 }), /Authorization Violation/i);
  const stranger = await register("stranger", "strangers");
  // A well-formed creds file whose JWT the operator never signed: the signature fails.
  const forged = stranger.creds.replace(/(-----BEGIN NATS USER JWT-----\n)(\S+)/, (_, head, jwt: string) => {
    const [h, p] = jwt.split(".");
    return `${head}${h}.${p}.${"A".repeat(86)}`;
  });
  await assert.rejects(
    connect({ ...credsConnectOptions(stack.nats.url, forged), maxReconnectAttempts: 0 }),
    /Authorization Violation|authentication/i,
  );
});

test("a trainer is refused another trainer's subjects, control subjects, stream administration and other pools' jobs", async () => {
  const intruder = await register("intruder-perms", "intruders");
  const nc = await connectAs(intruder);
  try {
    const alpha = stack.trainer("alpha").id;
    const runId = "00000000-0000-4000-8000-000000000001";
    await refusedPublish(nc, runEventsSubject(alpha, runId));
    await refusedPublish(nc, runControlSubject(runId));
    await refusedPublish(nc, `graft.trainers.${alpha}.control`);
    await refusedPublish(nc, `graft.trainers.${alpha}.heartbeat`);
    await refusedPublish(nc, `graft.runs.${runId}.updates`);
    await refusedPublish(nc, `$JS.API.STREAM.DELETE.${JOBS_STREAM}`);
    await refusedPublish(nc, `$JS.API.CONSUMER.MSG.NEXT.${JOBS_STREAM}.${jobsConsumerName("default")}`);
    // The object store is JetStream too: no writes (a base model's weights) and no reads.
    await refusedPublish(nc, "$O.graft-artifacts.M.bW9kZWxz");
    await refusedPublish(nc, "$JS.API.STREAM.INFO.OBJ_graft-artifacts");
    // What it may do still works: its own pool's consumer.
    const info = await jetstream(nc).consumers.get(JOBS_STREAM, jobsConsumerName("intruders"));
    assert.equal((await info.info(true)).name, jobsConsumerName("intruders"));
  } finally {
    await nc.close();
  }
  const streams = await connect(gatewayConnectOptions(stack.nats));
  try {
    const names = await (await import("@nats-io/jetstream")).jetstreamManager(streams);
    assert.ok(await names.streams.info(JOBS_STREAM), "the jobs stream is still there");
  } finally {
    await streams.close();
  }
});

test("a second registered trainer forging assigned, epoch and succeeded for alpha's run changes nothing; the drops are counted", async () => {
  const intruder = await register("intruder-forger", "default-forgers");
  const before = await eventDropTotal();
  const queued = await startFineTune(stack.gateway, fineTuneInput(stack.ids, { maxSamples: 300 }));
  await waitFor(
    "alpha to hold the run",
    async () => (await getRun(stack.gateway, queued.id)).trainer?.name === "alpha",
    PLATFORM_WAIT,
  );
  const nc = await connectAs(intruder);
  try {
    const js = jetstream(nc);
    const forge = async (event: UnclaimedRunEvent) =>
      js.publish(
        runEventsSubject(intruder.id, queued.id),
        encodeMessage({ ...event, claim: jobClaim("guessed-token", event) } satisfies RunEvent),
      );
    const base = { runId: queued.id, trainerId: intruder.id };
    await forge({ type: "assigned", ...base, attempt: 99, at: at() });
    await forge({
      type: "epoch",
      ...base,
      attempt: 1,
      at: at(),
      epoch: 1,
      metrics: {
        loss: 0,
        accuracy: 1,
        valLoss: 0,
        valAccuracy: 1,
        learningRate: 0.1,
        durationMs: 1,
        samplesPerSecond: 1,
        trainableParams: 1,
        frozenLayers: 0,
      },
    });
    await forge({
      type: "succeeded",
      ...base,
      attempt: 99,
      at: at(),
      trainingPath: "FULL",
      stoppedEarly: false,
      outputModel: {
        artifactKey: "../../models/anything",
        sizeBytes: 1,
        inputShape: [28, 28, 1],
        labels: ["5", "6"],
        featureLayer: "x",
        layers: [],
      },
    });
  } finally {
    await nc.close();
  }
  await waitFor("the three drops to be counted", async () => (await eventDropTotal()) >= before + 3, PLATFORM_WAIT);
  const run = await waitForRunEnd(stack.gateway, queued.id);
  assert.equal(run.status, "SUCCEEDED", JSON.stringify(run.error));
  assert.equal(run.attemptCount, 1, "the forged attempt 99 was never adopted");
  assert.equal(run.trainer?.name, "alpha");
  assert.notEqual(run.epochs[0]?.accuracy, 1, "the forged epoch was not stored");
  assert.equal(run.outputModel?.verifiedLineage, true);
  const { eventDrops } = await graphql<{
    eventDrops: { items: { kind: string; trainerId: string; runId: string; reason: string }[] };
  }>(stack.gateway, "{ eventDrops(first: 10) { items { kind trainerId runId reason } } }");
  const mine = eventDrops.items.filter((d) => d.trainerId === intruder.id && d.runId === queued.id);
  assert.equal(mine.length, 3, JSON.stringify(eventDrops.items));
  assert.ok(mine.every((d) => d.kind === "REFUSED" && /cannot prove/.test(d.reason)));
});

/**
 * An impostor that is a real member of its pool: it pulls the job with its own user, so it
 * holds the job token and its events are believed. It writes the base model back as its
 * "output" with the first weights altered, every layer marked frozen (or, with
 * `markTrainable`, every layer marked trainable, hoping to dodge the frozen-layer comparison),
 * and reports success claiming the parent's hashes. Only the gateway's own reading catches the lie.
 */
async function impostorSucceeds(name: string, markTrainable: boolean) {
  const impostor = await register(name, `${name}s`);
  const queued = await startFineTune(stack.gateway, fineTuneInput(stack.ids, { pool: `${name}s` }));
  const nc = await connectAs(impostor);
  let jobToken = "";
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get(JOBS_STREAM, jobsConsumerName(`${name}s`));
    const msg = await waitFor("the job", () => consumer.next({ expires: 2_000 }), PLATFORM_WAIT);
    const job = jobMessageSchema.parse(msg.json());
    assert.equal(job.runId, queued.id);
    jobToken = job.jobToken;
    const attempt = msg.info.deliveryCount;
    const url = (key: string) => new URL(`${TRAINER_ARTIFACTS_PATH}/${job.runId}/${key}`, stack.gateway.url);
    const auth = { authorization: `Bearer ${job.jobToken}` };

    // The base model is readable for its job, never writable; other keys are not even readable.
    const baseKey = job.baseModel.artifactKey;
    const files = new Map<string, Uint8Array>();
    for (const file of MODEL_FILES) {
      const response = await fetch(url(`${baseKey}/${file}`), { headers: auth });
      if (response.status === 200) files.set(file, new Uint8Array(await response.arrayBuffer()));
    }
    const weights = files.get(WEIGHTS_FILE);
    const json = files.get("model.json");
    assert.ok(weights && json, "the job's base model is readable with its token");
    const overwrite = await fetch(url(`${baseKey}/${WEIGHTS_FILE}`), { method: "PUT", headers: auth, body: weights });
    assert.equal(overwrite.status, 403, "a base model is never writable");
    const stranger = await fetch(url("uploads/someone-elses"), { headers: auth });
    assert.equal(stranger.status, 403);
    const wrongToken = await fetch(url(`${baseKey}/model.json`), { headers: { authorization: "Bearer nope" } });
    assert.equal(wrongToken.status, 401);

    // Its "output": the base, every layer marked frozen (or trainable), the first weights altered.
    const modelJson = JSON.parse(new TextDecoder().decode(json)) as unknown;
    markEveryLayer(modelJson, markTrainable);
    const outJson = new TextEncoder().encode(JSON.stringify(modelJson));
    const outWeights = weights.slice();
    for (let i = 0; i < 64; i++) outWeights[i] = (outWeights[i] ?? 0) ^ 0xff;
    const outKey = modelArtifactKey(job.outputModelId);
    for (const [file, bytes] of [
      [WEIGHTS_FILE, outWeights],
      ["model.json", outJson],
    ] as const) {
      const put = await fetch(url(`${outKey}/${file}`), { method: "PUT", headers: auth, body: bytes });
      assert.equal(put.status, 204, `writing its own output ${file}`);
    }
    const { sizeBytes, sha256 } = storedModelDigest({ json: outJson, weights: outWeights });
    const { model: base } = await graphql<{
      model: { layers: { name: string; className: string; weightHash: string | null; params: number }[] };
    }>(stack.gateway, "query($id: ID!) { model(id: $id) { layers { name className weightHash params } } }", {
      id: stack.ids.digitsCnn,
    });
    const ids = { runId: job.runId, trainerId: impostor.id, attempt };
    const claim = jobClaim(job.jobToken, ids);
    const publish = (event: UnclaimedRunEvent) =>
      js.publish(runEventsSubject(impostor.id, job.runId), encodeMessage({ ...event, claim }));
    await publish({ type: "assigned", ...ids, at: at() });
    await publish({
      type: "succeeded",
      ...ids,
      at: at(),
      trainingPath: "FULL",
      stoppedEarly: false,
      // It claims the parent's hashes for every layer: the gateway does not take its word.
      outputModel: {
        artifactKey: outKey,
        sizeBytes,
        sha256,
        inputShape: job.baseModel.inputShape,
        labels: job.dataset.labels,
        featureLayer: "x",
        layers: base.layers.map((l) => ({ ...l, trainable: false })),
      },
    });
    await msg.ackAck();
  } finally {
    await nc.close();
  }
  const run = await waitForRunEnd(stack.gateway, queued.id);
  assert.equal(run.status, "SUCCEEDED");
  const { model } = await graphql<{ model: { verifiedLineage: boolean | null; lineageReason: string | null } }>(
    stack.gateway,
    "query($id: ID!) { model(id: $id) { verifiedLineage lineageReason } }",
    { id: run.outputModel?.id },
  );
  return { run, model, jobToken, queued };
}

test("a trainer that alters a frozen layer of its output gets verifiedLineage false with the reason; it cannot touch the base model", async () => {
  const { run, model, jobToken, queued } = await impostorSucceeds("impostor", false);
  assert.equal(model.verifiedLineage, false);
  assert.match(model.lineageReason ?? "", /frozen layers differ from the parent: \S+/);

  // And once the run is over its output is final, even for the job's holder.
  const late = await fetch(
    new URL(
      `${TRAINER_ARTIFACTS_PATH}/${queued.id}/${modelArtifactKey(run.outputModel?.id ?? "")}/model.json`,
      stack.gateway.url,
    ),
    { method: "PUT", headers: { authorization: `Bearer ${jobToken}` }, body: "{}" },
  );
  assert.equal(late.status, 409);
});

test("a trainer that marks its frozen base layers trainable (to escape the comparison) gets verifiedLineage false", async () => {
  // The run froze every base layer (the default ALL_BASE, no unfreeze schedule): a trainable
  // base layer in its output is itself the lie, whatever its weights.
  const { model } = await impostorSucceeds("thawer", true);
  assert.equal(model.verifiedLineage, false);
  assert.match(model.lineageReason ?? "", /froze every base layer, but the output marks base layers trainable: \S+/);
});

test("after removeTrainer the old credential's connection is closed and its next connect is refused", async () => {
  const doomed = await register("doomed", "doomed");
  const nc = await connectAs(doomed);
  const js = jetstream(nc);
  // Allowed before: its own heartbeat subject.
  nc.publish(`graft.trainers.${doomed.id}.heartbeat`, encodeMessage({}));
  await nc.flush();
  const closed = nc.closed();
  await graphql(stack.gateway, "mutation($id: ID!) { removeTrainer(id: $id) { id } }", { id: doomed.id });
  await Promise.race([closed, sleep(10_000)]);
  assert.equal(nc.isClosed(), true, "nats-server closed the revoked user's connection");
  await assert.rejects(
    js.publish(runEventsSubject(doomed.id, "00000000-0000-4000-8000-000000000002"), encodeMessage({})),
  );
  await assert.rejects(connectAs(doomed), /Authorization Violation|revoked|authentication/i);
  const { trainers } = await graphql<{ trainers: { id: string }[] }>(stack.gateway, "{ trainers { id } }");
  assert.equal(
    trainers.some((t) => t.id === doomed.id),
    false,
    "a removed trainer leaves the fleet",
  );
  // Members only: the removal is an ADMIN operation.
  const member = await stack.gateway.createProject("members", "MEMBER");
  const response = await fetch(stack.gateway.url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${member.apiKey}` },
    body: JSON.stringify({
      query: "mutation($id: ID!) { removeTrainer(id: $id) { id } }",
      variables: { id: stack.trainer("alpha").id },
    }),
  });
  const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] };
  assert.equal(answer.errors?.[0]?.extensions?.code, "FORBIDDEN");
});

/** Sets `trainable` in every layer config of a tfjs model.json. */
function markEveryLayer(node: unknown, trainable: boolean): void {
  if (Array.isArray(node)) {
    for (const item of node) markEveryLayer(item, trainable);
    return;
  }
  if (node && typeof node === "object") {
    const record = node as Record<string, unknown>;
    if ("class_name" in record && record.config && typeof record.config === "object") {
      (record.config as Record<string, unknown>).trainable = trainable;
    }
    for (const value of Object.values(record)) markEveryLayer(value, trainable);
  }
}

/**
 * Shared setup for the event plane's tests and benchmarks: a real nats-server, a real
 * database on the given driver and rows for one run.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type ArtifactStore, openArtifactStore } from "@graft/artifacts";
import {
  deriveJobToken,
  encodeMessage,
  jobClaim,
  type LayerRecord,
  type RunEvent,
  runEventsSubject,
  sameSecret,
} from "@graft/contracts";
import { type Db, datasets, models, projects, runs, trainers } from "@graft/db";
import { createTestDatabase, type TestDatabase, type TestDriver } from "@graft/db/testing";
import { startNatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { claimed as claim, TEST_JOB_TOKEN_SECRET, testJobToken, type UnclaimedRunEvent } from "@graft/testkit";
import { jetstream } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type EventPlane, type EventPlaneOptions, type RunEventPayload, startEventPlane } from "./index.ts";

export const BASE_LAYERS: LayerRecord[] = [
  { name: "conv1", className: "Conv2D", weightHash: "a".repeat(64), params: 320, trainable: false },
  { name: "pool1", className: "MaxPooling2D", weightHash: null, params: 0, trainable: false },
  { name: "dense1", className: "Dense", weightHash: "b".repeat(64), params: 1000, trainable: false },
  { name: "head", className: "Dense", weightHash: "c".repeat(64), params: 50, trainable: true },
];

export interface Harness {
  db: Db;
  database: TestDatabase;
  /** The gateway's connection (event plane). */
  nc: NatsConnection;
  /** Another process's connection (a trainer). */
  trainerNc: NatsConnection;
  natsUrl: string;
  /** A new connection with the gateway's credentials (another process, e.g. a restarted trainer); the caller closes it. */
  connect(): Promise<NatsConnection>;
  /** The artifact store (memory) the plane reads outputs back from. */
  store: ArtifactStore;
  plane: EventPlane | undefined;
  logs: string[];
  startPlane(options?: Partial<EventPlaneOptions>): Promise<EventPlane>;
  publish(event: RunEvent, msgID?: string): Promise<void>;
  /** Publishes bytes on `trainerId`'s events subject of `runId` (default trainer: "t-raw"). */
  publishRaw(runId: string, bytes: Uint8Array, trainerId?: string): Promise<void>;
  cleanup(): Promise<void>;
}

export async function setup(driver: TestDriver): Promise<Harness> {
  const server = await startNatsServer();
  let database: TestDatabase;
  let nc: NatsConnection;
  let trainerNc: NatsConnection;
  try {
    database = await createTestDatabase(driver);
  } catch (error) {
    await server.stop();
    throw error;
  }
  try {
    nc = await connect(gatewayConnectOptions(server));
    trainerNc = await connect(gatewayConnectOptions(server));
  } catch (error) {
    await database.close();
    await server.stop();
    throw error;
  }
  const js = jetstream(trainerNc);
  const store = await openArtifactStore(nc, { storage: "memory" });
  const logs: string[] = [];
  const h: Harness = {
    db: database.db,
    database,
    nc,
    trainerNc,
    natsUrl: server.url,
    connect: () => connect(gatewayConnectOptions(server)),
    store,
    plane: undefined,
    logs,
    async startPlane(options = {}) {
      h.plane = await startEventPlane({
        db: database.db,
        nc,
        store,
        verifyClaim: verifyTestClaim,
        log: (l) => logs.push(l),
        ...options,
      });
      return h.plane;
    },
    async publish(event, msgID = randomUUID()) {
      await js.publish(runEventsSubject(event.trainerId, event.runId), encodeMessage(event), { msgID });
    },
    async publishRaw(runId, bytes, trainerId = "t-raw") {
      await js.publish(runEventsSubject(trainerId, runId), bytes);
    },
    async cleanup() {
      await h.plane?.stop();
      await trainerNc.close();
      await nc.close();
      await database.close();
      await server.stop();
    },
  };
  return h;
}

export interface SeededRun {
  projectId: string;
  baseModelId: string;
  datasetId: string;
  runId: string;
  outputModelId: string;
  trainerId: string;
}

/** A project, a base model with BASE_LAYERS, a dataset, a registered trainer and one QUEUED run. */
export async function seedRun(
  db: Db,
  options: { runCount?: number; projectId?: string } = {},
): Promise<SeededRun & { runIds: string[] }> {
  const runCount = options.runCount ?? 1;
  const [project] = options.projectId
    ? [{ id: options.projectId }]
    : await db
        .insert(projects)
        .values({ name: `p-${randomUUID()}` })
        .returning();
  if (!project) throw new Error("seed: no project");
  const [base] = await db
    .insert(models)
    .values({
      projectId: project.id,
      name: "digits",
      kind: "BASE",
      architecture: "cnn",
      task: "image-classification",
      inputShape: [28, 28, 1],
      labels: ["0", "1"],
      preprocessing: { inputRange: [0, 1], channels: 1 },
      featureLayer: "dense1",
      layers: BASE_LAYERS.map((l, index) => ({ index, ...l })),
      paramCount: 1370,
      sizeBytes: 5480,
      artifactKey: `models/${randomUUID()}`,
    })
    .returning();
  const [dataset] = await db
    .insert(datasets)
    .values({
      projectId: project.id,
      name: "tiny",
      task: "image-classification",
      labels: ["0", "1"],
      classCounts: [5, 5],
      sampleCount: 10,
      sampleShape: [28, 28, 1],
      source: { kind: "BUILTIN", name: "mnist" },
    })
    .returning();
  const [trainer] = await db
    .insert(trainers)
    .values({
      // Trainers are unique by host+name; each seeded run gets its own.
      name: `t-${randomUUID().slice(0, 8)}`,
      host: "localhost",
      pool: "default",
      backend: "cpu",
      devices: [],
      labels: [],
      cpuCount: 2,
      memoryBytes: 1e9,
      maxConcurrentRuns: 1,
      tokenHash: "x",
    })
    .returning();
  if (!base || !dataset || !trainer) throw new Error("seed: insert returned nothing");
  const runRows = await db
    .insert(runs)
    .values(
      Array.from({ length: runCount }, (): typeof runs.$inferInsert => ({
        projectId: project.id,
        baseModelId: base.id,
        datasetId: dataset.id,
        pool: "default",
        epochs: 3,
        batchSize: 8,
        optimizer: "ADAM",
        learningRate: 0.001,
        freezeStrategy: "ALL_BASE",
        seed: 1,
        hyperparameters: {},
        outputModelId: randomUUID(),
      })),
    )
    .returning();
  const [run] = runRows;
  if (!run) throw new Error("seed: no run");
  return {
    projectId: project.id,
    baseModelId: base.id,
    datasetId: dataset.id,
    runId: run.id,
    runIds: runRows.map((r) => r.id),
    outputModelId: run.outputModelId,
    trainerId: trainer.id,
  };
}

/** The metrics the event builders report for an epoch. */
export const epochMetrics = (epoch: number) => ({
  loss: 1 / epoch,
  accuracy: 0.5 + epoch / 100,
  valLoss: 1.2 / epoch,
  valAccuracy: 0.4 + epoch / 100,
  learningRate: 0.001,
  durationMs: 10,
  samplesPerSecond: 100,
  trainableParams: 50,
  frozenLayers: 3,
});

/** The claim check the harness's plane uses: job tokens derived from testkit's secret. */
export const verifyTestClaim = (event: RunEvent) =>
  sameSecret(jobClaim(deriveJobToken(TEST_JOB_TOKEN_SECRET, event.runId), event), event.claim);

/** A run's live events, past the STATUS snapshot every subscription opens with (asserted). */
export async function watchRun(plane: EventPlane, runId: string): Promise<AsyncIterableIterator<RunEventPayload>> {
  const sub = plane.subscribeRunEvents(runId);
  assert.equal((await sub.next()).value?.kind, "STATUS", "a subscription opens with the run's status");
  return sub;
}

/** Builders for trainer events of one run, claimed as the holder of its job token would. */
export function events(s: { runId: string; trainerId: string }, attempt = 1, jobToken = testJobToken(s.runId)) {
  const base = { runId: s.runId, trainerId: s.trainerId, attempt, at: new Date().toISOString() };
  const claimed = (event: UnclaimedRunEvent) => claim(event, jobToken);
  return {
    assigned: () => claimed({ type: "assigned", ...base }),
    started: (resumedFromEpoch = 0) =>
      claimed({ type: "started", ...base, backend: "cpu", trainingPath: "FEATURE_CACHE", resumedFromEpoch }),
    epoch: (epoch: number) => claimed({ type: "epoch", ...base, epoch, metrics: epochMetrics(epoch) }),
    log: (message: string) => claimed({ type: "log", ...base, level: "info", message }),
    progress: (done: number, total = 10) =>
      claimed({
        type: "progress",
        ...base,
        progress: { phase: "TRAINING", done, total, epoch: 1, epochs: 2, etaSeconds: 3 },
      }),
    succeeded: (layers: LayerRecord[] = BASE_LAYERS) =>
      claimed({
        type: "succeeded",
        ...base,
        trainingPath: "FEATURE_CACHE",
        stoppedEarly: false,
        outputModel: {
          artifactKey: `models/${randomUUID()}`,
          sizeBytes: 1234,
          sha256: "d".repeat(64),
          inputShape: [28, 28, 1],
          labels: ["0", "1"],
          featureLayer: "dense1",
          layers,
        },
      }),
    failed: (final: boolean) =>
      claimed({
        type: "failed",
        ...base,
        error: { code: "TRAINING_ERROR", message: "out of memory" },
        final,
      }),
    cancelled: () => claimed({ type: "cancelled", ...base }),
  };
}

/** Reads `n` items from an iterator, failing after `timeoutMs`. */
export async function take<T>(it: AsyncIterator<T>, n: number, timeoutMs = 10_000): Promise<T[]> {
  const out: T[] = [];
  const timeout = new Promise<never>((_, reject) => {
    const t = setTimeout(() => reject(new Error(`got ${out.length} of ${n} events in ${timeoutMs} ms`)), timeoutMs);
    t.unref();
  });
  while (out.length < n) {
    const r = await Promise.race([it.next(), timeout]);
    if (r.done) throw new Error(`iterator ended after ${out.length} of ${n} events`);
    out.push(r.value);
  }
  return out;
}

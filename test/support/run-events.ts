import {
  encodeMessage,
  JOBS_STREAM,
  type JobMessage,
  jobMessageSchema,
  jobsSubject,
  type LayerRecord,
  queuedJobIds,
  runEventsSubject,
} from "@graft/contracts";
import type { NatsServer } from "@graft/natsd";
import { gatewayConnectOptions } from "@graft/natsd/testing";
import { claimed, type UnclaimedRunEvent } from "@graft/testkit";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/**
 * Plays a trainer's side of one run over real JetStream (assigned, started, epochs,
 * succeeded), so gateway tests can grow a lineage tree without TensorFlow. The gateway's
 * own ingest stores what it publishes, exactly as for a real trainer: on the trainer's own
 * subject, each event claimed with the job's token. No artifact is written, so the children
 * it makes have verifiedLineage false (the gateway finds no output to check).
 */
export async function completeRun(options: {
  nats: Pick<NatsServer, "url" | "auth">;
  /** From the run's job message (lastJob). */
  jobToken: string;
  runId: string;
  trainerId: string;
  outputModelId: string;
  baseLayers: readonly { name: string; className: string; weightHash: string | null; params: number }[];
  featureLayer: string;
  inputShape: number[];
  labels: string[];
  valAccuracies?: number[];
}): Promise<void> {
  const nc = await connect(gatewayConnectOptions(options.nats));
  try {
    const js = jetstream(nc);
    const at = () => new Date().toISOString();
    const base = { runId: options.runId, attempt: 1, trainerId: options.trainerId };
    const cut = options.baseLayers.findIndex((l) => l.name === options.featureLayer);
    const layers: LayerRecord[] = [
      ...options.baseLayers.slice(0, cut + 1).map((l) => ({ ...l, trainable: false })),
      { name: "graft_head", className: "Dense", weightHash: "0".repeat(64), params: 10, trainable: true },
    ];
    const accuracies = options.valAccuracies ?? [0.5, 0.75];
    const events: UnclaimedRunEvent[] = [
      { type: "assigned", ...base, at: at() },
      { type: "started", ...base, at: at(), backend: "test", trainingPath: "FEATURE_CACHE", resumedFromEpoch: 0 },
      ...accuracies.map((valAccuracy, i) => epochEvent(base, i + 1, valAccuracy, cut + 1)),
      {
        type: "succeeded",
        ...base,
        at: at(),
        trainingPath: "FEATURE_CACHE",
        stoppedEarly: false,
        outputModel: {
          artifactKey: `models/${options.outputModelId}`,
          sizeBytes: 100,
          inputShape: options.inputShape,
          labels: options.labels,
          featureLayer: options.featureLayer,
          layers,
        },
      },
    ];
    for (const [i, event] of events.entries()) {
      await js.publish(
        runEventsSubject(options.trainerId, options.runId),
        encodeMessage(claimed(event, options.jobToken)),
        { msgID: `${options.runId}.test.${i}` },
      );
    }
  } finally {
    await nc.close();
  }
}

/** A trainer's epoch event with metrics derived from `valAccuracy` (loss = 1 - valAccuracy). */
function epochEvent(
  base: { runId: string; attempt: number; trainerId: string },
  epoch: number,
  valAccuracy: number,
  frozenLayers: number,
): UnclaimedRunEvent {
  return {
    type: "epoch",
    ...base,
    at: new Date().toISOString(),
    epoch,
    metrics: {
      loss: 1 - valAccuracy,
      accuracy: valAccuracy,
      valLoss: 1.1 - valAccuracy,
      valAccuracy,
      learningRate: 0.001,
      durationMs: 10,
      samplesPerSecond: 100,
      trainableParams: 10,
      frozenLayers,
    },
  };
}

/**
 * Plays a trainer's side of a run that keeps training (benches: reads under a live write
 * load): assigned and started at once, then one epoch event per `epoch()` call.
 */
export async function liveRun(options: {
  nats: Pick<NatsServer, "url" | "auth">;
  jobToken: string;
  runId: string;
  trainerId: string;
}): Promise<{ epoch(epoch: number, valAccuracy: number): Promise<void>; close(): Promise<void> }> {
  const nc = await connect(gatewayConnectOptions(options.nats));
  const js = jetstream(nc);
  const base = { runId: options.runId, attempt: 1, trainerId: options.trainerId };
  const publish = async (event: UnclaimedRunEvent, id: string) => {
    await js.publish(
      runEventsSubject(options.trainerId, options.runId),
      encodeMessage(claimed(event, options.jobToken)),
      { msgID: `${options.runId}.live.${id}` },
    );
  };
  try {
    const at = new Date().toISOString();
    await publish({ type: "assigned", ...base, at }, "assigned");
    await publish(
      { type: "started", ...base, at, backend: "test", trainingPath: "FEATURE_CACHE", resumedFromEpoch: 0 },
      "started",
    );
  } catch (error) {
    await nc.close();
    throw error;
  }
  return {
    epoch: (epoch, valAccuracy) => publish(epochEvent(base, epoch, valAccuracy, 0), `epoch.${epoch}`),
    close: () => nc.close(),
  };
}

/** The last job the gateway queued for `pool`, read back from JetStream as a trainer would see it. */
export async function lastJob(
  setup: { nats: Pick<NatsServer, "url" | "auth"> },
  pool = "default",
): Promise<JobMessage> {
  const job = await queuedJob(setup, pool);
  if (!job) throw new Error(`no job on ${jobsSubject(pool)}`);
  return job;
}

/** The run ids of the jobs still queued for `pool`, in the order a trainer takes them. */
export async function queuedRunIds(
  setup: { nats: Pick<NatsServer, "url" | "auth"> },
  pool = "default",
): Promise<string[]> {
  const nc = await connect(gatewayConnectOptions(setup.nats));
  try {
    const jsm = await jetstreamManager(nc);
    const ids: string[] = [];
    // Nats-Msg-Id is jobMessageId(runId): `${runId}.1`.
    for await (const job of queuedJobIds(jsm, pool)) ids.push(job.msgId?.replace(/\.1$/, "") ?? "");
    return ids;
  } finally {
    await nc.close();
  }
}

/** The last job still queued for `pool`, or null when there is none. */
export async function queuedJob(
  setup: { nats: Pick<NatsServer, "url" | "auth"> },
  pool = "default",
): Promise<JobMessage | null> {
  const nc = await connect(gatewayConnectOptions(setup.nats));
  try {
    const jsm = await jetstreamManager(nc);
    const msg = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: jobsSubject(pool) }).catch(() => null);
    return msg ? jobMessageSchema.parse(msg.json()) : null;
  } finally {
    await nc.close();
  }
}

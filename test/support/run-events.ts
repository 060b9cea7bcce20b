import {
  encodeMessage,
  JOBS_STREAM,
  type JobMessage,
  jobMessageSchema,
  jobsSubject,
  type LayerRecord,
  type RunEvent,
  runEventsSubject,
} from "@graft/contracts";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";

/**
 * Plays a trainer's side of one run over real JetStream (assigned, started, epochs,
 * succeeded), so gateway tests can grow a lineage tree without TensorFlow. The gateway's
 * own ingest stores what it publishes, exactly as for a real trainer.
 */
export async function completeRun(options: {
  natsUrl: string;
  runId: string;
  trainerId: string;
  outputModelId: string;
  baseLayers: readonly { name: string; className: string; weightHash: string | null; params: number }[];
  featureLayer: string;
  inputShape: number[];
  labels: string[];
  valAccuracies?: number[];
}): Promise<void> {
  const nc = await connect({ servers: options.natsUrl });
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
    const events: RunEvent[] = [
      { type: "assigned", ...base, at: at() },
      { type: "started", ...base, at: at(), backend: "test", trainingPath: "FEATURE_CACHE", resumedFromEpoch: 0 },
      ...accuracies.map(
        (valAccuracy, i): RunEvent => ({
          type: "epoch",
          ...base,
          at: at(),
          epoch: i + 1,
          metrics: {
            loss: 1 - valAccuracy,
            accuracy: valAccuracy,
            valLoss: 1.1 - valAccuracy,
            valAccuracy,
            learningRate: 0.001,
            durationMs: 10,
            samplesPerSecond: 100,
            trainableParams: 10,
            frozenLayers: cut + 1,
          },
        }),
      ),
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
      await js.publish(runEventsSubject(options.runId), encodeMessage(event), { msgID: `${options.runId}.test.${i}` });
    }
  } finally {
    await nc.close();
  }
}

/** The last job the gateway queued for `pool`, read back from JetStream as a trainer would see it. */
export async function lastJob(setup: { nats: { url: string } }, pool = "default"): Promise<JobMessage> {
  const job = await queuedJob(setup, pool);
  if (!job) throw new Error(`no job on ${jobsSubject(pool)}`);
  return job;
}

/** The last job still queued for `pool`, or null when there is none. */
export async function queuedJob(setup: { nats: { url: string } }, pool = "default"): Promise<JobMessage | null> {
  const nc = await connect({ servers: setup.nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const msg = await jsm.streams.getMessage(JOBS_STREAM, { last_by_subj: jobsSubject(pool) }).catch(() => null);
    return msg ? jobMessageSchema.parse(msg.json()) : null;
  } finally {
    await nc.close();
  }
}

import { encodeMessage, type LayerRecord, type RunEvent, runEventsSubject } from "@graft/contracts";
import { jetstream } from "@nats-io/jetstream";
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

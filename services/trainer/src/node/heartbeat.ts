import {
  encodeMessage,
  type Heartbeat,
  heartbeatSchema,
  type TrainerStatus,
  trainerHeartbeatSubject,
} from "@graft/contracts";
import type { NatsConnection } from "@nats-io/transport-node";

export interface HeartbeatSource {
  status(): TrainerStatus;
  currentRuns(): string[];
}

/**
 * Publishes a heartbeat now and then every `intervalMs` on core NATS. Core NATS on purpose:
 * a missed beat is harmless, and a stale one must not be replayed later.
 * Returns `beat` (send one now, e.g. on a status change) and `stop`.
 */
export function startHeartbeats(nc: NatsConnection, trainerId: string, intervalMs: number, source: HeartbeatSource) {
  const subject = trainerHeartbeatSubject(trainerId);
  let seq = 0;
  const beat = () => {
    if (nc.isClosed()) return;
    const message: Heartbeat = heartbeatSchema.parse({
      trainerId,
      at: new Date().toISOString(),
      status: source.status(),
      currentRuns: source.currentRuns(),
      rssBytes: process.memoryUsage.rss(),
      seq: seq++,
    });
    nc.publish(subject, encodeMessage(message));
  };
  beat();
  const timer = setInterval(beat, intervalMs);
  return {
    beat,
    stop() {
      clearInterval(timer);
    },
  };
}

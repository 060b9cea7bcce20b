import type { RunUpdate, TrainerUpdate } from "@graft/contracts";
import type { RunStatus } from "./run-state.ts";

/** A GraphQL `RunEvent`, as handed to subscription resolvers. */
export interface RunEventPayload {
  kind: "STATUS" | "EPOCH" | "LOG";
  runId: string;
  status: RunStatus;
  attempt: number | null;
  /** A GraphQL `EpochMetrics` when kind is EPOCH. */
  epoch: EpochPayload | null;
  message: string | null;
  at: Date;
}

export interface EpochPayload {
  epoch: number;
  attempt: number;
  loss: number;
  accuracy: number | null;
  valLoss: number | null;
  valAccuracy: number | null;
  learningRate: number;
  durationMs: number;
  samplesPerSecond: number;
  trainableParams: number;
  frozenLayers: number;
  recordedAt: Date;
}

/** A trainer change; the GraphQL layer resolves `trainer` from `trainerId`. */
export interface TrainerEventPayload {
  kind: "REGISTERED" | "HEARTBEAT" | "STATUS_CHANGED" | "STALE";
  trainerId: string;
  at: Date;
}

export const runEventFromWire = (u: RunUpdate): RunEventPayload => ({
  ...u,
  at: new Date(u.at),
  epoch: u.epoch ? { ...u.epoch, recordedAt: new Date(u.epoch.recordedAt) } : null,
});

export const trainerEventFromWire = (u: TrainerUpdate): TrainerEventPayload => ({ ...u, at: new Date(u.at) });

export function runEventToWire(p: RunEventPayload): RunUpdate {
  return {
    ...p,
    at: p.at.toISOString(),
    epoch: p.epoch ? { ...p.epoch, recordedAt: p.epoch.recordedAt.toISOString() } : null,
  };
}

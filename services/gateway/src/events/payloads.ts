import type { EpochRecord, RunProgress, RunUpdate, TrainerUpdate } from "@graft/contracts";

/**
 * What subscription resolvers receive: the contracts' notifications with their timestamps as
 * Dates. Derived from the wire types, so a field added there reaches subscribers unchanged.
 */
type WithDate<T, K extends keyof T> = Omit<T, K> & { [P in K]: Date };

/** A GraphQL `EpochMetrics`, as carried by an EPOCH `RunEvent`. */
export type EpochPayload = WithDate<EpochRecord, "recordedAt">;

/** A GraphQL `RunProgress`: the trainer's progress and when it was measured. */
export type ProgressPayload = RunProgress & { updatedAt: Date };

/** A GraphQL `RunEvent`. */
export type RunEventPayload = WithDate<Omit<RunUpdate, "epoch" | "progress">, "at"> & {
  epoch: EpochPayload | null;
  progress: ProgressPayload | null;
};

/** A trainer change; the GraphQL layer resolves `trainer` from `trainerId`. */
export type TrainerEventPayload = WithDate<TrainerUpdate, "at">;

export const runEventFromWire = (u: RunUpdate): RunEventPayload => ({
  ...u,
  at: new Date(u.at),
  epoch: u.epoch ? { ...u.epoch, recordedAt: new Date(u.epoch.recordedAt) } : null,
  progress: u.progress ? { ...u.progress, updatedAt: new Date(u.at) } : null,
});

export const trainerEventFromWire = (u: TrainerUpdate): TrainerEventPayload => ({ ...u, at: new Date(u.at) });

export function runEventToWire(p: RunEventPayload): RunUpdate {
  return {
    ...p,
    at: p.at.toISOString(),
    epoch: p.epoch ? { ...p.epoch, recordedAt: p.epoch.recordedAt.toISOString() } : null,
    progress: p.progress ? withoutUpdatedAt(p.progress) : null,
  };
}

const withoutUpdatedAt = ({ updatedAt: _, ...progress }: ProgressPayload): RunProgress => progress;

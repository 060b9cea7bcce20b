import { type ArtifactStore, checkpointKey, epochCheckpointKey, forkSeedKey } from "@graft/artifacts";
import { epochMetricsSchema } from "@graft/contracts";
import { z } from "zod";

const VERSION = 1;

const headerSchema = z.object({
  version: z.literal(VERSION),
  completedEpochs: z.number().int().min(0),
  /** Attempt that wrote it. */
  attempt: z.number().int().min(1),
  epochs: z.array(z.object({ epoch: z.number().int().min(1), metrics: epochMetricsSchema })),
});

/**
 * A run's latest checkpoint: the engine's opaque bytes plus what the node needs to resume
 * (how many epochs are done, and their metrics so a new attempt can re-announce epochs
 * whose events a killed trainer never got out). One object per run, overwritten per epoch.
 *
 * Layout: 4-byte big-endian header length, UTF-8 JSON header, engine bytes.
 */
export type Checkpoint = Omit<z.infer<typeof headerSchema>, "version"> & { engine: Uint8Array };

export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { engine, ...rest } = checkpoint;
  const header = new TextEncoder().encode(JSON.stringify({ version: VERSION, ...rest }));
  const out = new Uint8Array(4 + header.byteLength + engine.byteLength);
  new DataView(out.buffer).setUint32(0, header.byteLength);
  out.set(header, 4);
  out.set(engine, 4 + header.byteLength);
  return out;
}

/** Decodes a stored checkpoint; null when it is unreadable (the run then starts over rather than failing). */
export function decodeCheckpoint(bytes: Uint8Array): Checkpoint | null {
  if (bytes.byteLength < 4) return null;
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (4 + length > bytes.byteLength) return null;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  } catch {
    return null;
  }
  // The object store is shared with every trainer: what comes back is checked like a message.
  const header = headerSchema.safeParse(json);
  if (!header.success) return null;
  const { version: _, ...fields } = header.data;
  return { ...fields, engine: bytes.slice(4 + length) };
}

export async function loadCheckpoint(store: ArtifactStore, runId: string): Promise<Checkpoint | null> {
  const bytes = await store.get(checkpointKey(runId));
  return bytes ? decodeCheckpoint(bytes) : null;
}

/**
 * Stores the run's latest checkpoint and, when the run keeps `keep` > 0 epoch checkpoints
 * (hyperparameters.keepCheckpoints), the same bytes under the epoch's own key, dropping the
 * one that fell out of the last `keep`: what a fork can start from. Kept checkpoints outlive
 * the run; `keep` bounds them. Encoded once: a checkpoint is the weights and optimizer state.
 */
export async function saveCheckpoint(
  store: ArtifactStore,
  runId: string,
  checkpoint: Checkpoint,
  keep = 0,
): Promise<void> {
  const bytes = encodeCheckpoint(checkpoint);
  await store.put(checkpointKey(runId), bytes);
  if (keep <= 0) return;
  const epoch = checkpoint.completedEpochs;
  await store.put(epochCheckpointKey(runId, epoch), bytes);
  if (epoch - keep >= 1) await store.delete(epochCheckpointKey(runId, epoch - keep)).catch(() => undefined);
}

/** A fork's starting checkpoint (the gateway copied it from the parent's kept epoch); null when absent or unreadable. */
export async function loadForkSeed(store: ArtifactStore, runId: string): Promise<Checkpoint | null> {
  const bytes = await store.get(forkSeedKey(runId));
  return bytes ? decodeCheckpoint(bytes) : null;
}

/** A finished run needs neither its latest checkpoint nor, for a fork, the seed it started from. */
export async function deleteCheckpoint(store: ArtifactStore, runId: string): Promise<void> {
  await store.delete(checkpointKey(runId)).catch(() => undefined);
  await store.delete(forkSeedKey(runId)).catch(() => undefined);
}

import { type ArtifactStore, checkpointKey } from "@graft/artifacts";
import type { EpochMetrics } from "@graft/contracts";

/**
 * A run's latest checkpoint: the engine's opaque bytes plus what the node needs to resume
 * (how many epochs are done, and their metrics so a new attempt can re-announce epochs
 * whose events a killed trainer never got out). One object per run, overwritten per epoch.
 *
 * Layout: 4-byte big-endian header length, UTF-8 JSON header, engine bytes.
 */
export interface Checkpoint {
  completedEpochs: number;
  /** Attempt that wrote it. */
  attempt: number;
  epochs: { epoch: number; metrics: EpochMetrics }[];
  engine: Uint8Array;
}

const VERSION = 1;

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
  try {
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
    if (header.version !== VERSION || !Number.isInteger(header.completedEpochs) || !Array.isArray(header.epochs)) {
      return null;
    }
    return {
      completedEpochs: header.completedEpochs,
      attempt: header.attempt,
      epochs: header.epochs,
      engine: bytes.slice(4 + length),
    };
  } catch {
    return null;
  }
}

export async function loadCheckpoint(store: ArtifactStore, runId: string): Promise<Checkpoint | null> {
  const bytes = await store.get(checkpointKey(runId));
  return bytes ? decodeCheckpoint(bytes) : null;
}

export async function saveCheckpoint(store: ArtifactStore, runId: string, checkpoint: Checkpoint): Promise<void> {
  await store.put(checkpointKey(runId), encodeCheckpoint(checkpoint));
}

export async function deleteCheckpoint(store: ArtifactStore, runId: string): Promise<void> {
  await store.delete(checkpointKey(runId)).catch(() => undefined);
}

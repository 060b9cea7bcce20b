import * as tf from "@tensorflow/tfjs";
import { CorruptModelError } from "../job-errors.ts";
import type { EarlyStoppingState } from "./metrics.ts";

/**
 * A checkpoint is everything that decides the next epoch: the child's weights after an
 * epoch, the optimizer's state (e.g. Adam's step and moments) and the early-stopping state.
 * (The shuffle needs nothing: each epoch's order comes from the seed and the epoch number;
 * the unfreeze schedule is replayed from the epoch.) Layout: a 4-byte little-endian header
 * length, a JSON header { format, epoch, weightSpecs, weightBytes, optimizerSpecs,
 * earlyStopping }, the weight bytes, then the optimizer's. v1 (weights only) still loads:
 * its run resumes with fresh optimizer moments.
 */

const FORMAT = "graft-checkpoint-v2";
const FORMAT_V1 = "graft-checkpoint-v1";

export interface CheckpointState {
  optimizer?: tf.Optimizer;
  earlyStopping?: EarlyStoppingState | null;
}

export interface RestoredState {
  epoch: number;
  /** The optimizer's weights in getWeights() order, for setWeights(); absent in v1 checkpoints. */
  optimizerWeights?: { name: string; tensor: tf.Tensor }[];
  earlyStopping?: EarlyStoppingState | null;
}

export async function encodeCheckpoint(
  model: tf.LayersModel,
  epoch: number,
  state: CheckpointState = {},
): Promise<Uint8Array> {
  const named = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const optimizer = state.optimizer ? await tf.io.encodeWeights(await state.optimizer.getWeights()) : null;
  const weights = new Uint8Array(data as ArrayBuffer);
  const optimizerBytes = optimizer ? new Uint8Array(optimizer.data as ArrayBuffer) : new Uint8Array(0);
  const header = new TextEncoder().encode(
    JSON.stringify({
      format: FORMAT,
      epoch,
      weightSpecs: specs,
      weightBytes: weights.byteLength,
      optimizerSpecs: optimizer?.specs ?? null,
      earlyStopping: state.earlyStopping ?? null,
    }),
  );
  const out = new Uint8Array(4 + header.byteLength + weights.byteLength + optimizerBytes.byteLength);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  out.set(weights, 4 + header.byteLength);
  out.set(optimizerBytes, 4 + header.byteLength + weights.byteLength);
  return out;
}

/** Loads checkpoint weights into a model of the same architecture; throws CorruptModelError otherwise. */
export function restoreCheckpoint(model: tf.LayersModel, checkpoint: Uint8Array): RestoredState {
  try {
    const view = new DataView(checkpoint.buffer, checkpoint.byteOffset, checkpoint.byteLength);
    const headerLength = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(checkpoint.subarray(4, 4 + headerLength))) as {
      format: string;
      epoch: number;
      weightSpecs: tf.io.WeightsManifestEntry[];
      weightBytes?: number;
      optimizerSpecs?: tf.io.WeightsManifestEntry[] | null;
      earlyStopping?: EarlyStoppingState | null;
    };
    if (header.format !== FORMAT && header.format !== FORMAT_V1)
      throw new Error(`unknown checkpoint format ${header.format}`);
    const start = 4 + headerLength;
    const end = header.weightBytes === undefined ? checkpoint.byteLength : start + header.weightBytes;
    const bytes = checkpoint.slice(start, end);
    const tensors = tf.io.decodeWeights(bytes.buffer, header.weightSpecs);
    try {
      const byName = new Map(model.weights.map((w) => [w.originalName, w]));
      if (Object.keys(tensors).length !== byName.size)
        throw new Error(`checkpoint holds ${Object.keys(tensors).length} weights, the model ${byName.size}`);
      for (const [name, tensor] of Object.entries(tensors)) {
        const variable = byName.get(name);
        if (!variable) throw new Error(`checkpoint weight ${name} is not in the model`);
        if (!tf.util.arraysEqual(variable.shape as number[], tensor.shape))
          throw new Error(`checkpoint weight ${name} has another shape`);
        variable.write(tensor);
      }
    } finally {
      tf.dispose(Object.values(tensors));
    }
    let optimizerWeights: { name: string; tensor: tf.Tensor }[] | undefined;
    if (header.optimizerSpecs) {
      const decoded = tf.io.decodeWeights(checkpoint.slice(end).buffer, header.optimizerSpecs);
      // getWeights() order (iterations first), which setWeights() expects.
      optimizerWeights = header.optimizerSpecs.map((spec) => {
        const tensor = decoded[spec.name];
        if (!tensor) throw new Error(`checkpoint optimizer weight ${spec.name} is missing`);
        return { name: spec.name, tensor };
      });
    }
    return {
      epoch: header.epoch,
      ...(optimizerWeights ? { optimizerWeights } : {}),
      ...(header.earlyStopping !== undefined ? { earlyStopping: header.earlyStopping } : {}),
    };
  } catch (cause) {
    throw new CorruptModelError(
      `checkpoint does not fit this model: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

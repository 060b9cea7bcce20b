import * as tf from "@tensorflow/tfjs";
import { CorruptModelError } from "../job-errors.ts";

/**
 * A checkpoint is the child's weights after an epoch: a 4-byte little-endian header length,
 * a JSON header { format, epoch, weightSpecs }, then the float32 weight bytes. Optimizer
 * state is not kept: a resumed run restarts its optimizer moments.
 */

const FORMAT = "graft-checkpoint-v1";

export async function encodeCheckpoint(model: tf.LayersModel, epoch: number): Promise<Uint8Array> {
  const named = model.weights.map((w) => ({ name: w.originalName, tensor: w.read() }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const header = new TextEncoder().encode(JSON.stringify({ format: FORMAT, epoch, weightSpecs: specs }));
  const weights = new Uint8Array(data as ArrayBuffer);
  const out = new Uint8Array(4 + header.byteLength + weights.byteLength);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  out.set(weights, 4 + header.byteLength);
  return out;
}

/** Loads checkpoint weights into a model of the same architecture; throws CorruptModelError otherwise. */
export function restoreCheckpoint(model: tf.LayersModel, checkpoint: Uint8Array): { epoch: number } {
  try {
    const view = new DataView(checkpoint.buffer, checkpoint.byteOffset, checkpoint.byteLength);
    const headerLength = view.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(checkpoint.subarray(4, 4 + headerLength))) as {
      format: string;
      epoch: number;
      weightSpecs: tf.io.WeightsManifestEntry[];
    };
    if (header.format !== FORMAT) throw new Error(`unknown checkpoint format ${header.format}`);
    const bytes = checkpoint.slice(4 + headerLength);
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
    return { epoch: header.epoch };
  } catch (cause) {
    throw new CorruptModelError(
      `checkpoint does not fit this model: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

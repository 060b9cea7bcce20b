import * as tf from "@tensorflow/tfjs";
// Custom layers must be registered before a topology naming them is rebuilt.
import "./layers/index.ts";

/**
 * The same architecture with fresh weights: the base's topology rebuilt from its JSON with
 * every initializer re-seeded from `seed`, so "this base trained from scratch" is one call
 * and repeats exactly for a seed. The base itself is untouched (dispose it separately).
 */
export async function reinitializedCopy(base: tf.LayersModel, seed: number): Promise<tf.LayersModel> {
  const topology = base.toJSON(undefined, false) as unknown as tf.serialization.ConfigDict;
  let next = 0;
  const reseed = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) reseed(item);
      return;
    }
    if (typeof node !== "object" || node === null) return;
    const record = node as Record<string, unknown>;
    for (const [key, value] of Object.entries(record)) {
      // Initializer configs (`{ seed }` inside `*_initializer`) and Graft layers' own `seed`.
      if (key === "seed" && (typeof value === "number" || value === null)) record[key] = seed + 7919 * ++next;
      else reseed(value);
    }
  };
  reseed(topology);
  return (await tf.models.modelFromJSON({ modelTopology: topology })) as tf.LayersModel;
}

import type { LayerRecord } from "@graft/contracts";
import type { LayerRow } from "@graft/db";

/**
 * A child has verified lineage when every layer it kept frozen (trainable = false, with
 * weights) hashes exactly like the parent's layer of the same name: the fine-tune provably
 * left the backbone untouched; and, for a text model, when it reads text with the very
 * tokenizer its parent was registered with (a different one is false outright). null when
 * nothing with weights was frozen (nothing to verify).
 */
export function verifyLineage(
  parentLayers: readonly LayerRow[],
  childLayers: readonly LayerRecord[],
  tokenizers: { parent?: string | null; child?: string | null } = {},
): boolean | null {
  if ((tokenizers.parent ?? null) !== (tokenizers.child ?? null)) return false;
  const frozen = childLayers.filter((l) => !l.trainable && l.weightHash !== null);
  if (frozen.length === 0) return null;
  const parentHashes = new Map(parentLayers.map((l) => [l.name, l.weightHash]));
  return frozen.every((l) => parentHashes.get(l.name) === l.weightHash);
}

export const toLayerRows = (layers: readonly LayerRecord[]): LayerRow[] =>
  layers.map((l, index) => ({
    index,
    name: l.name,
    className: l.className,
    params: l.params,
    weightHash: l.weightHash,
    trainable: l.trainable,
  }));

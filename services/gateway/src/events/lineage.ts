import type { LayerRecord } from "@graft/contracts";
import type { LayerRow } from "@graft/db";

/** Layer records (from a parsed artifact or a report) as the models table stores them. */
export const toLayerRows = (layers: readonly LayerRecord[]): LayerRow[] =>
  layers.map((l, index) => ({
    index,
    name: l.name,
    className: l.className,
    params: l.params,
    weightHash: l.weightHash,
    trainable: l.trainable,
  }));

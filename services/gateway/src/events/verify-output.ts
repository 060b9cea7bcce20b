import {
  type ArtifactStore,
  getModelBytes,
  parseModelFiles,
  storedModelDigest,
  TOKENIZER_FILE,
  WEIGHTS_FILE,
} from "@graft/artifacts";
import { HEAD_LAYER_NAMES, type LayerRecord, type RunEvent } from "@graft/contracts";
import type { LayerRow } from "@graft/db";

type ClaimedOutput = Extract<RunEvent, { type: "succeeded" }>["outputModel"];

/** What the gateway found when it read a run's output back from the object store. */
export type OutputCheck =
  | { ok: true; layers: LayerRecord[]; sizeBytes: number; sha256: string; tokenizerSha256: string | null }
  | { ok: false; reason: string };

/**
 * Reads the output model under `key` itself and checks it against the trainer's report: the
 * size and digest of the stored files, then parses it (with @graft/artifacts' limits) to
 * recompute every layer's weight hash. Nothing the trainer claimed about layers is used.
 */
export async function checkOutput(store: ArtifactStore, key: string, claimed: ClaimedOutput): Promise<OutputCheck> {
  const files = await getModelBytes(store, key);
  if (!files) return { ok: false, reason: `the output artifact ${key} is missing` };
  const digest = storedModelDigest(files);
  if (digest.sizeBytes !== claimed.sizeBytes) {
    return {
      ok: false,
      reason: `the stored output is ${digest.sizeBytes} bytes, the trainer reported ${claimed.sizeBytes}`,
    };
  }
  if (claimed.sha256 === undefined) return { ok: false, reason: "the trainer reported no digest of the output" };
  if (digest.sha256 !== claimed.sha256) {
    return { ok: false, reason: "the stored output's sha256 differs from the one the trainer reported" };
  }
  try {
    const parsed = parseModelFiles(
      new Map([
        ["model.json", files.json],
        [WEIGHTS_FILE, files.weights],
        ...(files.tokenizer ? ([[TOKENIZER_FILE, files.tokenizer]] as const) : []),
      ]),
    );
    return {
      ok: true,
      layers: parsed.layers,
      sizeBytes: digest.sizeBytes,
      sha256: digest.sha256,
      tokenizerSha256: parsed.tokenizer?.sha256 ?? null,
    };
  } catch (error) {
    return { ok: false, reason: `the stored output does not parse: ${(error as Error).message}`.slice(0, 500) };
  }
}

export interface LineageVerdict {
  verified: boolean | null;
  reason: string;
}

const HEAD_LAYERS = new Set<string>(Object.values(HEAD_LAYER_NAMES));

/**
 * Verified lineage, from the gateway's own reading of the output: every layer the child keeps
 * frozen (with weights) hashes exactly like the parent's layer of the same name, and a text
 * model reads with its parent's tokenizer. When the run froze every base layer for the whole
 * run (`everyBaseLayerFrozen`, from the hyperparameters the gateway stored), a base layer the
 * output calls trainable is a false verdict: otherwise a trainer could dodge the comparison by
 * marking layers trainable. null when nothing with weights was frozen.
 */
export function judgeLineage(
  parentLayers: readonly LayerRow[],
  check: OutputCheck,
  parentTokenizer: string | null,
  everyBaseLayerFrozen = false,
): LineageVerdict {
  if (!check.ok) return { verified: false, reason: check.reason };
  if (parentTokenizer !== check.tokenizerSha256) {
    return { verified: false, reason: "the output's tokenizer differs from the parent's" };
  }
  if (everyBaseLayerFrozen) {
    const thawed = check.layers.filter((l) => l.trainable && l.weightHash !== null && !HEAD_LAYERS.has(l.name));
    if (thawed.length > 0) {
      return {
        verified: false,
        reason: `the run froze every base layer, but the output marks base layers trainable: ${listed(thawed.map((l) => l.name))}`,
      };
    }
  }
  const frozen = check.layers.filter((l) => !l.trainable && l.weightHash !== null);
  if (frozen.length === 0) return { verified: null, reason: "no frozen layer with weights to compare" };
  const parentHashes = new Map(parentLayers.map((l) => [l.name, l.weightHash]));
  const mismatched = frozen.filter((l) => parentHashes.get(l.name) !== l.weightHash).map((l) => l.name);
  if (mismatched.length > 0)
    return { verified: false, reason: `frozen layers differ from the parent: ${listed(mismatched)}` };
  return { verified: true, reason: `all ${frozen.length} frozen layers with weights match the parent` };
}

/** The first 20 names, and how many more. */
function listed(names: readonly string[]): string {
  const more = names.length > 20 ? ` and ${names.length - 20} more` : "";
  return `${names.slice(0, 20).join(", ")}${more}`;
}

import { isIdToken } from "@graft/contracts";

/**
 * Artifact keys are derived from ids only, never from user-given names or paths, so no
 * upload can address another object (MLflow's path-traversal CVEs came from the opposite).
 */
function checkedId(id: string, role: string): string {
  if (!isIdToken(id)) throw new TypeError(`invalid ${role} for an artifact key: ${JSON.stringify(id)}`);
  return id;
}

/** Prefix of a model's objects: `<key>/model.json` and `<key>/weights.bin`. */
export const modelArtifactKey = (modelId: string) => `models/${checkedId(modelId, "model id")}`;
export const datasetArtifactKey = (datasetId: string) => `datasets/${checkedId(datasetId, "dataset id")}.zip`;
/** A text dataset, stored as normalized JSONL. */
export const textDatasetArtifactKey = (datasetId: string) => `datasets/${checkedId(datasetId, "dataset id")}.jsonl`;
export const uploadArtifactKey = (uploadId: string) => `uploads/${checkedId(uploadId, "upload id")}`;
/** Latest checkpoint of a run (one object, overwritten each epoch). */
export const checkpointKey = (runId: string) => `checkpoints/${checkedId(runId, "run id")}`;
/** A run's checkpoint after `epoch`, kept for forking (hyperparameters.keepCheckpoints). */
export const epochCheckpointKey = (runId: string, epoch: number) => {
  if (!Number.isInteger(epoch) || epoch < 1) throw new TypeError(`invalid epoch for an artifact key: ${epoch}`);
  return `checkpoints/${checkedId(runId, "run id")}/epoch-${epoch}`;
};
/** The checkpoint a fork starts from, copied by the gateway from its parent's kept epoch. */
export const forkSeedKey = (runId: string) => `checkpoints/${checkedId(runId, "run id")}/fork-seed`;

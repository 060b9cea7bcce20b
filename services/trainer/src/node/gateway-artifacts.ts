import { type ArtifactStore, sha256Hex } from "@graft/artifacts";
import { TRAINER_ARTIFACTS_PATH } from "@graft/contracts";

/** The gateway refused or failed an artifact request. */
export class ArtifactRequestError extends Error {
  override name = "ArtifactRequestError";
  constructor(
    readonly method: string,
    readonly key: string,
    readonly status: number,
    detail: string,
  ) {
    super(`${method} artifact ${key}: HTTP ${status} ${detail}`.trim());
  }
}

/**
 * One job's view of the artifact store, through the gateway. Trainers hold no object store
 * rights on NATS: the gateway answers for the job's token, and only for the keys that job
 * may touch (its base model and dataset to read, its own checkpoint and output to write).
 */
export function gatewayArtifactStore(gatewayUrl: string, job: { runId: string; jobToken: string }): ArtifactStore {
  const url = (key: string) =>
    new URL(
      `${TRAINER_ARTIFACTS_PATH}/${encodeURIComponent(job.runId)}/${key.split("/").map(encodeURIComponent).join("/")}`,
      gatewayUrl,
    );
  const request = async (method: string, key: string, body?: Uint8Array): Promise<Response> => {
    const response = await fetch(url(key), {
      method,
      headers: {
        authorization: `Bearer ${job.jobToken}`,
        ...(body ? { "content-type": "application/octet-stream" } : {}),
      },
      ...(body ? { body } : {}),
    });
    if (!response.ok && response.status !== 404) {
      throw new ArtifactRequestError(method, key, response.status, (await response.text()).slice(0, 300));
    }
    return response;
  };
  return {
    async put(key, bytes) {
      await request("PUT", key, bytes);
      return { sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes) };
    },
    async get(key) {
      const response = await request("GET", key);
      if (response.status === 404) return null;
      return new Uint8Array(await response.arrayBuffer());
    },
    async delete(key) {
      await request("DELETE", key);
    },
  };
}

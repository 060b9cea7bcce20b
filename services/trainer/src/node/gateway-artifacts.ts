import { type ArtifactStore, sha256Hex } from "@graft/artifacts";
import { TRAINER_ARTIFACTS_PATH } from "@graft/contracts";

/** The gateway refused an artifact request (a 4xx other than 404): retrying will not help. */
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
 * The gateway (or what it stands on: NATS, the database) stayed unreachable for the whole
 * retry window. An infrastructure failure, not the run's (failures.ts classifies it by name).
 */
export class GatewayUnavailableError extends Error {
  override name = "GatewayUnavailableError";
}

export interface GatewayArtifactOptions {
  /** How long one request keeps retrying while the gateway is unreachable or answers 5xx. @default 120_000 */
  retryForMs?: number;
}

/**
 * One job's view of the artifact store, through the gateway. Trainers hold no object store
 * rights on NATS: the gateway answers for the job's token, and only for the keys that job
 * may touch (its base model and dataset to read, its own checkpoint and output to write).
 * A gateway restart or a short outage behind it is ridden out with retries (the job's
 * in-progress acks go on meanwhile), as NATS publishes are.
 */
export function gatewayArtifactStore(
  gatewayUrl: string,
  job: { runId: string; jobToken: string },
  options: GatewayArtifactOptions = {},
): ArtifactStore {
  const retryForMs = options.retryForMs ?? 120_000;
  const url = (key: string) =>
    new URL(
      `${TRAINER_ARTIFACTS_PATH}/${encodeURIComponent(job.runId)}/${key.split("/").map(encodeURIComponent).join("/")}`,
      gatewayUrl,
    );
  const request = async (method: string, key: string, body?: Uint8Array): Promise<Response> => {
    const deadline = Date.now() + retryForMs;
    let delay = 250;
    for (;;) {
      let problem: string;
      try {
        const response = await fetch(url(key), {
          method,
          headers: {
            authorization: `Bearer ${job.jobToken}`,
            ...(body ? { "content-type": "application/octet-stream" } : {}),
          },
          ...(body ? { body } : {}),
          signal: AbortSignal.timeout(60_000),
        });
        if (response.ok || response.status === 404) return response;
        const detail = (await response.text()).slice(0, 300);
        if (response.status < 500) throw new ArtifactRequestError(method, key, response.status, detail);
        problem = `HTTP ${response.status} ${detail}`;
      } catch (error) {
        if (error instanceof ArtifactRequestError) throw error;
        problem =
          error instanceof Error
            ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ""}`
            : String(error);
      }
      if (Date.now() + delay > deadline) {
        throw new GatewayUnavailableError(
          `${method} artifact ${key}: gateway unavailable for ${retryForMs} ms (${problem})`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  };
  return {
    async put(key, bytes) {
      await request("PUT", key, bytes);
      return { sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes) };
    },
    // Collected first: a request that is retried must be able to send its body again.
    async putStream(key, chunks) {
      const parts: Uint8Array[] = [];
      for await (const chunk of chunks) parts.push(chunk);
      return await this.put(key, Buffer.concat(parts));
    },
    async get(key) {
      const response = await request("GET", key);
      if (response.status === 404) return null;
      return new Uint8Array(await response.arrayBuffer());
    },
    // Trainers read whole artifacts (models, datasets) anyway; one chunk.
    async getStream(key) {
      const bytes = await this.get(key);
      return (
        bytes &&
        (async function* () {
          yield bytes;
        })()
      );
    },
    async delete(key) {
      await request("DELETE", key);
    },
  };
}

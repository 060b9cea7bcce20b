import { createHash } from "node:crypto";
import { StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { type ObjectStore, Objm } from "@nats-io/obj";

export const ARTIFACTS_BUCKET = "graft-artifacts";

/** The artifact store: a NATS JetStream Object Store bucket (S3-compatible stores can sit behind the same shape). */
export interface ArtifactStore {
  put(key: string, bytes: Uint8Array): Promise<{ sizeBytes: number; sha256: string }>;
  /**
   * Streams chunks into the store, hashing as they pass, without holding the whole object.
   * Throws (and stores nothing: the key keeps its previous object) when the source throws, e.g.
   * on passing a size limit.
   */
  putStream(key: string, chunks: AsyncIterable<Uint8Array>): Promise<{ sizeBytes: number; sha256: string }>;
  get(key: string): Promise<Uint8Array | null>;
  /**
   * The object as a stream of its chunks (null when missing), so it can be copied or spooled
   * without holding it whole. The stream errors when the stored digest does not match.
   */
  getStream(key: string): Promise<AsyncIterable<Uint8Array> | null>;
  delete(key: string): Promise<void>;
}

export interface ArtifactStoreOptions {
  /** "memory" is for tests. @default "file" */
  storage?: "file" | "memory";
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** Opens (creating when missing) the artifacts bucket. */
export async function openArtifactStore(
  nc: NatsConnection,
  options: ArtifactStoreOptions = {},
): Promise<ArtifactStore> {
  const bucket: ObjectStore = await new Objm(nc).create(ARTIFACTS_BUCKET, {
    storage: options.storage === "memory" ? StorageType.Memory : StorageType.File,
  });
  return {
    async put(key, bytes) {
      await bucket.putBlob({ name: key }, bytes);
      return { sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes) };
    },
    async putStream(key, chunks) {
      const hash = createHash("sha256");
      let sizeBytes = 0;
      const iterator = chunks[Symbol.asyncIterator]();
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done) return controller.close();
          hash.update(next.value);
          sizeBytes += next.value.byteLength;
          controller.enqueue(next.value);
        },
        async cancel(reason) {
          await iterator.return?.(reason);
        },
      });
      // On failure the client purges the chunks it wrote and the key keeps its previous
      // object: deleting here would lose e.g. a trainer's last checkpoint to a cut-off upload.
      await bucket.put({ name: key }, stream);
      return { sizeBytes, sha256: hash.digest("hex") };
    },
    async get(key) {
      const blob = await bucket.getBlob(key);
      return blob && new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
    },
    async getStream(key) {
      const result = await bucket.get(key);
      if (!result) return null;
      return (async function* () {
        yield* result.data;
        const error = await result.error;
        if (error) throw error;
      })();
    },
    async delete(key) {
      await bucket.delete(key);
    },
  };
}

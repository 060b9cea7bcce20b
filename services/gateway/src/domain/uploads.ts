import { randomUUID } from "node:crypto";
import { uploadArtifactKey } from "@graft/artifacts";
import { artifacts, ownedRows, type ProjectScope, uploads } from "@graft/db";
import { and, eq, isNull } from "drizzle-orm";
import type { DomainDeps } from "./deps.ts";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";

/** Files posted to /uploads: stored under an id-derived key, later consumed by a mutation. */
export class Uploads {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  async create(bytes: Uint8Array): Promise<{ uploadId: string; sizeBytes: number; sha256: string }> {
    const uploadId = randomUUID();
    const key = uploadArtifactKey(uploadId);
    const { sizeBytes, sha256 } = await this.deps.store.put(key, bytes);
    try {
      await this.deps.db
        .insert(artifacts)
        .values({ key, projectId: this.scope.projectId, kind: "upload", sizeBytes, sha256 });
      await this.deps.db
        .insert(uploads)
        .values({ id: uploadId, projectId: this.scope.projectId, artifactKey: key, sizeBytes, sha256 });
    } catch (error) {
      await this.deps.store.delete(key).catch(() => {});
      throw error;
    }
    return { uploadId, sizeBytes, sha256 };
  }

  /** The bytes of an unconsumed upload of the caller's project. */
  async read(uploadId: string, field: string): Promise<{ id: string; bytes: Uint8Array; sha256: string }> {
    const id = checkId("upload", uploadId, field);
    const [row] = await this.deps.db
      .select()
      .from(uploads)
      .where(and(eq(uploads.id, id), ownedRows(this.scope, uploads.projectId), isNull(uploads.consumedAt)));
    if (!row) throw new NotFoundError("upload", uploadId, field);
    const bytes = await this.deps.store.get(row.artifactKey);
    if (!bytes) throw new NotFoundError("upload", uploadId, field);
    return { id, bytes, sha256: row.sha256 };
  }

  /** Marks an upload used and frees its bytes; the model or dataset keeps its own copy. */
  async consume(uploadId: string): Promise<void> {
    await this.deps.db.update(uploads).set({ consumedAt: new Date() }).where(eq(uploads.id, uploadId));
    await this.deps.store.delete(uploadArtifactKey(uploadId)).catch(() => {});
    await this.deps.db.delete(artifacts).where(eq(artifacts.key, uploadArtifactKey(uploadId)));
  }
}

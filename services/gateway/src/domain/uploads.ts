import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { uploadArtifactKey } from "@graft/artifacts";
import { artifacts, ownedRows, type ProjectScope, uploads } from "@graft/db";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { DomainDeps } from "./deps.ts";
import { NotFoundError } from "./errors.ts";
import { checkId } from "./ids.ts";

/**
 * Files posted to /uploads: streamed into the store under an id-derived key, later used by
 * exactly one mutation. `use` claims the upload atomically (one UPDATE ... WHERE claimed_at
 * IS NULL), so two mutations racing for the same id cannot both get it; the loser reads
 * NOT_FOUND. A mutation that fails gives the upload back, so the caller can fix its input. A
 * claim older than `uploadClaimTimeoutMs` is a gateway that died mid-mutation: the upload
 * may be claimed again.
 */
export class Uploads {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  async create(chunks: AsyncIterable<Uint8Array>): Promise<{ uploadId: string; sizeBytes: number; sha256: string }> {
    const uploadId = randomUUID();
    const key = uploadArtifactKey(uploadId);
    const { sizeBytes, sha256 } = await this.deps.store.putStream(key, chunks);
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

  /**
   * Runs `fn` with an unused upload of the caller's project, held by this call alone, spooled
   * to a private temporary file (streamed from the store: memory never holds the whole upload;
   * the file is removed afterwards). On success the upload is consumed (its bytes freed: the
   * model or dataset keeps its own copy); on failure it is released for another try.
   */
  async use<T>(
    uploadId: string,
    field: string,
    fn: (upload: { id: string; file: string; sha256: string }) => Promise<T>,
  ): Promise<T> {
    const id = checkId("upload", uploadId, field);
    const claimedAt = new Date();
    const abandoned = new Date(claimedAt.getTime() - this.deps.options.uploadClaimTimeoutMs);
    const [row] = await this.deps.db
      .update(uploads)
      .set({ claimedAt })
      .where(
        and(
          eq(uploads.id, id),
          ownedRows(this.scope, uploads.projectId),
          isNull(uploads.consumedAt),
          or(isNull(uploads.claimedAt), lt(uploads.claimedAt, abandoned)),
        ),
      )
      .returning();
    if (!row) throw new NotFoundError("upload", uploadId, field);
    // Only this claim's own release: a later claim (after a timeout) keeps the upload.
    const mine = and(eq(uploads.id, id), eq(uploads.claimedAt, claimedAt));
    let result: T;
    let dir: string | undefined;
    try {
      // mkdtemp makes the directory 0700: other local users cannot read the upload. Inside
      // the try: a temp directory that cannot be made gives the upload back like any failure.
      dir = await mkdtemp(join(tmpdir(), "graft-upload-"));
      const chunks = await this.deps.store.getStream(row.artifactKey);
      if (!chunks) throw new NotFoundError("upload", uploadId, field);
      const file = join(dir, "upload");
      await pipeline(Readable.from(chunks), createWriteStream(file, { mode: 0o600 }));
      result = await fn({ id, file, sha256: row.sha256 });
    } catch (error) {
      await this.deps.db.update(uploads).set({ claimedAt: null }).where(mine);
      throw error;
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
    await this.deps.db.update(uploads).set({ consumedAt: new Date() }).where(eq(uploads.id, id));
    await this.deps.store.delete(uploadArtifactKey(id)).catch(() => {});
    await this.deps.db.delete(artifacts).where(eq(artifacts.key, uploadArtifactKey(id)));
    return result;
  }
}

import { randomUUID } from "node:crypto";
import {
  datasetArtifactKey,
  InvalidDatasetError,
  readImageFolderZip,
  UnsafeArchiveError,
  validateImageFolder,
} from "@graft/artifacts";
import { artifacts, datasets, ownedRows, type ProjectScope } from "@graft/db";
import { and, eq, max } from "drizzle-orm";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError } from "../errors.ts";
import { checkName } from "../input.ts";
import type { DatasetRow } from "../rows.ts";
import { Uploads } from "../uploads.ts";

export interface CreateDatasetInput {
  name: string;
  uploadId: string;
}

export class DatasetCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  /** An uploaded zip of class folders becomes a dataset; the same name again makes a new version. */
  async create(input: CreateDatasetInput): Promise<DatasetRow> {
    const name = checkName(input.name, "input.name");
    const uploads = new Uploads(this.deps, this.scope);
    const upload = await uploads.read(input.uploadId, "input.uploadId");
    let shape: { maxWidth: number; maxHeight: number; grey: boolean };
    let folder: ReturnType<typeof readImageFolderZip>;
    try {
      folder = readImageFolderZip(upload.bytes);
      shape = validateImageFolder(folder);
    } catch (error) {
      if (error instanceof InvalidDatasetError || error instanceof UnsafeArchiveError) {
        throw new BadUserInputError("input.uploadId", error.message, undefined, { cause: error });
      }
      throw error;
    }
    const id = randomUUID();
    const key = datasetArtifactKey(id);
    const { sizeBytes, sha256 } = await this.deps.store.put(key, upload.bytes);
    try {
      const row = await this.deps.db.transaction(async (tx) => {
        const [latest] = await tx
          .select({ version: max(datasets.version) })
          .from(datasets)
          .where(and(ownedRows(this.scope, datasets.projectId), eq(datasets.name, name)));
        await tx.insert(artifacts).values({ key, projectId: this.scope.projectId, kind: "dataset", sizeBytes, sha256 });
        const [inserted] = await tx
          .insert(datasets)
          .values({
            id,
            projectId: this.scope.projectId,
            name,
            version: (latest?.version ?? 0) + 1,
            task: "image-classification",
            labels: folder.labels,
            classCounts: folder.classCounts,
            sampleCount: folder.samples.length,
            sampleShape: [shape.maxHeight, shape.maxWidth, shape.grey ? 1 : 3],
            source: { kind: "UPLOAD", artifactKey: key },
            sha256,
          })
          .returning();
        if (!inserted) throw new Error("insert into datasets returned nothing");
        return inserted;
      });
      await uploads.consume(upload.id);
      return row;
    } catch (error) {
      await this.deps.store.delete(key).catch(() => {});
      throw error;
    }
  }
}

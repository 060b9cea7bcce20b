import { randomUUID } from "node:crypto";
import {
  datasetArtifactKey,
  encodeTextDatasetJsonl,
  InvalidDatasetError,
  isZipArchive,
  readTextDataset,
  sampleTexts,
  textDatasetArtifactKey,
  UnsafeArchiveError,
} from "@graft/artifacts";
import { artifacts, datasets, ownedRows, type ProjectScope } from "@graft/db";
import { and, eq, max } from "drizzle-orm";
import type { DomainDeps } from "../deps.ts";
import { BadUserInputError } from "../errors.ts";
import { checkName } from "../input.ts";
import { parseOffThread } from "../parse-off-thread.ts";
import type { DatasetRow } from "../rows.ts";
import { Uploads } from "../uploads.ts";

export interface CreateDatasetInput {
  name: string;
  uploadId: string;
}

/** What an upload turns into: the bytes to store under `key` and the row's describing fields. */
interface DatasetContent {
  key: string;
  bytes: Uint8Array;
  fields: Pick<
    typeof datasets.$inferInsert,
    "task" | "labels" | "classCounts" | "sampleCount" | "sampleShape" | "sampleTexts"
  >;
}

export class DatasetCommands {
  constructor(
    private readonly deps: DomainDeps,
    private readonly scope: ProjectScope,
  ) {}

  /**
   * An upload becomes a dataset: a zip of class folders of images, or a CSV/JSONL of
   * (text, label) rows. The same name again makes a new version.
   */
  async create(input: CreateDatasetInput): Promise<DatasetRow> {
    const name = checkName(input.name, "input.name");
    return await new Uploads(this.deps, this.scope).use(input.uploadId, "input.uploadId", (upload) =>
      this.fromUpload(name, upload.bytes),
    );
  }

  private async fromUpload(name: string, bytes: Uint8Array): Promise<DatasetRow> {
    const id = randomUUID();
    let content: DatasetContent;
    try {
      content = isZipArchive(bytes) ? await imageDataset(id, bytes) : textDataset(id, bytes);
    } catch (error) {
      if (error instanceof InvalidDatasetError || error instanceof UnsafeArchiveError) {
        throw new BadUserInputError("input.uploadId", error.message, undefined, { cause: error, limit: error.limit });
      }
      throw error;
    }
    const { key } = content;
    const { sizeBytes, sha256 } = await this.deps.store.put(key, content.bytes);
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
            ...content.fields,
            source: { kind: "UPLOAD", artifactKey: key },
            sha256,
          })
          .returning();
        if (!inserted) throw new Error("insert into datasets returned nothing");
        return inserted;
      });
      return row;
    } catch (error) {
      await this.deps.store.delete(key).catch(() => {});
      throw error;
    }
  }
}

/** Every image is decoded to check it: in a worker, so the gateway keeps answering meanwhile. */
async function imageDataset(id: string, bytes: Uint8Array): Promise<DatasetContent> {
  const folder = await parseOffThread({ kind: "image-folder", bytes });
  return {
    key: datasetArtifactKey(id),
    bytes,
    fields: { task: "image-classification", ...folder, sampleTexts: null },
  };
}

/** Stored as normalized JSONL, which trainers read back with the same strict parser. */
function textDataset(id: string, bytes: Uint8Array): DatasetContent {
  const dataset = readTextDataset(bytes);
  return {
    key: textDatasetArtifactKey(id),
    bytes: encodeTextDatasetJsonl(dataset),
    fields: {
      task: "text-classification",
      labels: dataset.labels,
      classCounts: dataset.classCounts,
      sampleCount: dataset.texts.length,
      sampleShape: [],
      sampleTexts: sampleTexts(dataset),
    },
  };
}

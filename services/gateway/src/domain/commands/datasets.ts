import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readFile } from "node:fs/promises";
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

/** What an upload turns into: the bytes (or the spooled file) to store under `key` and the row's describing fields. */
interface DatasetContent {
  key: string;
  data: { bytes: Uint8Array } | { file: string };
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
      this.fromUpload(name, upload.file),
    );
  }

  private async fromUpload(name: string, file: string): Promise<DatasetRow> {
    const id = randomUUID();
    let content: DatasetContent;
    try {
      content = (await startsLikeZip(file)) ? await imageDataset(id, file) : textDataset(id, await readFile(file));
    } catch (error) {
      if (error instanceof InvalidDatasetError || error instanceof UnsafeArchiveError) {
        throw new BadUserInputError("input.uploadId", error.message, undefined, { cause: error, limit: error.limit });
      }
      throw error;
    }
    const { key } = content;
    // A zip is copied from its spooled file chunk by chunk, never read whole.
    const { sizeBytes, sha256 } =
      "file" in content.data
        ? await this.deps.store.putStream(key, createReadStream(content.data.file))
        : await this.deps.store.put(key, content.data.bytes);
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

/** The first bytes of a zip (isZipArchive), read from the file alone. */
async function startsLikeZip(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { buffer, bytesRead } = await handle.read(new Uint8Array(4), 0, 4, 0);
    return isZipArchive(buffer.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/**
 * Every image is decoded to check it: in a worker, so the gateway keeps answering meanwhile,
 * one entry at a time from the spooled file, so memory holds one image, not the archive.
 */
async function imageDataset(id: string, file: string): Promise<DatasetContent> {
  const folder = await parseOffThread({ kind: "image-folder-file", path: file });
  return {
    key: datasetArtifactKey(id),
    data: { file },
    fields: { task: "image-classification", ...folder, sampleTexts: null },
  };
}

/** Stored as normalized JSONL, which trainers read back with the same strict parser. */
function textDataset(id: string, bytes: Uint8Array): DatasetContent {
  const dataset = readTextDataset(bytes);
  return {
    key: textDatasetArtifactKey(id),
    data: { bytes: encodeTextDatasetJsonl(dataset) },
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

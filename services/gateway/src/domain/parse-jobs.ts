import {
  InvalidDatasetError,
  InvalidModelError,
  ModelLimitError,
  type ParsedModel,
  parseModelFiles,
  readImageFolderZip,
  readImageFolderZipFile,
  UnsafeArchiveError,
  validateImageFolder,
  type ZipEntryLayout,
  ZipFile,
} from "@graft/artifacts";
import type { LimitCode } from "@graft/contracts";

/** CPU-heavy parsing the gateway runs off its event loop (parse-off-thread.ts). */
export type ParseJob =
  /** A zip in memory: only bench/upload-memory.bench.ts's "whole" baseline still parses one. */
  | { kind: "image-folder"; bytes: Uint8Array }
  /** A zip on disk (a spooled upload), read one entry at a time. */
  | { kind: "image-folder-file"; path: string }
  | { kind: "model-zip-file"; path: string }
  | { kind: "model-files"; files: Map<string, Uint8Array> };

export interface ImageFolderSummary {
  labels: string[];
  classCounts: number[];
  sampleCount: number;
  sampleShape: number[];
}

export type ParseResult<J extends ParseJob> = J extends { kind: "image-folder" | "image-folder-file" }
  ? ImageFolderSummary
  : ParsedModel;

/** What a dataset record keeps of an image folder, once its images are checked. */
function summarizeImageFolder(folder: Parameters<typeof validateImageFolder>[0]): ImageFolderSummary {
  const shape = validateImageFolder(folder);
  return {
    labels: folder.labels,
    classCounts: folder.classCounts,
    sampleCount: folder.samples.length,
    sampleShape: [shape.maxHeight, shape.maxWidth, shape.grey ? 1 : 3],
  };
}

export function runParseJob(job: ParseJob): ImageFolderSummary | ParsedModel {
  switch (job.kind) {
    case "image-folder":
      return summarizeImageFolder(readImageFolderZip(job.bytes));
    case "image-folder-file":
      return withZipFile(job.path, (zip) => summarizeImageFolder(readImageFolderZipFile(zip)));
    case "model-zip-file":
      return withZipFile(job.path, (zip) => {
        const byName = new Map(zip.entries.map((e) => [e.name, e]));
        // Only model.json's folder is inflated; the rest of the archive is never read.
        const wanted = modelFilesOfZip(new Map([...byName.keys()].map((name) => [name, name])));
        return parseModelFiles(
          new Map([...wanted].map(([file, name]) => [file, zip.read(byName.get(name) as ZipEntryLayout)])),
        );
      });
    case "model-files":
      return parseModelFiles(job.files);
  }
}

function withZipFile<T>(path: string, use: (zip: ZipFile) => T): T {
  const zip = ZipFile.open(path);
  try {
    return use(zip);
  } finally {
    zip.close();
  }
}

/** model.json and its shards: the shallowest model.json in the zip and the files beside it. */
function modelFilesOfZip<V>(entries: Map<string, V>): Map<string, V> {
  const jsonPath = [...entries.keys()]
    .filter((p) => p === "model.json" || p.endsWith("/model.json"))
    .sort((a, b) => a.length - b.length)[0];
  if (jsonPath === undefined) throw new InvalidModelError("the zip holds no model.json");
  const dir = jsonPath.slice(0, jsonPath.length - "model.json".length);
  const files = new Map<string, V>();
  for (const [path, bytes] of entries) {
    if (path.startsWith(dir) && !path.slice(dir.length).includes("/")) files.set(path.slice(dir.length), bytes);
  }
  return files;
}

/** A typed error as plain data, to cross from a worker thread (classes do not survive the copy). */
export interface SerializedError {
  name: string;
  message: string;
  reason?: string;
  entry?: string;
  limit?: LimitCode;
  max?: number;
}

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const { reason, entry, limit, max } = error as Partial<SerializedError>;
  return { name: error.name, message: error.message, reason, entry, limit, max };
}

/** The typed error again; anything unknown comes back as a plain Error with its message. */
export function deserializeError(data: SerializedError): Error {
  const reason = data.reason ?? data.message;
  switch (data.name) {
    case "ModelLimitError":
      return new ModelLimitError(data.limit as LimitCode, data.max ?? 0, reason.replace(/ \(limit \d+\)$/, ""));
    case "InvalidModelError":
      return new InvalidModelError(reason);
    case "UnsafeArchiveError":
      return new UnsafeArchiveError(reason, data.entry, data.limit);
    case "InvalidDatasetError":
      return new InvalidDatasetError(reason, data.entry, data.limit ? { limit: data.limit } : {});
    default:
      return new Error(data.message);
  }
}

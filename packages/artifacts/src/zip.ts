import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";
import { unzipSync } from "fflate";
import { UnsafeArchiveError } from "./errors.ts";

export interface ZipLimits {
  /** @default 20_000 */
  maxEntries?: number;
  /** Sum of uncompressed sizes. @default 1 GiB */
  maxTotalBytes?: number;
  /** @default 256 MiB */
  maxEntryBytes?: number;
}

/**
 * Unzips into memory, refusing entries that could escape a directory in any tool that
 * later writes them out (`../`, absolute, drive letters, backslashes, encoded or
 * double-encoded traversal, NUL) and archives whose sizes exceed the limits, checked
 * before inflating so a zip bomb is refused without being expanded. Entries whose data
 * overlap (the "better zip bomb": thousands of directory entries inflating the same
 * bytes) are refused outright; a stored entry counts its real length, whatever size it
 * declares; and the inflated total is counted again afterwards.
 * Directory entries and macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) are skipped.
 */
export function unzipSafely(bytes: Uint8Array, limits: ZipLimits = {}): Map<string, Uint8Array> {
  const maxEntries = limits.maxEntries ?? 20_000;
  const maxTotal = limits.maxTotalBytes ?? 2 ** 30;
  const maxEntry = limits.maxEntryBytes ?? 256 * 2 ** 20;
  checkLayout(bytes, maxEntries);
  let entries = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(file) {
        checkEntryName(file.name);
        if (file.name.endsWith("/") || isMetadata(file.name)) return false;
        entries += 1;
        // fflate hands a stored entry back as its raw bytes, whatever size it declares.
        const size = file.compression === 0 ? Math.max(file.size, file.originalSize) : file.originalSize;
        total += size;
        if (entries > maxEntries)
          throw new UnsafeArchiveError(`more than ${maxEntries} entries`, undefined, "ARCHIVE_ENTRIES");
        if (size > maxEntry)
          throw new UnsafeArchiveError(`entry larger than ${maxEntry} bytes`, file.name, "ARCHIVE_BYTES");
        if (total > maxTotal)
          throw new UnsafeArchiveError(`more than ${maxTotal} bytes uncompressed`, undefined, "ARCHIVE_BYTES");
        return true;
      },
    });
  } catch (error) {
    if (error instanceof UnsafeArchiveError) throw error;
    throw new UnsafeArchiveError(
      `not a readable zip archive: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const out = new Map<string, Uint8Array>();
  let real = 0;
  for (const [name, data] of Object.entries(files)) {
    // Declared sizes can lie; the inflated size is what counts.
    real += data.byteLength;
    if (data.byteLength > maxEntry)
      throw new UnsafeArchiveError(`entry larger than ${maxEntry} bytes`, name, "ARCHIVE_BYTES");
    if (real > maxTotal)
      throw new UnsafeArchiveError(`more than ${maxTotal} bytes uncompressed`, undefined, "ARCHIVE_BYTES");
    out.set(name, data);
  }
  return out;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

/** One entry as the central directory describes it, with where its data really starts. */
export interface ZipEntryLayout {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  compressedSize: number;
  originalSize: number;
  dataStart: number;
}

/** Random access to an archive's bytes: memory or a file. */
interface ByteSource {
  size: number;
  /** Up to `length` bytes at `at` (fewer past the end). */
  read(at: number, length: number): Uint8Array;
}

const memorySource = (bytes: Uint8Array): ByteSource => ({
  size: bytes.byteLength,
  read: (at, length) => bytes.subarray(at, at + length),
});

/** Little-endian fields of `bytes`; -1 past its end (a broken archive, never a throw). */
const fields = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    u32: (at: number) => (at >= 0 && at + 4 <= bytes.byteLength ? view.getUint32(at, true) : -1),
    u16: (at: number) => (at >= 0 && at + 2 <= bytes.byteLength ? view.getUint16(at, true) : -1),
  };
};

/** Largest central directory read: 20,000 entries of 1 KiB names fit well. */
const MAX_CENTRAL_DIRECTORY = 64 * 2 ** 20;

function checkLayout(bytes: Uint8Array, maxEntries: number): void {
  readLayout(memorySource(bytes), maxEntries);
}

/**
 * Reads the central directory (end record, then every entry) before anything inflates:
 * the entry count against the limit, no Zip64 sizes (Graft's limits fit in 32 bits, and
 * the 64-bit fields would be one more place for sizes to lie), and every entry's local
 * header plus data inside the file and disjoint from every other entry's.
 */
function readLayout(source: ByteSource, maxEntries: number): ZipEntryLayout[] {
  const tailStart = Math.max(0, source.size - 22 - 0xffff);
  const tail = source.read(tailStart, source.size - tailStart);
  const t = fields(tail);
  let end = -1;
  for (let at = tail.byteLength - 22; at >= 0; at--) {
    if (t.u32(at) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new UnsafeArchiveError("not a readable zip archive: no end of central directory");
  const count = t.u16(end + 10);
  if (count > maxEntries) throw new UnsafeArchiveError(`more than ${maxEntries} entries`, undefined, "ARCHIVE_ENTRIES");
  const directoryStart = t.u32(end + 16);
  if (count === 0xffff || directoryStart === 0xffffffff)
    throw new UnsafeArchiveError("Zip64 archives are not supported");
  // Up to the end record, whatever size the record declares: entries are parsed until `count`.
  const directorySize = tailStart + end - directoryStart;
  if (directorySize > MAX_CENTRAL_DIRECTORY)
    throw new UnsafeArchiveError("not a readable zip archive: central directory too large");
  const directory = source.read(directoryStart, Math.max(0, directorySize));
  const d = fields(directory);
  const entries: ZipEntryLayout[] = [];
  const spans: [number, number, string][] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (d.u32(at) !== CENTRAL) throw new UnsafeArchiveError("not a readable zip archive: broken central directory");
    const method = d.u16(at + 10);
    const compressed = d.u32(at + 20);
    const original = d.u32(at + 24);
    const nameLength = d.u16(at + 28);
    const offset = d.u32(at + 42);
    const name = new TextDecoder().decode(directory.subarray(at + 46, at + 46 + nameLength));
    if (compressed === 0xffffffff || original === 0xffffffff || offset === 0xffffffff)
      throw new UnsafeArchiveError("Zip64 archives are not supported", name);
    const local = fields(source.read(offset, 30));
    if (local.u32(0) !== LOCAL) throw new UnsafeArchiveError("entry points outside the archive", name);
    const dataStart = offset + 30 + local.u16(26) + local.u16(28);
    if (dataStart + compressed > source.size) throw new UnsafeArchiveError("entry points outside the archive", name);
    spans.push([offset, dataStart + compressed, name]);
    entries.push({ name, method, compressedSize: compressed, originalSize: original, dataStart });
    at += 46 + nameLength + d.u16(at + 30) + d.u16(at + 32);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const [start, , name] = spans[i] as [number, number, string];
    if (start < (spans[i - 1] as [number, number, string])[1])
      throw new UnsafeArchiveError("entries overlap (a zip bomb shape)", name);
  }
  return entries;
}

/**
 * A zip on disk, read one entry at a time: memory holds the central directory and the entry
 * being read, never the archive. The same checks as `unzipSafely`, in the same order: the
 * layout (count, Zip64, bounds, overlaps) and every name before anything inflates, declared
 * sizes against the limits, then each entry's real inflated size (zlib stops at the entry
 * limit) and the real total.
 */
export class ZipFile {
  /** Files (no directories, no macOS metadata), in central-directory order. */
  readonly entries: readonly ZipEntryLayout[];
  readonly #fd: number;
  readonly #maxEntry: number;
  readonly #maxTotal: number;
  /**
   * Real bytes inflated so far, each entry counted once however often it is read. Entries are
   * told apart by where their data starts (disjoint, checked), not by name: an archive may
   * repeat a name, and each copy inflates its own bytes.
   */
  #real = 0;
  readonly #counted = new Set<number>();

  private constructor(fd: number, entries: ZipEntryLayout[], maxEntry: number, maxTotal: number) {
    this.#fd = fd;
    this.entries = entries;
    this.#maxEntry = maxEntry;
    this.#maxTotal = maxTotal;
  }

  static open(path: string, limits: ZipLimits = {}): ZipFile {
    const maxEntries = limits.maxEntries ?? 20_000;
    const maxTotal = limits.maxTotalBytes ?? 2 ** 30;
    const maxEntry = limits.maxEntryBytes ?? 256 * 2 ** 20;
    const fd = openSync(path, "r");
    try {
      const size = fstatSync(fd).size;
      const source: ByteSource = {
        size,
        read(at, length) {
          const buffer = Buffer.alloc(Math.max(0, Math.min(length, size - at)));
          if (buffer.byteLength > 0) readSync(fd, buffer, 0, buffer.byteLength, at);
          return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
        },
      };
      const files: ZipEntryLayout[] = [];
      let declared = 0;
      for (const entry of readLayout(source, maxEntries)) {
        checkEntryName(entry.name);
        if (entry.name.endsWith("/") || isMetadata(entry.name)) continue;
        // A stored entry is its raw bytes, whatever size it declares.
        const size = entry.method === 0 ? Math.max(entry.compressedSize, entry.originalSize) : entry.originalSize;
        declared += size;
        if (size > maxEntry)
          throw new UnsafeArchiveError(`entry larger than ${maxEntry} bytes`, entry.name, "ARCHIVE_BYTES");
        if (declared > maxTotal)
          throw new UnsafeArchiveError(`more than ${maxTotal} bytes uncompressed`, undefined, "ARCHIVE_BYTES");
        if (entry.method !== 0 && entry.method !== 8)
          throw new UnsafeArchiveError(`compression method ${entry.method} is not supported`, entry.name);
        files.push(entry);
      }
      return new ZipFile(fd, files, maxEntry, maxTotal);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** The entry's bytes, inflated; refused past the entry or total limit, counting real bytes. */
  read(entry: ZipEntryLayout): Uint8Array {
    const raw = Buffer.alloc(entry.compressedSize);
    if (raw.byteLength > 0) readSync(this.#fd, raw, 0, raw.byteLength, entry.dataStart);
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else {
      try {
        data = inflateRawSync(raw, { maxOutputLength: this.#maxEntry });
      } catch (error) {
        if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
          throw new UnsafeArchiveError(`entry larger than ${this.#maxEntry} bytes`, entry.name, "ARCHIVE_BYTES");
        throw new UnsafeArchiveError(
          `not a readable zip archive: ${error instanceof Error ? error.message : String(error)}`,
          entry.name,
        );
      }
    }
    if (data.byteLength > this.#maxEntry)
      throw new UnsafeArchiveError(`entry larger than ${this.#maxEntry} bytes`, entry.name, "ARCHIVE_BYTES");
    if (!this.#counted.has(entry.dataStart)) {
      this.#counted.add(entry.dataStart);
      this.#real += data.byteLength;
      if (this.#real > this.#maxTotal)
        throw new UnsafeArchiveError(`more than ${this.#maxTotal} bytes uncompressed`, undefined, "ARCHIVE_BYTES");
    }
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** A zip's local file header magic (PK\x03\x04): how uploads tell image folders from text datasets. */
export const isZipArchive = (bytes: Uint8Array) =>
  bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;

function isMetadata(name: string): boolean {
  const base = name.split("/").at(-1) ?? "";
  return name.startsWith("__MACOSX/") || base.startsWith("._") || base === ".DS_Store";
}

function checkEntryName(name: string): void {
  if (name.length === 0 || name.length > 1024) throw new UnsafeArchiveError("entry name empty or too long", name);
  // Decode repeatedly so `%252e%252e%252f` (double-encoded `../`) is seen for what it is.
  let decoded = name;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      break;
    }
    if (next === decoded) break;
    decoded = next;
  }
  for (const candidate of [name, decoded]) {
    if (candidate.includes("\\") || [...candidate].some((c) => c.charCodeAt(0) < 0x20))
      throw new UnsafeArchiveError("control character or backslash in entry name", name);
    if (candidate.startsWith("/") || /^[A-Za-z]:/.test(candidate))
      throw new UnsafeArchiveError("absolute entry path", name);
    if (candidate.includes(":") || candidate.includes("#"))
      throw new UnsafeArchiveError("':' or '#' in entry name", name);
    if (candidate.split("/").some((part) => part === ".." || part === "."))
      throw new UnsafeArchiveError("path traversal in entry name", name);
  }
}

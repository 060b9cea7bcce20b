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

/**
 * Reads the central directory (end record, then every entry) before anything inflates:
 * the entry count against the limit, no Zip64 sizes (Graft's limits fit in 32 bits, and
 * the 64-bit fields would be one more place for sizes to lie), and every entry's local
 * header plus data inside the file and disjoint from every other entry's.
 */
function checkLayout(bytes: Uint8Array, maxEntries: number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (at: number) => (at + 4 <= bytes.byteLength ? view.getUint32(at, true) : -1);
  const u16 = (at: number) => (at + 2 <= bytes.byteLength ? view.getUint16(at, true) : -1);
  let end = -1;
  for (let at = bytes.byteLength - 22; at >= Math.max(0, bytes.byteLength - 22 - 0xffff); at--) {
    if (u32(at) === EOCD) {
      end = at;
      break;
    }
  }
  if (end < 0) throw new UnsafeArchiveError("not a readable zip archive: no end of central directory");
  const count = u16(end + 10);
  if (count > maxEntries) throw new UnsafeArchiveError(`more than ${maxEntries} entries`, undefined, "ARCHIVE_ENTRIES");
  let at = u32(end + 16);
  if (count === 0xffff || at === 0xffffffff) throw new UnsafeArchiveError("Zip64 archives are not supported");
  const spans: [number, number, string][] = [];
  for (let i = 0; i < count; i++) {
    if (u32(at) !== CENTRAL) throw new UnsafeArchiveError("not a readable zip archive: broken central directory");
    const compressed = u32(at + 20);
    const original = u32(at + 24);
    const nameLength = u16(at + 28);
    const offset = u32(at + 42);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLength));
    if (compressed === 0xffffffff || original === 0xffffffff || offset === 0xffffffff)
      throw new UnsafeArchiveError("Zip64 archives are not supported", name);
    if (u32(offset) !== LOCAL) throw new UnsafeArchiveError("entry points outside the archive", name);
    const dataStart = offset + 30 + u16(offset + 26) + u16(offset + 28);
    if (dataStart + compressed > bytes.byteLength)
      throw new UnsafeArchiveError("entry points outside the archive", name);
    spans.push([offset, dataStart + compressed, name]);
    at += 46 + nameLength + u16(at + 30) + u16(at + 32);
  }
  spans.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < spans.length; i++) {
    const [start, , name] = spans[i] as [number, number, string];
    if (start < (spans[i - 1] as [number, number, string])[1])
      throw new UnsafeArchiveError("entries overlap (a zip bomb shape)", name);
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

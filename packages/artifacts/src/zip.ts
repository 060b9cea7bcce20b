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
 * double-encoded traversal, NUL) and archives whose declared sizes exceed the limits
 * (checked before inflating, so a zip bomb is refused without being expanded).
 * Directory entries and macOS metadata (`__MACOSX/`, `._*`, `.DS_Store`) are skipped.
 */
export function unzipSafely(bytes: Uint8Array, limits: ZipLimits = {}): Map<string, Uint8Array> {
  const maxEntries = limits.maxEntries ?? 20_000;
  const maxTotal = limits.maxTotalBytes ?? 2 ** 30;
  const maxEntry = limits.maxEntryBytes ?? 256 * 2 ** 20;
  let entries = 0;
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter(file) {
        checkEntryName(file.name);
        if (file.name.endsWith("/") || isMetadata(file.name)) return false;
        entries += 1;
        total += file.originalSize;
        if (entries > maxEntries) throw new UnsafeArchiveError(`more than ${maxEntries} entries`);
        if (file.originalSize > maxEntry)
          throw new UnsafeArchiveError(`entry larger than ${maxEntry} bytes`, file.name);
        if (total > maxTotal) throw new UnsafeArchiveError(`more than ${maxTotal} bytes uncompressed`);
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
  for (const [name, data] of Object.entries(files)) {
    // Declared sizes can lie; the inflated size is what counts.
    if (data.byteLength > maxEntry) throw new UnsafeArchiveError(`entry larger than ${maxEntry} bytes`, name);
    out.set(name, data);
  }
  return out;
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

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { deflateSync, strToU8, zipSync } from "fflate";
import { PNG } from "pngjs";
import {
  type ImageFolder,
  InvalidDatasetError,
  type LazyImageFolder,
  readImageFolderZip,
  readImageFolderZipFile,
  UnsafeArchiveError,
  unzipSafely,
  validateImageFolder,
  type ZipEntryLayout,
  ZipFile,
  type ZipLimits,
} from "./index.ts";

/** `bytes` written to a temporary file, opened as a ZipFile for `use`. */
function withFile<T>(bytes: Uint8Array, limits: ZipLimits, use: (zip: ZipFile) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "graft-zip-test-"));
  try {
    writeFileSync(join(dir, "a.zip"), bytes);
    const zip = ZipFile.open(join(dir, "a.zip"), limits);
    try {
      return use(zip);
    } finally {
      zip.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every check runs on both readers: the whole archive in memory, and a file read entry by entry. */
const readers: [string, (bytes: Uint8Array, limits?: ZipLimits) => Map<string, Uint8Array>][] = [
  ["unzipSafely (in memory)", (bytes, limits) => unzipSafely(bytes, limits)],
  [
    "ZipFile (one entry at a time)",
    (bytes, limits = {}) => withFile(bytes, limits, (zip) => new Map(zip.entries.map((e) => [e.name, zip.read(e)]))),
  ],
];
const folderReaders: [string, (bytes: Uint8Array) => ImageFolder | LazyImageFolder][] = [
  ["readImageFolderZip", (bytes) => readImageFolderZip(bytes)],
  [
    "readImageFolderZipFile",
    // Validated inside the file's lifetime: a lazy folder reads its entries when checked.
    (bytes) =>
      withFile(bytes, {}, (zip) => {
        const folder = readImageFolderZipFile(zip);
        const images = folder.samples.map((s) => ({ ...s, bytes: s.read() }));
        return { ...folder, samples: images };
      }),
  ],
];

function png(width: number, height: number, value: number): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(value);
  return new Uint8Array(PNG.sync.write(image));
}

/** Offsets of the central directory entries of a zip fflate wrote (no comment, no Zip64). */
function centralEntries(zip: Uint8Array): number[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = zip.byteLength - 22;
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(at);
    at += 46 + view.getUint16(at + 28, true) + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return out;
}

for (const [reader, unzip] of readers) {
  describe(reader, () => {
    test("refuses entries that could escape their directory", () => {
      const hostile = [
        "../evil.txt",
        "a/../../evil.txt",
        "/etc/passwd",
        "C:/windows/evil",
        "a\\..\\evil",
        "%2e%2e%2fevil",
        "%252e%252e%252fevil",
        "model.json#../../x",
        "file:///etc/passwd",
        "./hidden",
      ];
      for (const name of hostile) {
        const zip = zipSync({ [name]: strToU8("x") });
        assert.throws(() => unzip(zip), UnsafeArchiveError, name);
      }
    });

    test("refuses archives whose sizes exceed the limits before inflating them", () => {
      const zip = zipSync({ "a.bin": new Uint8Array(1_000_000) });
      assert.throws(() => unzip(zip, { maxEntryBytes: 1000 }), /larger than 1000 bytes/);
      assert.throws(() => unzip(zip, { maxTotalBytes: 1000 }), /more than 1000 bytes/);
      const many = zipSync(Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`f${i}`, strToU8("x")])));
      assert.throws(() => unzip(many, { maxEntries: 4 }), /more than 4 entries/);
      assert.throws(() => unzip(deflateSync(strToU8("not a zip"))), /not a readable zip/);
    });

    test("refuses entries whose data overlap (many names inflating the same bytes)", () => {
      const zip = zipSync({ "cats/1.png": png(2, 2, 1), "dogs/1.png": png(2, 2, 2) }, { level: 0 });
      const view = new DataView(zip.buffer);
      const [, second] = centralEntries(zip) as [number, number];
      view.setUint32(second + 42, 0, true); // the second entry now points at the first one's data
      assert.throws(
        () => unzip(zip),
        (error: unknown) => error instanceof UnsafeArchiveError && /overlap/.test(error.message),
      );
    });

    test("counts a stored entry's real length, whatever size it declares", () => {
      const zip = zipSync({ "a.bin": new Uint8Array(100_000) }, { level: 0 });
      const [first] = centralEntries(zip) as [number];
      new DataView(zip.buffer).setUint32(first + 24, 10, true); // declares 10 bytes uncompressed
      assert.throws(
        () => unzip(zip, { maxEntryBytes: 1000 }),
        (error: unknown) => error instanceof UnsafeArchiveError && error.limit === "ARCHIVE_BYTES",
      );
      assert.equal(unzip(zip).get("a.bin")?.byteLength, 100_000);
    });

    test("refuses compression methods other than stored and deflate, and Zip64 markers", () => {
      const zip = zipSync({ "a.bin": new Uint8Array(600) });
      const [first] = centralEntries(zip) as [number];
      const view = new DataView(zip.buffer);
      view.setUint16(first + 10, 12, true); // bzip2, in the central directory
      view.setUint16(8, 12, true); // and in the local header
      assert.throws(() => unzip(zip), UnsafeArchiveError);
      const zip64 = zipSync({ "a.bin": strToU8("x") });
      new DataView(zip64.buffer).setUint32((centralEntries(zip64)[0] as number) + 24, 0xffffffff, true);
      assert.throws(() => unzip(zip64), /Zip64/);
    });

    test("refuses an entry pointing outside the archive and a directory claiming more entries than the limit", () => {
      const zip = zipSync({ "a.bin": strToU8("x") });
      const [first] = centralEntries(zip) as [number];
      new DataView(zip.buffer).setUint32(first + 42, 0x7fff_0000, true);
      assert.throws(() => unzip(zip), /outside the archive/);
      const many = zipSync(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, strToU8("x")])));
      assert.throws(
        () => unzip(many, { maxEntries: 3 }),
        (error: unknown) => error instanceof UnsafeArchiveError && error.limit === "ARCHIVE_ENTRIES",
      );
    });
  });
}

for (const [reader, readFolder] of folderReaders) {
  describe(reader, () => {
    test("reads class folders, optionally under one top folder, and decodes every image", () => {
      const zip = zipSync({
        "digits/cats/1.png": png(4, 3, 10),
        "digits/cats/2.png": png(4, 3, 20),
        "digits/dogs/1.png": png(5, 2, 30),
        "__MACOSX/digits/._x": strToU8("junk"),
      });
      const folder = readFolder(zip);
      assert.deepEqual(folder.labels, ["cats", "dogs"]);
      assert.deepEqual(folder.classCounts, [2, 1]);
      assert.deepEqual(
        folder.samples.map((s) => [s.label, s.path]),
        [
          [0, "cats/1.png"],
          [0, "cats/2.png"],
          [1, "dogs/1.png"],
        ],
      );
      assert.deepEqual(validateImageFolder(folder), { maxWidth: 5, maxHeight: 3, grey: true });
    });

    test("rejects datasets with one class, stray files or undecodable images", () => {
      assert.throws(() => readFolder(zipSync({ "cats/1.png": png(2, 2, 1) })), /at least 2 are needed/);
      assert.throws(
        () => readFolder(zipSync({ "cats/1.png": png(2, 2, 1), "dogs/run.sh": strToU8("rm -rf /") })),
        /only .png, .jpg and .jpeg/,
      );
      const broken = readFolder(zipSync({ "cats/1.png": png(2, 2, 1), "dogs/1.jpg": strToU8("not an image") }));
      assert.throws(
        () => validateImageFolder(broken),
        (error: unknown) => error instanceof InvalidDatasetError && error.entry === "dogs/1.jpg",
      );
    });
  });
}

test("ZipFile counts a deflated entry's real inflated size when it declares less, stopping zlib at the limit", () => {
  const zip = zipSync({ "a.bin": new Uint8Array(1_000_000) });
  const [first] = centralEntries(zip) as [number];
  new DataView(zip.buffer).setUint32(first + 24, 10, true); // declares 10 bytes uncompressed
  withFile(zip, { maxEntryBytes: 100_000 }, (file) => {
    const [entry] = file.entries;
    assert.ok(entry);
    assert.throws(
      () => file.read(entry),
      (error: unknown) => error instanceof UnsafeArchiveError && error.limit === "ARCHIVE_BYTES",
    );
  });
});

test("ZipFile counts every entry's real bytes once, even when the archive repeats a name", () => {
  const zip = zipSync({ "a.bin": new Uint8Array(600), "b.bin": new Uint8Array(600) });
  const view = new DataView(zip.buffer);
  for (const at of centralEntries(zip)) {
    view.setUint32(at + 24, 10, true); // each declares 10 bytes uncompressed
    // Rename b.bin to a.bin, in the central directory and in its local header.
    const nameAt = at + 46;
    if (zip[nameAt] === "b".charCodeAt(0)) {
      zip[nameAt] = "a".charCodeAt(0);
      zip[view.getUint32(at + 42, true) + 30] = "a".charCodeAt(0);
    }
  }
  withFile(zip, { maxTotalBytes: 1000 }, (file) => {
    assert.deepEqual(
      file.entries.map((e) => e.name),
      ["a.bin", "a.bin"],
    );
    const [first, second] = file.entries as [ZipEntryLayout, ZipEntryLayout];
    assert.equal(file.read(first).byteLength, 600);
    assert.equal(file.read(first).byteLength, 600, "reading an entry again counts nothing more");
    assert.throws(
      () => file.read(second),
      (error: unknown) => error instanceof UnsafeArchiveError && error.limit === "ARCHIVE_BYTES",
    );
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { zipSync } from "fflate";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { decodeImage, InvalidDatasetError, readImageFolderZip, validateImageFolder } from "./index.ts";

function png(width: number, height: number, options: { interlace?: boolean } = {}): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(128);
  const bytes = new Uint8Array(PNG.sync.write(image));
  if (options.interlace) bytes[28] = 1; // only the header flag: the decoder must never get that far
  return bytes;
}

/** A valid small PNG whose IHDR claims other dimensions (CRC left stale: the header is judged before any check). */
function pngClaiming(width: number, height: number): Uint8Array {
  const bytes = png(4, 4);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return bytes;
}

function refused(bytes: Uint8Array, pattern: RegExp, limit?: string) {
  assert.throws(
    () => decodeImage(bytes, "x.png"),
    (error: unknown) => {
      assert.ok(error instanceof InvalidDatasetError, String(error));
      assert.match(error.message, pattern);
      if (limit) assert.equal(error.limit, limit);
      return true;
    },
  );
}

test("reads PNG and JPEG sizes from the header and refuses oversized images before decoding", () => {
  refused(pngClaiming(1, 2 ** 31), /1 x 2147483648 pixels/, "IMAGE_PIXELS");
  refused(pngClaiming(6000, 6000), /6000 x 6000 pixels/, "IMAGE_PIXELS");
  refused(pngClaiming(20_000, 2), /20000 x 2 pixels/, "IMAGE_PIXELS");
  refused(png(2100, 2100, { interlace: true }), /\(interlaced\)/, "IMAGE_PIXELS");
  const jpg = new Uint8Array(jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 200) }, 90).data);
  assert.deepEqual([decodeImage(jpg).width, decodeImage(jpg).height], [8, 8]);
  const sof = jpg.findIndex((b, i) => b === 0xff && jpg[i + 1] === 0xc0);
  const huge = jpg.slice();
  new DataView(huge.buffer).setUint16(sof + 5, 65_000);
  new DataView(huge.buffer).setUint16(sof + 7, 65_000);
  refused(huge, /65000 x 65000 pixels/, "IMAGE_PIXELS");
});

test("refuses empty images and headers that disagree with the data", () => {
  refused(pngClaiming(0, 8), /0 x 8 pixels/);
  refused(pngClaiming(8, 0), /8 x 0 pixels/);
  refused(pngClaiming(5, 4), /cannot be decoded|differs from its header/);
  refused(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]), /header cannot be read/);
  refused(new Uint8Array([1, 2, 3, 4]), /not a PNG or JPEG/);
});

test("sums every image's pixels from the headers before decoding any", () => {
  const folder = readImageFolderZip(zipSync({ "a/1.png": png(64, 64), "b/1.png": png(64, 64) }));
  assert.throws(
    () => validateImageFolder(folder, { maxTotalPixels: 64 * 64 + 1 }),
    (error: unknown) => error instanceof InvalidDatasetError && error.limit === "IMAGE_PIXELS",
  );
  assert.equal(validateImageFolder(folder).maxWidth, 64);
});

test("refuses class folder names with invisible or direction-changing characters, or too long", () => {
  for (const label of ["ca\u200bts", "dogs\u202egnp.exe", "x".repeat(300)]) {
    assert.throws(
      () => readImageFolderZip(zipSync({ [`${label}/1.png`]: png(2, 2), "other/1.png": png(2, 2) })),
      InvalidDatasetError,
      label.slice(0, 20),
    );
  }
});

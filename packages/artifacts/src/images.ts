import { deceptiveTextProblem, MAX_LABEL_LENGTH } from "@graft/contracts";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { InvalidDatasetError } from "./errors.ts";
import { unzipSafely, type ZipEntryLayout, type ZipFile, type ZipLimits } from "./zip.ts";

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

/** Refuses images whose pixel count would blow memory, read from the header before decoding. */
const MAX_PIXELS = 16 * 2 ** 20;
/** Longest side: a 1 x 2^24 strip is as costly to some decoders as a square. */
const MAX_SIDE = 16_384;
/** Adam7 interlaced PNGs are decoded pass by pass into extra buffers: a lower bound for them. */
const MAX_INTERLACED_PIXELS = 4 * 2 ** 20;

interface ImageHeader {
  format: "png" | "jpeg";
  width: number;
  height: number;
  interlaced: boolean;
}

const isPng = (b: Uint8Array) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;
const isJpeg = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/**
 * Width and height from the header alone (PNG IHDR, JPEG SOFn), so size limits are applied
 * before a decoder allocates anything. Null when the header cannot be found.
 */
function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isPng(bytes)) {
    // Signature (8), IHDR length (4) and type (4), then width, height, depth, colour, compression, filter, interlace.
    if (bytes.byteLength < 29 || view.getUint32(12) !== 0x49484452) return null;
    return { format: "png", width: view.getUint32(16), height: view.getUint32(20), interlaced: bytes[28] !== 0 };
  }
  if (isJpeg(bytes)) {
    let at = 2;
    while (at + 9 < bytes.byteLength) {
      if (bytes[at] !== 0xff) return null;
      const marker = bytes[at + 1] as number;
      if (marker === 0xff) {
        at++; // fill byte
        continue;
      }
      // SOF0..SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { format: "jpeg", height: view.getUint16(at + 5), width: view.getUint16(at + 7), interlaced: false };
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        at += 2;
        continue;
      }
      if (marker === 0xda || marker === 0xd9) return null; // scan data before any frame header
      at += 2 + view.getUint16(at + 2);
    }
  }
  return null;
}

/** The header, refused when the image is empty or larger than the limits. */
function checkImageHeader(bytes: Uint8Array, entry?: string): ImageHeader {
  const header = readImageHeader(bytes);
  if (!header) {
    throw new InvalidDatasetError(
      isPng(bytes) || isJpeg(bytes) ? "image header cannot be read" : "not a PNG or JPEG image",
      entry,
    );
  }
  const { width, height, interlaced } = header;
  if (width === 0 || height === 0) throw new InvalidDatasetError(`image is ${width} x ${height} pixels`, entry);
  const maxPixels = interlaced ? MAX_INTERLACED_PIXELS : MAX_PIXELS;
  if (width > MAX_SIDE || height > MAX_SIDE || width * height > maxPixels)
    throw new InvalidDatasetError(
      `image is ${width} x ${height} pixels; at most ${maxPixels} pixels${interlaced ? " (interlaced)" : ""} and ${MAX_SIDE} per side`,
      entry,
      { limit: "IMAGE_PIXELS" },
    );
  return header;
}

/** Decodes a PNG or JPEG by its magic bytes; anything else is an InvalidDatasetError. */
export function decodeImage(bytes: Uint8Array, entry?: string): DecodedImage {
  const header = checkImageHeader(bytes, entry);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (header.format === "png") {
      const png = PNG.sync.read(buffer);
      // The decoder must agree with the header it was judged by.
      if (png.width !== header.width || png.height !== header.height)
        throw new InvalidDatasetError("image size differs from its header", entry);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    const image = jpeg.decode(buffer, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 2 ** 20,
      maxMemoryUsageInMB: 512,
    });
    if (image.width !== header.width || image.height !== header.height)
      throw new InvalidDatasetError("image size differs from its header", entry);
    return { width: image.width, height: image.height, data: image.data };
  } catch (cause) {
    if (cause instanceof InvalidDatasetError) throw cause;
    throw new InvalidDatasetError(
      `image cannot be decoded: ${cause instanceof Error ? cause.message : String(cause)}`,
      entry,
      { cause },
    );
  }
}

export interface ImageFolder {
  /** Class names, sorted; a sample's `label` indexes this list. */
  labels: string[];
  classCounts: number[];
  samples: { label: number; path: string; bytes: Uint8Array }[];
}

export interface ImageFolderLimits extends ZipLimits {
  /** @default 2 */
  minClasses?: number;
  /** @default 1000 */
  maxClasses?: number;
  /** @default 100_000 */
  maxImages?: number;
  /** Pixels of all images together, summed from their headers before any is decoded. @default 2^29 */
  maxTotalPixels?: number;
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * Reads a zip of class folders (`cats/1.png`, `dogs/2.jpg`, optionally all under one
 * top folder). Only the layout is checked here; `validateImageFolder` decodes every image.
 */
export function readImageFolderZip(bytes: Uint8Array, limits: ImageFolderLimits = {}): ImageFolder {
  const files = unzipSafely(bytes, limits);
  const { prefix, labels, byClass } = layoutImageFolder([...files.keys()], limits);
  const samples = labels.flatMap((label, index) =>
    (byClass.get(label) ?? []).map((path) => ({ label: index, path, bytes: files.get(prefix + path) as Uint8Array })),
  );
  return { labels, classCounts: labels.map((l) => byClass.get(l)?.length ?? 0), samples };
}

/**
 * `readImageFolderZip` for a zip on disk: the same layout checks on the entry names, and
 * samples that inflate their image only when read, so memory holds one image at a time.
 */
export function readImageFolderZipFile(zip: ZipFile, limits: ImageFolderLimits = {}): LazyImageFolder {
  const byName = new Map(zip.entries.map((e) => [e.name, e]));
  const { prefix, labels, byClass } = layoutImageFolder([...byName.keys()], limits);
  const samples = labels.flatMap((label, index) =>
    (byClass.get(label) ?? []).map((path) => ({
      label: index,
      path,
      read: () => zip.read(byName.get(prefix + path) as ZipEntryLayout),
    })),
  );
  return { labels, classCounts: labels.map((l) => byClass.get(l)?.length ?? 0), samples };
}

export interface LazyImageFolder {
  labels: string[];
  classCounts: number[];
  samples: { label: number; path: string; read(): Uint8Array }[];
}

/** Class folders from entry paths: labels sorted, each class's paths sorted, `prefix` the wrapping folder. */
function layoutImageFolder(allPaths: string[], limits: ImageFolderLimits) {
  let paths = allPaths;
  const tops = new Set(paths.map((p) => p.split("/")[0]));
  // One wrapping folder (zip of a directory): look inside it.
  const prefix = tops.size === 1 && paths.every((p) => p.split("/").length === 3) ? `${[...tops][0]}/` : "";
  paths = paths.map((p) => p.slice(prefix.length));

  const byClass = new Map<string, string[]>();
  for (const path of paths) {
    const parts = path.split("/");
    if (parts.length !== 2) throw new InvalidDatasetError("expected class folders of images (class/image.png)", path);
    if (!IMAGE_FILE.test(path)) throw new InvalidDatasetError("only .png, .jpg and .jpeg files are allowed", path);
    const [label] = parts as [string, string];
    // A class folder's name becomes a label shown on every screen and in every prediction.
    if (label.length > MAX_LABEL_LENGTH)
      throw new InvalidDatasetError(`class name longer than ${MAX_LABEL_LENGTH} characters`, label.slice(0, 40), {
        limit: "TEXT_LENGTH",
      });
    const problem = deceptiveTextProblem(label);
    if (problem) throw new InvalidDatasetError(`class name ${problem}`, JSON.stringify(label));
    byClass.set(label, [...(byClass.get(label) ?? []), path]);
  }
  const labels = [...byClass.keys()].sort();
  if (labels.length < (limits.minClasses ?? 2))
    throw new InvalidDatasetError(
      `found ${labels.length} class folder(s); at least ${limits.minClasses ?? 2} are needed`,
    );
  if (labels.length > (limits.maxClasses ?? 1000)) throw new InvalidDatasetError("too many classes");
  if (paths.length > (limits.maxImages ?? 100_000)) throw new InvalidDatasetError("too many images");
  for (const list of byClass.values()) list.sort();
  return { prefix, labels, byClass };
}

/**
 * Checks every image's header first (sizes, and their sum against maxTotalPixels), then
 * decodes every image (throws on the first bad one) and reports the largest size seen.
 */
export function validateImageFolder(
  folder: ImageFolder | LazyImageFolder,
  limits: Pick<ImageFolderLimits, "maxTotalPixels"> = {},
): { maxWidth: number; maxHeight: number; grey: boolean } {
  const maxTotalPixels = limits.maxTotalPixels ?? 2 ** 29;
  let totalPixels = 0;
  // A lazy folder inflates each image twice (headers, then decoding): one image in memory at a time.
  const bytesOf = (sample: (typeof folder.samples)[number]) => ("bytes" in sample ? sample.bytes : sample.read());
  for (const sample of folder.samples) {
    const { width, height } = checkImageHeader(bytesOf(sample), sample.path);
    totalPixels += width * height;
    if (totalPixels > maxTotalPixels)
      throw new InvalidDatasetError(`the images hold more than ${maxTotalPixels} pixels in all`, undefined, {
        limit: "IMAGE_PIXELS",
      });
  }
  let maxWidth = 0;
  let maxHeight = 0;
  let grey = true;
  for (const sample of folder.samples) {
    const image = decodeImage(bytesOf(sample), sample.path);
    maxWidth = Math.max(maxWidth, image.width);
    maxHeight = Math.max(maxHeight, image.height);
    if (grey) {
      const d = image.data;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] !== d[i + 1] || d[i] !== d[i + 2]) {
          grey = false;
          break;
        }
      }
    }
  }
  return { maxWidth, maxHeight, grey };
}

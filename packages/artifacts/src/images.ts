import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { InvalidDatasetError } from "./errors.ts";
import { unzipSafely, type ZipLimits } from "./zip.ts";

export interface DecodedImage {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Uint8Array;
}

/** Refuses images whose pixel count would blow memory (checked from the header by the decoders). */
const MAX_PIXELS = 16 * 2 ** 20;

/** Decodes a PNG or JPEG by its magic bytes; anything else is an InvalidDatasetError. */
export function decodeImage(bytes: Uint8Array, entry?: string): DecodedImage {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
      const png = PNG.sync.read(buffer);
      if (png.width * png.height > MAX_PIXELS) throw new InvalidDatasetError("image too large", entry);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
    }
    if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
      const image = jpeg.decode(buffer, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_PIXELS / 2 ** 20,
        maxMemoryUsageInMB: 512,
      });
      return { width: image.width, height: image.height, data: image.data };
    }
  } catch (cause) {
    if (cause instanceof InvalidDatasetError) throw cause;
    throw new InvalidDatasetError(
      `image cannot be decoded: ${cause instanceof Error ? cause.message : String(cause)}`,
      entry,
      { cause },
    );
  }
  throw new InvalidDatasetError("not a PNG or JPEG image", entry);
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
}

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/**
 * Reads a zip of class folders (`cats/1.png`, `dogs/2.jpg`, optionally all under one
 * top folder). Only the layout is checked here; `validateImageFolder` decodes every image.
 */
export function readImageFolderZip(bytes: Uint8Array, limits: ImageFolderLimits = {}): ImageFolder {
  const files = unzipSafely(bytes, limits);
  let paths = [...files.keys()];
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
    byClass.set(label, [...(byClass.get(label) ?? []), path]);
  }
  const labels = [...byClass.keys()].sort();
  if (labels.length < (limits.minClasses ?? 2))
    throw new InvalidDatasetError(
      `found ${labels.length} class folder(s); at least ${limits.minClasses ?? 2} are needed`,
    );
  if (labels.length > (limits.maxClasses ?? 1000)) throw new InvalidDatasetError("too many classes");
  if (paths.length > (limits.maxImages ?? 100_000)) throw new InvalidDatasetError("too many images");

  const samples = labels.flatMap((label, index) =>
    (byClass.get(label) ?? [])
      .sort()
      .map((path) => ({ label: index, path, bytes: files.get(prefix + path) as Uint8Array })),
  );
  return { labels, classCounts: labels.map((l) => byClass.get(l)?.length ?? 0), samples };
}

/** Decodes every image (throws on the first bad one) and reports the largest size seen. */
export function validateImageFolder(folder: ImageFolder): { maxWidth: number; maxHeight: number; grey: boolean } {
  let maxWidth = 0;
  let maxHeight = 0;
  let grey = true;
  for (const sample of folder.samples) {
    const image = decodeImage(sample.bytes, sample.path);
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

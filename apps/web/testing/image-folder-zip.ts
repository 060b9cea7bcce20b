import { zipSync } from "fflate";
import { PNG } from "pngjs";

/** A tiny dataset zip: one folder per class of small grayscale PNGs, each class a distinct pattern. */
export function imageFolderZip(classes: string[], perClass: number, size = 8): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  classes.forEach((label, c) => {
    for (let i = 0; i < perClass; i++) {
      const png = new PNG({ width: size, height: size });
      for (let p = 0; p < size * size; p++) {
        const v = (p + i + c * 37) % (c + 2) === 0 ? 255 : 0;
        png.data.set([v, v, v, 255], p * 4);
      }
      files[`${label}/${i}.png`] = new Uint8Array(PNG.sync.write(png));
    }
  });
  return zipSync(files);
}

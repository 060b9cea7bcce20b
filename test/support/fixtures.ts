import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { strToU8, zipSync } from "fflate";
import { PNG } from "pngjs";

/**
 * Tiny, valid inputs for gateway tests: a tfjs LayersModel small enough to write by hand and
 * a zip of class folders of real PNGs.
 */

export interface TinyModel {
  modelJson: Record<string, unknown>;
  files: Map<string, Uint8Array>;
}

/**
 * Sequential [size, size, channels] -> flatten -> dense "features" (4) -> dense "head"
 * (classes, softmax). Weights are deterministic from `seed`, so two seeds hash differently.
 */
export function tinyModel(
  options: { size?: number; channels?: 1 | 3; classes?: number; seed?: number } = {},
): TinyModel {
  const size = options.size ?? 8;
  const channels = options.channels ?? 1;
  const classes = options.classes ?? 3;
  const inputs = size * size * channels;
  const specs = [
    { name: "features/kernel", shape: [inputs, 4], dtype: "float32" },
    { name: "features/bias", shape: [4], dtype: "float32" },
    { name: "head/kernel", shape: [4, classes], dtype: "float32" },
    { name: "head/bias", shape: [classes], dtype: "float32" },
  ];
  const count = inputs * 4 + 4 + 4 * classes + classes;
  const seed = options.seed ?? 1;
  const weights = new Float32Array(count).map((_, i) => Math.sin(i * 0.37 + seed) * 0.1);
  const modelJson = {
    format: "layers-model",
    generatedBy: "graft test fixture",
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "tiny",
        layers: [
          { class_name: "Flatten", config: { name: "flatten", batch_input_shape: [null, size, size, channels] } },
          { class_name: "Dense", config: { name: "features", units: 4, activation: "relu" } },
          { class_name: "Dense", config: { name: "head", units: classes, activation: "softmax" } },
        ],
      },
    },
    weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: specs }],
  };
  return {
    modelJson,
    files: new Map([
      ["model.json", strToU8(JSON.stringify(modelJson))],
      ["group1-shard1of1.bin", new Uint8Array(weights.buffer)],
    ]),
  };
}

export function zipFiles(files: Map<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(files));
}

export function png(width: number, height: number, shade: number): Uint8Array {
  const image = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    image.data[i * 4] = shade;
    image.data[i * 4 + 1] = shade;
    image.data[i * 4 + 2] = shade;
    image.data[i * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(image));
}

/** A zip of class folders, `perClass` grey PNGs each. */
export function imageFolderZip(labels: string[] = ["cats", "dogs"], perClass = 3, size = 8): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  labels.forEach((label, c) => {
    for (let i = 0; i < perClass; i++) entries[`${label}/${i}.png`] = png(size, size, (c * 80 + i * 10) % 256);
  });
  return zipSync(entries);
}

/**
 * Serves `files()` (read on every request, so a test can change them) under
 * http://127.0.0.1:<port>/m/<name>, 404 for anything else: a model "on the web" for URL registration.
 */
export async function serveFiles(
  files: () => Map<string, Uint8Array>,
): Promise<{ url(name: string): string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const file = files().get((req.url ?? "").replace(/^\/m\//, ""));
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (name) => `http://127.0.0.1:${port}/m/${name}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

import assert from "node:assert/strict";
import { test } from "node:test";
import { zipSync } from "fflate";
import { PNG } from "pngjs";
import { IncompatibleDatasetError } from "../job-errors.ts";
import { initBackend } from "./backend.ts";
import { imageFolderZipToImages, loadDataset } from "./dataset.ts";
import { isTextData, type TrainingData } from "./input-pipeline.ts";
import type { LabeledImages } from "./preprocess.ts";

function images(data: TrainingData): LabeledImages {
  assert.ok(!isTextData(data), "images, not texts");
  return data;
}

await initBackend();

function png(width: number, height: number, value: number): Uint8Array {
  const image = new PNG({ width, height });
  image.data.fill(value);
  for (let i = 3; i < image.data.length; i += 4) image.data[i] = 255;
  return new Uint8Array(PNG.sync.write(image));
}

test("an uploaded zip of class folders becomes RGB images of one size", async () => {
  const zip = zipSync({
    "cats/a.png": png(10, 10, 200),
    "cats/b.png": png(20, 16, 100),
    "dogs/c.png": png(10, 10, 0),
  });
  const store = { get: async (key: string) => (key === "uploads/u1" ? zip : null) };
  const data = images(await loadDataset({ kind: "UPLOAD", artifactKey: "uploads/u1" }, { store }));
  assert.deepEqual(data.labelNames, ["cats", "dogs"]);
  assert.deepEqual(data.shape, [3, 10, 10, 3]);
  assert.deepEqual(Array.from(data.labels).sort(), [0, 0, 1]);
  const first = data.labels.indexOf(0);
  assert.equal(data.images[first * 300], 200);
  await assert.rejects(
    loadDataset({ kind: "UPLOAD", artifactKey: "uploads/none" }, { store }),
    IncompatibleDatasetError,
  );
});

test("an undecodable image in an upload fails with an error naming the file", () => {
  const zip = zipSync({
    "cats/a.png": png(8, 8, 10),
    "dogs/broken.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4, 5]),
  });
  assert.throws(
    () => imageFolderZipToImages(zip),
    (error: unknown) => {
      assert.ok(error instanceof IncompatibleDatasetError);
      assert.match(error.message, /dogs\/broken\.png/);
      assert.equal(error.retryable, false);
      return true;
    },
  );
});

test("the built-in halves carry their own label names", async () => {
  const data = images(await loadDataset({ kind: "BUILTIN", name: "mnist-0-4" }));
  assert.deepEqual(data.labelNames, ["0", "1", "2", "3", "4"]);
  assert.equal(data.shape[0], 1001 + 1127 + 991 + 1032 + 980);
});

test("a stored text dataset loads as texts, and a corrupt one fails as an incompatible dataset", async () => {
  const jsonl = new TextEncoder().encode(
    '{"text":"free money now","label":"spam"}\n{"text":"meeting at 3","label":"ham"}\n',
  );
  const store = { get: async (key: string) => (key === "datasets/t.jsonl" ? jsonl : new Uint8Array([0xff, 0xfe, 0])) };
  const data = await loadDataset({ kind: "UPLOAD", artifactKey: "datasets/t.jsonl" }, { store });
  assert.ok(isTextData(data));
  assert.deepEqual(data.labelNames, ["ham", "spam"]);
  assert.deepEqual(data.texts, ["free money now", "meeting at 3"]);
  assert.deepEqual([...data.labels], [1, 0]);
  await assert.rejects(
    loadDataset({ kind: "UPLOAD", artifactKey: "datasets/bad" }, { store }),
    IncompatibleDatasetError,
  );
});

test("the built-in spam corpus loads as texts", async () => {
  const data = await loadDataset({ kind: "BUILTIN", name: "spam-assassin" });
  assert.ok(isTextData(data));
  assert.equal(data.texts.length, 6046);
  assert.deepEqual(data.labelNames, ["ham", "spam"]);
});

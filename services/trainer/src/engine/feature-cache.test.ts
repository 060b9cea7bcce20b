import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { RunProgress } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import { initBackend } from "./backend.ts";
import { loadDataset } from "./dataset.ts";
import { FeatureCache } from "./feature-cache.ts";
import { fineTune } from "./fine-tune.ts";
import type { LabeledImages } from "./preprocess.ts";
import { loadBuiltin } from "./test-helpers.ts";

await initBackend();
const mnist59 = (await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" })) as LabeledImages;
const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function freshCache(maxBytes?: number) {
  const dir = await mkdtemp(join(tmpdir(), "graft-feature-cache-"));
  dirs.push(dir);
  return new FeatureCache({ dir, ...(maxBytes ? { maxBytes } : {}) });
}

const entries = async (cache: FeatureCache) => (await readdir(cache.dir)).filter((f) => f.endsWith(".features"));

/** A frozen digits-cnn fine-tune: how many samples it extracted, and its head's weights. */
async function run(
  featureStore: FeatureCache | undefined,
  options: { dataset?: LabeledImages; featureLayer?: string; maxSamples?: number } = {},
) {
  const { meta, base } = await loadBuiltin("digits-cnn");
  let extracted = 0;
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: options.featureLayer ?? meta.featureLayer,
    dataset: options.dataset ?? mnist59,
    hyperparameters: hyperparameters({ epochs: 1, maxSamples: options.maxSamples ?? 60, validationSplit: 0.25 }),
    ...(featureStore ? { featureStore } : {}),
    onProgress: (report: RunProgress) => {
      if (report.phase === "EXTRACTING_FEATURES") extracted = report.total;
    },
  });
  assert.equal(result.trainingPath, "FEATURE_CACHE");
  const head =
    result.model.layers
      .slice(-1)[0]
      ?.getWeights()
      .map((w) => Array.from(w.dataSync())) ?? [];
  result.model.dispose();
  return { extracted, head };
}

test("a second fine-tune of the same base and dataset reads its features from disk, bit for bit", async () => {
  const cache = await freshCache();
  const first = await run(cache);
  assert.equal(first.extracted, 60, "the first run extracts every train and validation sample");
  const [file] = await entries(cache);
  assert.ok(file, "and stores them");
  const stored = await readFile(join(cache.dir, file));

  const second = await run(cache);
  assert.equal(second.extracted, 0, "the second run extracts nothing");
  assert.deepEqual(await readFile(join(cache.dir, file)), stored, "and leaves the entry as it was");
  // Same seed, same features: the head trains to the same weights as with fresh extraction.
  assert.deepEqual(second.head, first.head);
  assert.deepEqual((await run(undefined)).head, first.head, "the stored features equal freshly extracted ones");
});

test("more samples extend the entry; another cut or other pixels get their own", async () => {
  const cache = await freshCache();
  await run(cache, { maxSamples: 40 });
  const more = await run(cache, { maxSamples: 80 });
  const all = (await run(undefined, { maxSamples: 80 })).extracted;
  assert.ok(more.extracted > 0 && more.extracted < all, `only new samples are extracted (${more.extracted} of ${all})`);
  assert.equal((await entries(cache)).length, 1);
  assert.equal((await run(cache, { maxSamples: 80 })).extracted, 0);

  assert.equal((await run(cache, { featureLayer: "features" })).extracted, 60, "another cut is another key");
  const inverted = { ...mnist59, images: mnist59.images.map((v) => 255 - v) };
  assert.equal((await run(cache, { dataset: inverted })).extracted, 60, "other pixels are another key");
  assert.equal((await entries(cache)).length, 3);
});

test("a truncated or altered entry is a miss: deleted, extracted again, stored whole", async () => {
  const cache = await freshCache();
  const first = await run(cache);
  const [file] = await entries(cache);
  const path = join(cache.dir, file as string);
  const whole = await readFile(path);

  await truncate(path, whole.length - 100);
  const afterTruncation = await run(cache);
  assert.equal(afterTruncation.extracted, 60);
  assert.deepEqual(await readFile(path), whole);

  const flipped = Buffer.from(whole);
  flipped[whole.length >> 1] = (flipped[whole.length >> 1] as number) ^ 0xff;
  await writeFile(path, flipped);
  const afterFlip = await run(cache);
  assert.equal(afterFlip.extracted, 60);
  assert.deepEqual(afterFlip.head, first.head);
  assert.deepEqual(await readFile(path), whole);
});

test("the directory stays within maxBytes, least recently used first; keys are hex digests", async () => {
  const entry = (n: number) => ({
    dims: 4,
    indices: Int32Array.from({ length: n }, (_, i) => i),
    features: new Float32Array(n * 4).fill(n),
  });
  const key = (c: string) => c.repeat(64);
  // 16 header + 32 checksum + 20 bytes a sample: 100 samples = 2,048 bytes.
  const cache = await freshCache(5_000);
  assert.equal(await cache.write(key("a"), entry(100)), true);
  assert.equal(await cache.write(key("b"), entry(100)), true);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(await cache.read(key("a")), "reading a marks it used");
  assert.equal(await cache.write(key("c"), entry(100)), true);
  assert.deepEqual((await entries(cache)).sort(), [`${key("a")}.features`, `${key("c")}.features`]);
  assert.equal(await cache.write(key("d"), entry(300)), false, "an entry larger than the bound is not stored");
  assert.deepEqual((await cache.read(key("c")))?.features, entry(100).features);
  await assert.rejects(cache.read("../../etc/passwd"), TypeError);
});

import assert from "node:assert/strict";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { builtinModel } from "@graft/catalog";
import type { RunProgress } from "@graft/contracts";
import { hyperparameters } from "@graft/testkit";
import type { EngineHost } from "./engine-port.ts";
import { threadedEngine } from "./training-thread.ts";

const dir = await mkdtemp(join(tmpdir(), "graft-thread-feature-cache-"));
after(() => rm(dir, { recursive: true, force: true }));
const meta = builtinModel("digits-cnn");
const artifact = await meta.load();

/** One frozen fine-tune job on its own training thread: whether it extracted features. */
async function frozenJob(host: EngineHost): Promise<boolean> {
  const engine = await host.openJob();
  try {
    const base = await engine.loadModel({ kind: "artifact", artifact });
    const dataset = await engine.loadDataset(
      { kind: "BUILTIN", name: "mnist-5-9" },
      { readArtifact: async () => null },
    );
    const phases = new Set<RunProgress["phase"]>();
    const result = await engine.fineTune({
      base,
      preprocessing: meta.preprocessing,
      featureLayer: meta.featureLayer,
      dataset,
      hyperparameters: hyperparameters({ epochs: 1, maxSamples: 60 }),
      onProgress: (report) => phases.add(report.phase),
    });
    assert.equal(result.trainingPath, "FEATURE_CACHE");
    assert.ok(phases.has("TRAINING"));
    result.model.dispose();
    return phases.has("EXTRACTING_FEATURES");
  } finally {
    await engine.close();
  }
}

test("jobs on a node with a feature cache share extracted features across their training threads", async () => {
  const cached = threadedEngine({ featureCache: { dir, maxBytes: 64 * 1024 ** 2 } });
  await cached.initBackend();
  assert.equal(await frozenJob(cached), true, "the first job extracts");
  assert.equal((await readdir(dir)).filter((f) => f.endsWith(".features")).length, 1);
  assert.equal(await frozenJob(cached), false, "the next job, on a fresh thread, reads them");

  const uncached = threadedEngine();
  await uncached.initBackend();
  assert.equal(await frozenJob(uncached), true, "a node without the cache extracts every time");
});

import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { ModelArtifact } from "@graft/artifacts";
import * as tf from "@tensorflow/tfjs";
import { CorruptModelError } from "../job-errors.ts";
import { initBackend } from "./backend.ts";
import { exportModel } from "./export.ts";
import { loadModel } from "./model-io.ts";

await initBackend();

async function tinyArtifact(): Promise<ModelArtifact> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ name: "hidden", inputShape: [4], units: 3, activation: "relu" }),
      tf.layers.dense({ name: "out", units: 2, activation: "softmax" }),
    ],
  });
  const { artifact } = await exportModel(model);
  model.dispose();
  return artifact;
}

test("a model round-trips through artifact, file and URL sources with the same weights", async () => {
  const artifact = await tinyArtifact();
  const dir = await mkdtemp(join(tmpdir(), "graft-model-"));
  await writeFile(join(dir, "model.json"), JSON.stringify(artifact.modelJson));
  await writeFile(join(dir, "weights.bin"), artifact.weights);
  const server = createServer(async (req, res) => {
    const name = req.url === "/m/model.json" ? "model.json" : req.url === "/m/weights.bin" ? "weights.bin" : null;
    if (!name) return void res.writeHead(404).end();
    res.end(name === "model.json" ? JSON.stringify(artifact.modelJson) : Buffer.from(artifact.weights));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  try {
    const models = [
      await loadModel({ kind: "artifact", artifact }),
      await loadModel({ kind: "file", path: join(dir, "model.json") }),
      await loadModel({ kind: "url", url: `http://127.0.0.1:${port}/m/model.json` }),
    ];
    const input = tf.tensor2d([[1, 2, 3, 4]]);
    const outputs = models.map((m) => Array.from((m.predict(input) as tf.Tensor).dataSync()));
    assert.deepEqual(outputs[1], outputs[0]);
    assert.deepEqual(outputs[2], outputs[0]);
    input.dispose();
    for (const m of models) m.dispose();
    await assert.rejects(
      loadModel({ kind: "url", url: `http://127.0.0.1:${port}/missing/model.json` }),
      CorruptModelError,
    );
  } finally {
    server.close();
    await rm(dir, { recursive: true });
  }
});

test("corrupt model artifacts fail with a non-retryable CorruptModelError", async () => {
  const artifact = await tinyArtifact();
  const cases: [string, ModelArtifact][] = [
    ["short weights", { ...artifact, weights: artifact.weights.subarray(0, 10) }],
    ["no weights", { ...artifact, weights: new Uint8Array(0) }],
    ["no topology", { modelJson: { weightsManifest: artifact.modelJson.weightsManifest }, weights: artifact.weights }],
    [
      "garbage topology",
      {
        modelJson: { ...artifact.modelJson, modelTopology: { class_name: "Sequential", config: 7 } },
        weights: artifact.weights,
      },
    ],
  ];
  for (const [label, bad] of cases) {
    await assert.rejects(loadModel({ kind: "artifact", artifact: bad }), (error: unknown) => {
      assert.ok(error instanceof CorruptModelError, `${label}: ${String(error)}`);
      assert.equal(error.retryable, false);
      return true;
    });
  }
  const dir = await mkdtemp(join(tmpdir(), "graft-model-"));
  try {
    await writeFile(join(dir, "model.json"), "{ not json");
    await assert.rejects(loadModel({ kind: "file", path: join(dir, "model.json") }), CorruptModelError);
  } finally {
    await rm(dir, { recursive: true });
  }
});

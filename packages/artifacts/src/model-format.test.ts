import assert from "node:assert/strict";
import { test } from "node:test";
import { strToU8, zipSync } from "fflate";
import { InvalidModelError, parseModelArtifact, parseModelFiles, unzipSafely } from "./index.ts";

/** A two-layer Sequential model: dense (2x3 kernel + bias) -> dense_1 (3x2 kernel + bias). */
function tinyModel(weights: { name: string; shape: number[]; dtype: "float32"; quantization?: object }[]) {
  return {
    format: "layers-model",
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "tiny",
        layers: [
          { class_name: "Dense", config: { name: "dense", units: 3, batch_input_shape: [null, 2] } },
          { class_name: "Dropout", config: { name: "dropout", rate: 0.1 } },
          { class_name: "Dense", config: { name: "dense_1", units: 2 } },
        ],
      },
    },
    weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights }],
  };
}

const float32Specs = [
  { name: "dense/kernel", shape: [2, 3], dtype: "float32" as const },
  { name: "dense/bias", shape: [3], dtype: "float32" as const },
  { name: "dense_1/kernel", shape: [3, 2], dtype: "float32" as const },
  { name: "dense_1/bias", shape: [2], dtype: "float32" as const },
];

function files(modelJson: object, weights: Uint8Array) {
  return new Map([
    ["model.json", strToU8(JSON.stringify(modelJson))],
    ["group1-shard1of1.bin", weights],
  ]);
}

test("describes layers, params, input shape and the feature layer of a tfjs model", () => {
  const weights = new Float32Array(6 + 3 + 6 + 2).map((_, i) => i / 10);
  const parsed = parseModelFiles(files(tinyModel(float32Specs), new Uint8Array(weights.buffer)));
  assert.deepEqual(parsed.inputShape, [2]);
  assert.equal(parsed.outputUnits, 2);
  assert.equal(parsed.paramCount, 17);
  assert.equal(parsed.featureLayer, "dense");
  assert.deepEqual(
    parsed.layers.map((l) => [l.name, l.params, l.weightHash === null]),
    [
      ["dense", 9, false],
      ["dropout", 0, true],
      ["dense_1", 8, false],
    ],
  );
  assert.deepEqual(parsed.artifact.modelJson.weightsManifest, [{ paths: ["weights.bin"], weights: float32Specs }]);
});

test("hashes a quantized layer like its dequantized float32 copy saved in another order", () => {
  // uint8 quantized: value = q * scale + min, exactly as tfjs decodes it.
  const scale = 0.5;
  const min = -1;
  const q = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const quantizedSpecs = float32Specs.map((s) => ({ ...s, quantization: { dtype: "uint8", scale, min } }));
  const quantized = parseModelFiles(files(tinyModel(quantizedSpecs), q));

  const values = Float32Array.from(q, (v) => v * scale + min);
  // tfjs saves bias after kernel; reorder to kernel-last to prove order does not matter.
  const reordered = [float32Specs[1], float32Specs[0], float32Specs[3], float32Specs[2]] as typeof float32Specs;
  const reorderedValues = new Float32Array([
    ...values.slice(6, 9),
    ...values.slice(0, 6),
    ...values.slice(15, 17),
    ...values.slice(9, 15),
  ]);
  const plain = parseModelFiles(files(tinyModel(reordered), new Uint8Array(reorderedValues.buffer)));

  assert.deepEqual(
    plain.layers.map((l) => l.weightHash),
    quantized.layers.map((l) => l.weightHash),
  );
  const changed = reorderedValues.slice();
  changed[0] = (changed[0] as number) + 1;
  const other = parseModelFiles(files(tinyModel(reordered), new Uint8Array(changed.buffer)));
  assert.notEqual(other.layers[0]?.weightHash, plain.layers[0]?.weightHash);
  assert.equal(other.layers[2]?.weightHash, plain.layers[2]?.weightHash);
});

test("rejects corrupt models with a reason", () => {
  const weights = new Uint8Array(17 * 4);
  const cases: [Map<string, Uint8Array>, RegExp][] = [
    [new Map([["model.json", strToU8("{not json")]]), /not valid JSON/],
    [new Map([["weights.bin", weights]]), /model.json is missing/],
    [files(tinyModel(float32Specs), weights.subarray(0, 10)), /manifest needs 68/],
    [
      new Map([["model.json", strToU8(JSON.stringify(tinyModel(float32Specs)))]]),
      /weight file group1-shard1of1.bin is missing/,
    ],
    [
      files({ ...tinyModel(float32Specs), weightsManifest: [{ paths: ["../x.bin"], weights: float32Specs }] }, weights),
      /not a plain file name/,
    ],
    [files({ format: "graph-model", modelTopology: { node: [] }, weightsManifest: [] }, weights), /no class_name/],
    [files(tinyModel([{ name: "ghost/kernel", shape: [17], dtype: "float32" }]), weights), /unknown layers: ghost/],
  ];
  for (const [input, reason] of cases) {
    assert.throws(
      () => parseModelFiles(input),
      (error: unknown) => error instanceof InvalidModelError && reason.test(error.message),
    );
  }
  assert.throws(() => parseModelArtifact({ modelJson: { modelTopology: null }, weights }), InvalidModelError);
});

test("reads a model from a zip of model.json and shards", () => {
  const weights = new Uint8Array(new Float32Array(17).buffer);
  const zip = zipSync({
    "model.json": strToU8(JSON.stringify(tinyModel(float32Specs))),
    "group1-shard1of1.bin": weights,
  });
  const parsed = parseModelFiles(unzipSafely(zip));
  assert.equal(parsed.layers.length, 3);
});

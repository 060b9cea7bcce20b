import assert from "node:assert/strict";
import { test } from "node:test";
import { strToU8 } from "fflate";
import { InvalidModelError, ModelLimitError, parseModelFiles } from "./index.ts";

/** A one-Dense-layer model whose manifest and first layer the cases replace. */
function model(options: {
  layers?: object[];
  weights?: { name: string; shape: number[]; dtype: "float32" }[];
  paths?: string[];
  inputShape?: (number | null)[];
}) {
  return {
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "m",
        layers: options.layers ?? [
          {
            class_name: "Dense",
            config: { name: "dense", units: 1, batch_input_shape: options.inputShape ?? [null, 2] },
          },
        ],
      },
    },
    weightsManifest: [{ paths: options.paths ?? ["w.bin"], weights: options.weights ?? [] }],
  };
}

function filesOf(json: object | string, weights = new Uint8Array(0), paths = ["w.bin"]) {
  const map = new Map([["model.json", strToU8(typeof json === "string" ? json : JSON.stringify(json))]]);
  for (const path of paths) map.set(path, weights);
  return map;
}

function refusedWith(files: Map<string, Uint8Array>, limit: string, limits = {}) {
  assert.throws(
    () => parseModelFiles(files, limits),
    (error: unknown) => {
      assert.ok(error instanceof ModelLimitError, String(error));
      assert.ok(error instanceof InvalidModelError, "a limit error is an invalid-model error to older callers");
      assert.equal(error.limit, limit);
      return true;
    },
  );
}

test("refuses a weight name of 20,000 slashes by its length, and parses 200,000 linearly when allowed", () => {
  const slashes = `dense${"/".repeat(20_000)}kernel`;
  refusedWith(filesOf(model({ weights: [{ name: slashes, shape: [1], dtype: "float32" }] })), "MODEL_NAME_LENGTH");
  // With the cap lifted the lookup still does bounded work per slash: this finished in hours before.
  const huge = `dense${"/".repeat(200_000)}kernel`;
  const parsed = () =>
    parseModelFiles(filesOf(model({ weights: [{ name: huge, shape: [1], dtype: "float32" }] }), new Uint8Array(4)), {
      maxWeightNameLength: 1e6,
    });
  assert.equal(parsed().layers[0]?.params, 1, "the weight belongs to dense, its longest known prefix");
});

test("20,000 weight entries of one layer parse in linear time; one more than the cap is refused", () => {
  const weights = Array.from({ length: 20_000 }, (_, i) => ({
    name: `dense/w${i}`,
    shape: [1],
    dtype: "float32" as const,
  }));
  const parsed = parseModelFiles(filesOf(model({ weights }), new Uint8Array(20_000 * 4)));
  assert.equal(parsed.layers[0]?.params, 20_000);
  refusedWith(
    filesOf(model({ weights: [...weights, { name: "dense/x", shape: [1], dtype: "float32" }] })),
    "MODEL_WEIGHT_ENTRIES",
  );
});

test("refuses too many layers, long layer names and shards before reading weights", () => {
  const layers = Array.from({ length: 5001 }, (_, i) => ({
    class_name: "Dense",
    config: { name: `d${i}`, units: 1, batch_input_shape: [null, 1] },
  }));
  refusedWith(filesOf(model({ layers })), "MODEL_LAYERS");
  const long = [{ class_name: "Dense", config: { name: "x".repeat(300), units: 1, batch_input_shape: [null, 1] } }];
  refusedWith(filesOf(model({ layers: long })), "MODEL_NAME_LENGTH");
  const paths = Array.from({ length: 300 }, (_, i) => `s${i}.bin`);
  refusedWith(filesOf(model({ paths }), new Uint8Array(0), paths), "MODEL_SHARDS");
});

test("refuses more parameters than the cap from the shapes alone", () => {
  // 20000 x 20000 float32 would be 1.6 GB; only the manifest is read.
  refusedWith(
    filesOf(model({ weights: [{ name: "dense/kernel", shape: [20_000, 20_000], dtype: "float32" }] })),
    "MODEL_PARAMETERS",
  );
});

test("refuses an input shape no trainer could hold: [16000, 16000, 3], rank 5", () => {
  refusedWith(filesOf(model({ inputShape: [null, 16_000, 16_000, 3] })), "MODEL_INPUT_SHAPE");
  refusedWith(filesOf(model({ inputShape: [null, 2, 2, 2, 2, 2] })), "MODEL_INPUT_SHAPE");
  // A 224 x 224 RGB image model is well inside.
  assert.deepEqual(parseModelFiles(filesOf(model({ inputShape: [null, 224, 224, 3] }))).inputShape, [224, 224, 3]);
});

test("refuses model.json nested deeper than 64 before parsing it, and an oversized model.json", () => {
  const deep = JSON.stringify(model({})).replace(/}$/, `,"extra":${"[".repeat(100_000)}${"]".repeat(100_000)}}`);
  refusedWith(filesOf(deep), "JSON_DEPTH");
  refusedWith(filesOf(model({})), "MODEL_JSON_BYTES", { maxModelJsonBytes: 10 });
  // Brackets inside strings are text, not nesting.
  const quoted = JSON.stringify({ ...model({}), note: "[".repeat(1000) });
  assert.equal(parseModelFiles(filesOf(quoted)).layers.length, 1);
});

test("a shard named many times counts its bytes each time", () => {
  const paths = Array.from({ length: 200 }, () => "w.bin");
  refusedWith(filesOf(model({ paths }), new Uint8Array(1000)), "MODEL_WEIGHT_BYTES", { maxWeightBytes: 100_000 });
});

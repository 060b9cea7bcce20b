import assert from "node:assert/strict";
import { test } from "node:test";
import { featureLayerCandidates } from "./feature-layers.ts";

test("a layer of an unknown class hides the shapes it feeds instead of guessing them", () => {
  const modelJson = {
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "odd",
        layers: [
          { class_name: "Dense", config: { name: "d1", units: 8, batch_input_shape: [null, 4] } },
          { class_name: "Mystery", config: { name: "m" } },
          { class_name: "Flatten", config: { name: "f" } },
          { class_name: "Dense", config: { name: "out", units: 2 } },
        ],
      },
    },
  };
  assert.deepEqual(
    featureLayerCandidates({ modelJson }).map((c) => c.name),
    ["d1"],
  );
});

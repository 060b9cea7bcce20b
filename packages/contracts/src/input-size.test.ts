import assert from "node:assert/strict";
import { test } from "node:test";
import { hyperparametersSchema } from "./hyperparameters.ts";
import { inputResizeProblem } from "./input-size.ts";

const layers = (...spec: [string, string][]) => spec.map(([name, className]) => ({ name, className }));
const mobilenetTail = layers(
  ["input_1", "InputLayer"],
  ["Conv1_pad", "ZeroPadding2D"],
  ["Conv1", "Conv2D"],
  ["bn_Conv1", "BatchNormalization"],
  ["block_1_depthwise", "DepthwiseConv2D"],
  ["block_1_add", "Add"],
  ["out_relu", "ReLU"],
  ["average_pooling2d_1", "AveragePooling2D"],
  ["flatten_1", "Flatten"],
  ["dense_1", "Dense"],
);
const digitsCnn = layers(
  ["input", "InputLayer"],
  ["conv1", "Conv2D"],
  ["pool1", "MaxPooling2D"],
  ["flatten", "Flatten"],
  ["features", "Dense"],
);

test("a backbone pooled over the whole image can change its input size, at its cut or above it", () => {
  assert.equal(inputResizeProblem(mobilenetTail, "flatten_1", [224, 224, 3]), null);
  assert.equal(inputResizeProblem(mobilenetTail, "dense_1", [224, 224, 3]), null);
});

test("a flatten of a spatial map, a dense layer over it or a non-image base cannot", () => {
  assert.match(inputResizeProblem(digitsCnn, "flatten", [28, 28, 1]) ?? "", /flatten flattens a spatial map/);
  assert.match(inputResizeProblem(digitsCnn, "features", [28, 28, 1]) ?? "", /flatten flattens a spatial map/);
  assert.match(inputResizeProblem(mobilenetTail, "out_relu", [224, 224, 3]) ?? "", /not pooled/);
  assert.match(inputResizeProblem(mobilenetTail, "flatten_1", [64]) ?? "", /does not take images/);
});

test("inputSize is a multiple of 32 in [32, 1024], null by default", () => {
  assert.equal(hyperparametersSchema.parse({ epochs: 1 }).inputSize, null);
  assert.equal(hyperparametersSchema.parse({ epochs: 1, inputSize: 64 }).inputSize, 64);
  for (const [size, message] of [
    [48, /multiple of 32/],
    [0, /at least 32/],
    [2048, /at most 1024/],
  ] as const) {
    const parsed = hyperparametersSchema.safeParse({ epochs: 1, inputSize: size });
    assert.equal(parsed.success, false);
    assert.match(parsed.error?.issues[0]?.message ?? "", message);
  }
});

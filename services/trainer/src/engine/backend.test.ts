import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "./backend.ts";

test("without native TensorFlow the engine runs on WASM with the missing gradient kernels bridged", async () => {
  const info = await initBackend();
  assert.equal(info.backend, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(info.bridgedKernels?.includes("Conv2DBackpropFilter"));
  assert.equal(await initBackend(), info, "the choice is made once per process");
});

test("a conv filter gradient on WASM equals the CPU backend's", async () => {
  await initBackend();
  const gradient = () =>
    tf.tidy(() => {
      const x = tf.tensor4d(
        Array.from({ length: 2 * 5 * 5 * 2 }, (_, i) => Math.sin(i)),
        [2, 5, 5, 2],
      );
      const f = tf.tensor4d(
        Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => Math.cos(i)),
        [3, 3, 2, 4],
      );
      const g = tf.grad((filter: tf.Tensor) =>
        tf
          .conv2d(x, filter as tf.Tensor4D, 1, "same")
          .square()
          .sum(),
      )(f);
      return Array.from(g.dataSync());
    });
  const onWasm = gradient();
  await tf.setBackend("cpu");
  const onCpu = gradient();
  await tf.setBackend("wasm");
  assert.equal(onWasm.length, 72);
  for (const [i, v] of onWasm.entries()) assert.ok(Math.abs(v - (onCpu[i] as number)) < 1e-3, `element ${i}`);
});

test("the embedding gradient (UnsortedSegmentSum) adds each row into its id, on WASM and CPU", async () => {
  await initBackend();
  const gradient = () =>
    tf.tidy(() => {
      const table = tf.tensor2d(
        Array.from({ length: 5 * 3 }, (_, i) => i / 10),
        [5, 3],
      );
      const ids = tf.tensor1d([4, 1, 4, 0, 2], "int32");
      const upstream = tf.tensor2d(
        Array.from({ length: 5 * 3 }, (_, i) => i + 1),
        [5, 3],
      );
      return tf
        .grad((t: tf.Tensor) => tf.gather(t, ids).mul(upstream).sum())(table)
        .arraySync();
    });
  // Rows of `upstream` summed per id; id 3 gets nothing.
  const expected = [
    [10, 11, 12],
    [4, 5, 6],
    [13, 14, 15],
    [0, 0, 0],
    [8, 10, 12],
  ];
  assert.deepEqual(gradient(), expected);
  await tf.setBackend("cpu");
  assert.deepEqual(gradient(), expected);
  await tf.setBackend("wasm");
});

test("the Tile gradient sums the upstream gradient over every repetition", async () => {
  await initBackend();
  const grad = tf.tidy(() => {
    const x = tf.tensor3d([1, 2], [1, 1, 2]);
    const upstream = tf.tensor3d(
      Array.from({ length: 2 * 3 * 4 }, (_, i) => i),
      [2, 3, 4],
    );
    return tf
      .grad((t: tf.Tensor) => tf.tile(t, [2, 3, 2]).mul(upstream).sum())(x)
      .arraySync();
  });
  // Element (0, 0, k) of x appears at every (i, j, 2r + k): the sum of those upstream values.
  const expected = [0, 1].map((k) => {
    let sum = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 3; j++) for (let r = 0; r < 2; r++) sum += i * 12 + j * 4 + 2 * r + k;
    return sum;
  });
  assert.deepEqual(grad, [[expected]]);
});

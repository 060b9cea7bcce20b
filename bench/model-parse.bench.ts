/**
 * Model parsing is linear in its input: the time to parse a model whose one weight name holds
 * N slashes, for N = 2,000 / 20,000 / 200,000 (the weight-name length cap lifted so the
 * lookup itself is measured), printed with the ratio to the smallest. Linear work gives
 * ratios of at most about 10 and 100 (fixed costs weigh on the small ones); the quadratic prefix search this replaced took 16 s at 20,000 on
 * the development machine (a ratio near 10,000 per decade) and hours at 200,000.
 *
 *   npx tsx bench/model-parse.bench.ts
 */
import { parseModelFiles } from "@graft/artifacts";

function modelWithSlashes(n: number): Map<string, Uint8Array> {
  const json = {
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "m",
        layers: [{ class_name: "Dense", config: { name: "dense", units: 1, batch_input_shape: [null, 2] } }],
      },
    },
    weightsManifest: [
      { paths: ["w.bin"], weights: [{ name: `dense${"/".repeat(n)}kernel`, shape: [1], dtype: "float32" }] },
    ],
  };
  return new Map([
    ["model.json", new TextEncoder().encode(JSON.stringify(json))],
    ["w.bin", new Uint8Array(4)],
  ]);
}

const timeOf = (n: number) => {
  const files = modelWithSlashes(n);
  const best = [0, 1, 2].map(() => {
    const t0 = performance.now();
    parseModelFiles(files, { maxWeightNameLength: 10 * n });
    return performance.now() - t0;
  });
  return Math.min(...best);
};

const base = timeOf(2_000);
for (const n of [2_000, 20_000, 200_000]) {
  const ms = n === 2_000 ? base : timeOf(n);
  console.log(`${String(n).padStart(7)} slashes: ${ms.toFixed(2).padStart(8)} ms  (x${(ms / base).toFixed(1)})`);
}

/**
 * Frozen-backbone fine-tune: the feature cache (backbone runs once) against re-running the
 * frozen backbone on every batch, same data, head, seed and backend, 10 epochs.
 *
 *   npx tsx bench/training.bench.ts [--model mobilenet-v2|digits-cnn] [--samples 60] [--epochs 10]
 *
 * Measured on the 2-core dev box under load (WASM): mobilenet-v2, 60 images: 24.6 s vs
 * 166.9 s (6.8x); digits-cnn, 1000 images: 2.7 s vs 4.0 s (1.5x: its backbone is so cheap
 * that per-batch overhead dominates).
 */
import { parseArgs } from "node:util";
import { builtinModel } from "@graft/catalog";
import { hyperparametersSchema } from "@graft/contracts";
import { fineTune, initBackend, loadDataset, loadModel } from "@graft/trainer/engine";

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "mobilenet-v2" },
    samples: { type: "string", default: "60" },
    epochs: { type: "string", default: "10" },
  },
});
const backend = await initBackend();
const meta = builtinModel(values.model as string);
const artifact = await meta.load();
const dataset = await loadDataset({ kind: "BUILTIN", name: "mnist-5-9" });
const hyperparameters = hyperparametersSchema.parse({
  epochs: Number(values.epochs),
  batchSize: 32,
  learningRate: 0.01,
  maxSamples: Number(values.samples),
  validationSplit: 0.2,
  seed: 1,
});

async function run(featureCache: boolean) {
  const base = await loadModel({ kind: "artifact", artifact });
  let valAccuracy: number | null = null;
  const started = performance.now();
  const result = await fineTune({
    base,
    preprocessing: meta.preprocessing,
    featureLayer: meta.featureLayer,
    dataset,
    hyperparameters,
    featureCache,
    onEpoch: async (_, m) => {
      valAccuracy = m.valAccuracy;
    },
  });
  const ms = performance.now() - started;
  result.model.dispose();
  return { ms, path: result.trainingPath, valAccuracy: valAccuracy as number | null };
}

console.log(
  `backend ${backend.backend}; ${meta.key}; ${hyperparameters.maxSamples} mnist-5-9 images; ${hyperparameters.epochs} epochs; all base layers frozen`,
);
const cached = await run(true);
const full = await run(false);
const fmt = (r: typeof cached) => `${(r.ms / 1000).toFixed(1)} s (valAccuracy ${r.valAccuracy?.toFixed(3)})`;
console.log(`feature cache (${cached.path}): ${fmt(cached)}`);
console.log(`frozen backbone every epoch (${full.path}): ${fmt(full)}`);
console.log(`speed-up: ${(full.ms / cached.ms).toFixed(1)}x (target >= 5x)`);

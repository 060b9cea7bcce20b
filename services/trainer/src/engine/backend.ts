import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { registerLinearSegmentSum } from "./segment-sum.ts";
import { registerFastTileGradient } from "./tile-gradient.ts";
import { bridgeMissingWasmKernels } from "./wasm-bridge.ts";

/**
 * Picks the fastest TensorFlow.js backend this host can run. The native bindings
 * (tfjs-node-gpu, tfjs-node) are optional: their install downloads libtensorflow, which
 * fails on hosts without that download, so they are loaded only when present. Otherwise
 * WASM runs everything, with the kernels it lacks (several gradients) bridged to the CPU
 * backend's implementations.
 */

export type BackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  backend: BackendName;
  devices: string[];
  /** tfjs backend for forward passes over a frozen backbone. */
  inferenceBackend: string;
  /** tfjs backend for training (gradients). */
  trainingBackend: string;
  /** Kernels that run on the CPU backend for lack of a WASM one. */
  bridgedKernels?: string[];
}

export class BackendUnavailableError extends Error {
  override name = "BackendUnavailableError";
  readonly retryable = false;
  constructor(
    readonly backend: string,
    options?: { cause?: unknown },
  ) {
    super(`TensorFlow.js backend ${backend} is not available on this host`, options);
  }
}

const require = createRequire(import.meta.url);
let current: Promise<BackendInfo> | undefined;

/** Idempotent: the first call decides the backend for the process. */
export function initBackend(forced?: BackendName): Promise<BackendInfo> {
  current ??= choose(forced).catch((error) => {
    current = undefined;
    throw error;
  });
  return current;
}

export function currentBackend(): Promise<BackendInfo> | undefined {
  return current;
}

async function choose(forced?: BackendName): Promise<BackendInfo> {
  registerFastTileGradient();
  const order: BackendName[] = forced ? [forced] : ["tensorflow-gpu", "tensorflow", "wasm", "cpu"];
  let lastError: unknown;
  for (const name of order) {
    try {
      return await activate(name);
    } catch (error) {
      lastError = error;
    }
  }
  throw new BackendUnavailableError(order.join(", "), { cause: lastError });
}

async function activate(name: BackendName): Promise<BackendInfo> {
  const cpus = (await import("node:os")).cpus();
  const cpuDevice = `cpu: ${cpus[0]?.model.trim() ?? "unknown"} x${cpus.length}`;
  if (name === "tensorflow-gpu" || name === "tensorflow") {
    const pkg = name === "tensorflow-gpu" ? "@tensorflow/tfjs-node-gpu" : "@tensorflow/tfjs-node";
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    await import(/* @vite-ignore */ pkg as string);
    if (!(await tf.setBackend("tensorflow"))) throw new BackendUnavailableError(name);
    await tf.ready();
    return {
      backend: name,
      devices: [name === "tensorflow-gpu" ? "gpu" : cpuDevice],
      inferenceBackend: "tensorflow",
      trainingBackend: "tensorflow",
    };
  }
  if (name === "wasm") {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
    wasm.setWasmPaths(`${join(dist, "/")}`);
    if (!(await tf.setBackend("wasm"))) throw new BackendUnavailableError("wasm");
    await tf.ready();
    // WASM lacks some gradient kernels (e.g. Conv2DBackpropFilter): bridge them to CPU ones,
    // except the embedding gradient, whose CPU kernel is too slow to borrow.
    registerLinearSegmentSum("wasm");
    await tf.setBackend("cpu");
    registerLinearSegmentSum("cpu");
    const bridged = bridgeMissingWasmKernels();
    await tf.setBackend("wasm");
    return {
      backend: "wasm",
      devices: [`wasm: ${cpuDevice}`],
      inferenceBackend: "wasm",
      trainingBackend: "wasm",
      bridgedKernels: bridged,
    };
  }
  if (!(await tf.setBackend("cpu"))) throw new BackendUnavailableError("cpu");
  await tf.ready();
  registerLinearSegmentSum("cpu");
  return { backend: "cpu", devices: [cpuDevice], inferenceBackend: "cpu", trainingBackend: "cpu" };
}

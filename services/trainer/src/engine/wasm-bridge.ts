import * as tf from "@tensorflow/tfjs";
import type { KernelBackend as DataBackend, TensorInfo } from "./kernel-backend.ts";

/**
 * Registers, for every kernel the CPU backend has and WASM lacks (mostly gradients such as
 * Conv2DBackpropFilter), a WASM kernel that copies its inputs to the CPU backend, runs the
 * CPU kernel and copies the result back. Training then stays on WASM, whose forward and
 * input-gradient kernels are several times faster than the CPU backend's.
 * Returns the bridged kernel names.
 */
export function bridgeMissingWasmKernels(): string[] {
  const cpu = tf.findBackend("cpu") as unknown as DataBackend | null;
  if (!cpu) return [];
  const bridged: string[] = [];
  for (const kernel of tf.getKernelsForBackend("cpu")) {
    if (tf.getKernel(kernel.kernelName, "wasm")) continue;
    tf.registerKernel({
      kernelName: kernel.kernelName,
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs, backend }) => {
        const wasm = backend as unknown as DataBackend;
        const copies: Record<string, TensorInfo> = {};
        for (const [name, input] of Object.entries(inputs)) {
          const info = input as TensorInfo | undefined;
          if (!info) continue;
          copies[name] = { ...info, dataId: cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype) };
        }
        try {
          const result = kernel.kernelFunc({ inputs: copies as never, attrs, backend: cpu as never });
          const outputs = (Array.isArray(result) ? result : [result]) as TensorInfo[];
          const moved = outputs.map((out) => {
            const values = cpu.readSync(out.dataId);
            cpu.disposeData(out.dataId, true);
            return wasm.makeOutput?.(out.shape, out.dtype, undefined, values) as TensorInfo;
          });
          return (Array.isArray(result) ? moved : moved[0]) as never;
        } finally {
          for (const copy of Object.values(copies)) cpu.disposeData(copy.dataId, true);
        }
      },
    });
    bridged.push(kernel.kernelName);
  }
  return bridged;
}

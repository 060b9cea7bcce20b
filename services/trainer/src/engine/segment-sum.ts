import * as tf from "@tensorflow/tfjs";
import type { KernelBackend, TensorInfo } from "./kernel-backend.ts";

/**
 * A linear-time UnsortedSegmentSum for the CPU and WASM backends. It is the gradient of
 * Gather, so every Embedding layer's training step needs it; the CPU backend's own kernel
 * (which WASM borrows) loops over all segments with whole-tensor ops, O(vocabulary x
 * batch), which made one step of a 10,000-word embedding take tens of seconds. This one
 * adds each row into its segment once: O(batch x dim).
 */
export function registerLinearSegmentSum(backendName: "cpu" | "wasm"): void {
  if (tf.getKernel("UnsortedSegmentSum", backendName)) tf.unregisterKernel("UnsortedSegmentSum", backendName);
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, segmentIds } = inputs as unknown as { x: TensorInfo; segmentIds: TensorInfo };
      const numSegments = attrs?.numSegments as number;
      const kernelBackend = backend as unknown as KernelBackend;
      const values = kernelBackend.readSync(x.dataId) as Float32Array | Int32Array;
      const ids = kernelBackend.readSync(segmentIds.dataId) as Int32Array;
      const inner = ids.length === 0 ? 0 : values.length / ids.length;
      const out = x.dtype === "int32" ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
      for (let i = 0; i < ids.length; i++) {
        const segment = ids[i] as number;
        // Out-of-range ids are dropped, as TensorFlow does.
        if (segment < 0 || segment >= numSegments) continue;
        const to = segment * inner;
        const from = i * inner;
        for (let k = 0; k < inner; k++) out[to + k] = (out[to + k] as number) + (values[from + k] as number);
      }
      const shape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
      const made =
        backendName === "wasm"
          ? kernelBackend.makeOutput?.(shape, x.dtype, undefined, out)
          : kernelBackend.makeTensorInfo?.(shape, x.dtype, out);
      return made as never;
    },
  });
}

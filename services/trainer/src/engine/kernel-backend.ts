import type * as tf from "@tensorflow/tfjs";

/**
 * The parts of the CPU and WASM backends that hand-registered kernels use; tfjs does not
 * export these types. The two backends name "a new tensor from values" differently:
 * WASM `makeOutput(shape, dtype, offset, values)`, CPU `makeTensorInfo(shape, dtype, values)`.
 */
export type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };

export interface KernelBackend {
  readSync(dataId: object): tf.backend_util.BackendValues;
  write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object;
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput?(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): TensorInfo;
  makeTensorInfo?(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues): TensorInfo;
}

/** Arrays made on the CPU from host data, for the host callbacks of src/transforms (pureCallback, debug.callback). */
import { Array } from "../array.js";
import { getBackend } from "../backend/device.js";
import type { DType, TypedArray } from "../dtype.js";

/** A new array on the CPU holding `data`. */
export function cpuArray(data: TypedArray, shape: readonly number[], dtype: DType, weakType = false): Array {
  return Array.fromTyped(data, shape, dtype, weakType, getBackend("cpu"));
}

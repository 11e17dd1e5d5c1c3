/**
 * The WebGPU routines: the primitives that are not one loop nest over the
 * output (matmul, sort, scans, gathers, pads, dynamic slices, the PRNG's
 * block cipher), with the parameters `src/lax` gives the CPU's routines
 * (`cpu/routines.ts`). Each records its dispatches on the pending encoder
 * and returns new buffers; inputs are never written.
 */
import type { RoutineImpl, RoutineTable } from "../device.js";
import type { GpuBuffer } from "./buffers.js";

/** A WebGPU routine (parameters as the contract `Routines` in backend/device.ts declares them). */
export type GpuRoutine = RoutineImpl<GpuBuffer, Record<string, unknown>>;

/**
 * Some routines of the contract, as one family's file exports them;
 * webgpu/index.ts joins the families into a whole `RoutineTable`, where a
 * routine no family provides is a compile error.
 */
export type RoutineFamily = Partial<RoutineTable<GpuBuffer>>;

const sources = new Map<string, unknown>();

/**
 * A routine's generated shader (and whatever goes with it), made once per
 * key: a loop calls the same routine with the same shapes every step, and
 * rebuilding (then rehashing) a long WGSL string per call costs more than
 * recording the dispatch.
 */
export function memoSource<T>(key: string, make: () => T): T {
  let v = sources.get(key) as T | undefined;
  if (v === undefined) {
    v = make();
    sources.set(key, v);
  }
  return v;
}

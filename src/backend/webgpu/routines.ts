/**
 * The WebGPU routines: the primitives that are not one loop nest over the
 * output (matmul, sort, scans, gathers, pads, dynamic slices, the PRNG's
 * block cipher), with the parameters `src/lax` gives the CPU's routines
 * (`cpu/routines.ts`). Each records its dispatches on the pending encoder
 * and returns new buffers; inputs are never written.
 */
import type { BufferType } from "../device.js";
import type { GpuBuffer } from "./buffers.js";

export type GpuRoutine = (
  inputs: GpuBuffer[],
  inTypes: BufferType[],
  outTypes: BufferType[],
  params: Record<string, unknown>,
) => GpuBuffer[];

export const webgpuRoutines: Record<string, GpuRoutine> = {};

/** Registers routines (each family's file calls this once). */
export function defineRoutines(rs: Record<string, GpuRoutine>): void {
  Object.assign(webgpuRoutines, rs);
}

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

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

/**
 * The 8- and 16-bit integers on WebGPU. Each is stored one per 32-bit word
 * (int8/int16 as i32, uint8/uint16 as u32; codegen.ts `storageType` says
 * why), so a routine runs on them as it does on int32/uint32, and an output
 * whose values may have left the width (a sum, a product, a matmul, a
 * scatter-add) is wrapped to it afterwards, in place, by one small kernel.
 * Uploads widen the host's Int8Array/Uint8Array/... to words; readbacks
 * narrow them (buffers.ts).
 */
import type { DType } from "../../dtype.js";
import { isSmallInt } from "../../dtype.js";
import type { BufferType } from "../device.js";
import type { GpuBuffer } from "./buffers.js";
import { storageType, threadMain, WORKGROUP, wrapSmall } from "./codegen.js";
import { dispatch, grid } from "./context.js";
import { memoSource } from "./routines.js";

/** The 32-bit dtype whose lanes hold an 8- or 16-bit integer (others unchanged). */
export function wideInt(d: DType): DType {
  if (!isSmallInt(d)) return d;
  return d === "int8" || d === "int16" ? "int32" : "uint32";
}

export const hasSmallInt = (types: readonly BufferType[]): boolean => types.some((t) => isSmallInt(t.dtype));

/** The types a routine sees: the 8- and 16-bit integers as int32/uint32 (their storage). */
export const wideIntTypes = (types: readonly BufferType[]): BufferType[] => types.map((t) => (isSmallInt(t.dtype) ? { ...t, dtype: wideInt(t.dtype) } : t));

const wrapSource = (n: number, gx: number, d: DType) => `@group(0) @binding(0) var<storage, read_write> buf: array<${storageType(d)}>;
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  buf[o] = ${wrapSmall("buf[o]", d)};
}`;

/** Wraps `size` words of an 8- or 16-bit integer buffer to the dtype's width, in place. */
export function wrapInPlace(buf: GpuBuffer, size: number, d: DType): void {
  if (size === 0 || !isSmallInt(d)) return;
  const [gx, gy] = grid(Math.ceil(size / WORKGROUP));
  dispatch({ wgsl: memoSource(`smallint-wrap:${d}:${size}`, () => wrapSource(size, gx, d)), buffers: [buf], workgroups: [gx, gy] });
}

/**
 * After a routine ran on widened types: its new 8- or 16-bit outputs wrapped
 * to their width (an output that is one of its inputs holds in-range values already).
 */
export function wrapRoutineOutputs(outs: readonly GpuBuffer[], outTypes: readonly BufferType[], inputs: readonly GpuBuffer[], sizeOf: (s: readonly number[]) => number): void {
  outs.forEach((o, i) => {
    if (isSmallInt(outTypes[i].dtype) && !inputs.includes(o)) wrapInPlace(o, sizeOf(outTypes[i].shape), outTypes[i].dtype);
  });
}

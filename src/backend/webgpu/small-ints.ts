/**
 * The 8- and 16-bit integers on WebGPU. A buffer holds them packed, four
 * (8-bit) or two (16-bit) to a 32-bit word, little-endian, as the host's
 * typed arrays hold them: an int8/uint8 array takes a quarter of the memory
 * of an int32 one, and an upload or a readback is a plain copy of its bytes
 * (buffers.ts). WGSL has no 8- or 16-bit storage and no byte stores: an
 * elementwise kernel reads the words and has each thread make whole words
 * of its small outputs (codegen.ts `packedElementwise`), so no two threads
 * store to one word. Everything else (reductions, routines, a kernel that
 * needs chunks) runs on the wide form, one value per word (int8/int16 as
 * i32 sign-extended, uint8/uint16 as u32; codegen.ts `storageType`): before
 * the work its packed inputs are widened into temporaries by one kernel each
 * (`widen`), and after it its small-integer outputs are packed by one kernel
 * each, in which every thread makes one whole word (`pack`). Packing keeps the
 * low bits, which wraps a value that left the width (a sum, a product, a
 * matmul, a scatter-add) to it; widening sign-extends the signed ones.
 */
import type { DType } from "../../dtype.js";
import { isSmallInt } from "../../dtype.js";
import type { BufferType } from "../device.js";
import { intInfo } from "../../dtype.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc } from "./buffers.js";
import { storageType, threadMain, unpackCode, WORKGROUP } from "./codegen.js";
import { dispatch, grid, limit } from "./context.js";
import { memoSource } from "./routines.js";

/** The 32-bit dtype whose lanes hold an 8- or 16-bit integer (others unchanged). */
export function wideInt(d: DType): DType {
  if (!isSmallInt(d)) return d;
  return d === "int8" || d === "int16" ? "int32" : "uint32";
}

export const hasSmallInt = (types: readonly BufferType[]): boolean => types.some((t) => isSmallInt(t.dtype));

/** The types a routine sees: the 8- and 16-bit integers as int32/uint32 (their storage). */
export const wideIntTypes = (types: readonly BufferType[]): BufferType[] => types.map((t) => (isSmallInt(t.dtype) ? { ...t, dtype: wideInt(t.dtype) } : t));

let widened = 0;
let packedOutputs = 0;
/** Packed buffers widened for a kernel or routine, and wide results packed, so far (tests count them: a native path makes neither). */
export function smallIntAdapterCounts(): { widened: number; packed: number } {
  return { widened, packed: packedOutputs };
}

/** Bits per element and elements per 32-bit word of an 8- or 16-bit integer. */
function packing(d: DType): { bits: number; per: number; signed: boolean } {
  const info = intInfo(d)!;
  return { bits: info.bits, per: 32 / info.bits, signed: info.signed };
}

const widenSource = (n: number, gx: number, d: DType) => `@group(0) @binding(0) var<storage, read_write> out: array<${storageType(d)}>;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  out[o] = ${unpackCode("packed", "u32(o)", d)};
}`;

const packSource = (n: number, words: number, gx: number, d: DType) => {
  const { bits, per } = packing(d);
  const mask = 2 ** bits - 1;
  return `@group(0) @binding(0) var<storage, read_write> packed: array<u32>;
@group(0) @binding(1) var<storage, read> wide: array<${storageType(d)}>;
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${words}) { return; }
  var word = 0u;
  for (var k = 0u; k < ${per}u; k++) {
    let i = u32(o) * ${per}u + k;
    if (i < ${n}u) { word |= (bitcast<u32>(wide[i]) & ${mask}u) << (k * ${bits}u); }
  }
  packed[o] = word;
}`;
};

/** The elements a packed 8- or 16-bit integer buffer holds (what it was allocated for). */
export function packedLength(b: GpuBuffer, d: DType): number {
  return Math.floor(b.bytes / (packing(d).bits / 8));
}

/**
 * Element ranges [start, start + count) whose wide form fits one binding, each
 * starting at an offset the device can bind (of the wide and the packed buffer
 * both): the whole array when it fits, as it does but for arrays over a
 * quarter of maxStorageBufferBindingSize.
 */
function pieces(n: number): { start: number; count: number; whole: boolean }[] {
  const maxBinding = limit("maxStorageBufferBindingSize");
  if (n * 4 <= maxBinding) return [{ start: 0, count: n, whole: true }];
  const align = limit("minStorageBufferOffsetAlignment");
  const step = Math.floor(maxBinding / 4 / align) * align;
  const out = [];
  for (let start = 0; start < n; start += step) out.push({ start, count: Math.min(step, n - start), whole: false });
  return out;
}

/** The byte range of elements [start, start + count) of a buffer of `width`-byte elements, in whole words. */
const range = (start: number, count: number, width: number) => ({ offset: start * width, size: Math.ceil((count * width) / 4) * 4 });

/** A new buffer of the wide form (one value per word) of a packed 8- or 16-bit integer buffer, all of its elements. */
export function widen(b: GpuBuffer, d: DType): GpuBuffer {
  const n = packedLength(b, d);
  const out = alloc(wideInt(d), n);
  widened++;
  for (const { count: m, start, whole } of n === 0 ? [] : pieces(n)) {
    const [gx, gy] = grid(Math.ceil(m / WORKGROUP));
    const ranges = whole ? undefined : [range(start, m, 4), range(start, m, packing(d).bits / 8)];
    dispatch({ wgsl: memoSource(`smallint-widen:${d}:${m}`, () => widenSource(m, gx, d)), buffers: [out, b], ranges, workgroups: [gx, gy] });
  }
  return out;
}

/** A new packed buffer of `n` 8- or 16-bit integers from their wide form (each wrapped to the width: its low bits). */
export function pack(wide: GpuBuffer, d: DType, n: number): GpuBuffer {
  const { per } = packing(d);
  const out = alloc(d, n);
  packedOutputs++;
  for (const { count: m, start, whole } of n === 0 ? [] : pieces(n)) {
    const words = Math.ceil(m / per);
    const [gx, gy] = grid(Math.ceil(words / WORKGROUP));
    const ranges = whole ? undefined : [range(start, m, packing(d).bits / 8), range(start, m, 4)];
    dispatch({ wgsl: memoSource(`smallint-pack:${d}:${m}`, () => packSource(m, words, gx, d)), buffers: [out, wide], ranges, workgroups: [gx, gy] });
  }
  return out;
}

/**
 * The 8- and 16-bit integers on WebGPU. Each is stored one per 32-bit word
 * (int8/int16 as i32, uint8/uint16 as u32; codegen.ts `storageType` says
 * why), so a routine runs on them as it does on int32/uint32, and an output
 * whose values may have left the width (a sum, a product, a matmul, a
 * scatter-add) is wrapped to it afterwards, in place, by one small kernel.
 * Transfers of more than `PACKED_MIN` elements move them packed, four
 * (8-bit) or two (16-bit) to a word: an upload writes the host's bytes as
 * they are and one kernel widens them into the words; a readback packs the
 * words first (each thread makes one whole word: no two threads store to the
 * same one) and copies a quarter or half of the bytes back. Smaller ones are
 * widened and narrowed on the host (buffers.ts), which saves the dispatch.
 */
import type { DType } from "../../dtype.js";
import { isSmallInt } from "../../dtype.js";
import type { BufferType } from "../device.js";
import type { TypedArray } from "../../dtype.js";
import { allocate, intInfo } from "../../dtype.js";
import type { GpuBuffer } from "./buffers.js";
import { alloc, read, release, upload } from "./buffers.js";
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

/** Transfers of small integers from this many elements go packed (below it, the extra dispatch costs more than the bytes it saves). */
export const PACKED_MIN = 256;

let packedTransfers = 0;
/** Uploads and readbacks that moved small integers packed, four or two to a word (tests count them). */
export function packedTransferCount(): number {
  return packedTransfers;
}

/** Bits per element and elements per 32-bit word of an 8- or 16-bit integer. */
function packing(d: DType): { bits: number; per: number; signed: boolean } {
  const info = intInfo(d)!;
  return { bits: info.bits, per: 32 / info.bits, signed: info.signed };
}

const unpackSource = (n: number, gx: number, d: DType) => {
  const { bits, per, signed } = packing(d);
  const mask = 2 ** bits - 1;
  // the element's bits moved to the top of the word, then shifted down: arithmetic for the signed ones
  const value = signed
    ? `bitcast<i32>(word << (${32 - bits}u - shift)) >> ${32 - bits}u`
    : `(word >> shift) & ${mask}u`;
  return `@group(0) @binding(0) var<storage, read_write> out: array<${storageType(d)}>;
@group(0) @binding(1) var<storage, read> packed: array<u32>;
@compute @workgroup_size(${WORKGROUP})
${threadMain(gx)}
  if (o >= ${n}) { return; }
  let i = u32(o);
  let word = packed[i / ${per}u];
  let shift = (i % ${per}u) * ${bits}u;
  out[o] = ${value};
}`;
};

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

/**
 * Uploads an 8- or 16-bit integer array packed: the host's bytes as they are
 * (little-endian, as WebGPU's buffers), widened on the device into one word per element.
 */
export function uploadPacked(data: TypedArray, d: DType): GpuBuffer {
  const { per, bits } = packing(d);
  const n = data.length;
  // the host's array of the width (np.array hands one; anything else is converted)
  let typed = data;
  if (data.BYTES_PER_ELEMENT !== bits / 8 || (intInfo(d)!.signed ? !(data instanceof Int8Array || data instanceof Int16Array) : !(data instanceof Uint8Array || data instanceof Uint16Array))) {
    typed = allocate(d, n);
    typed.set(data);
  }
  const words = Math.ceil(n / per);
  const bytes = new Uint8Array(words * 4);
  bytes.set(new Uint8Array(typed.buffer, typed.byteOffset, n * (bits / 8)));
  const packed = upload(new Uint32Array(bytes.buffer), "uint32");
  const out = alloc(d, n);
  const [gx, gy] = grid(Math.ceil(n / WORKGROUP));
  dispatch({ wgsl: memoSource(`smallint-unpack:${d}:${n}`, () => unpackSource(n, gx, d)), buffers: [out, packed], workgroups: [gx, gy] });
  release(packed);
  packedTransfers++;
  return out;
}

/** Reads `size` elements of an 8- or 16-bit integer buffer back packed: packed into words on the device, a quarter or half the bytes copied. */
export async function readPacked(b: GpuBuffer, d: DType, size: number): Promise<TypedArray> {
  const { per } = packing(d);
  const words = Math.ceil(size / per);
  const packed = alloc("uint32", words);
  const [gx, gy] = grid(Math.ceil(words / WORKGROUP));
  dispatch({ wgsl: memoSource(`smallint-pack:${d}:${size}`, () => packSource(size, words, gx, d)), buffers: [packed, b], workgroups: [gx, gy] });
  // read() holds its own reference until the copy is recorded
  const pending = read(packed, "uint32", words);
  release(packed);
  packedTransfers++;
  const raw = (await pending) as Uint32Array;
  const host = allocate(d, size);
  host.set(new (host.constructor as new (b: ArrayBuffer, o: number, n: number) => TypedArray)(raw.buffer as ArrayBuffer, raw.byteOffset, size));
  return host;
}

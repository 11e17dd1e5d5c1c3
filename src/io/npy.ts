/**
 * NumPy's file formats: `.npy` (one array) and `.npz` (a zip of `.npy`
 * files, as `np.savez` and `np.savez_compressed` write them), as bytes, so
 * that the same functions serve Node (write the bytes to a file) and browsers
 * (a Blob, a fetch response). The header is parsed field by field, never
 * evaluated: a file is data from elsewhere.
 */
import { Array } from "../array.js";
import { allocate, type DType, type TypedArray } from "../dtype.js";
import { ArgumentError, DTypeError, UnsupportedError } from "../errors.js";
import type { Value } from "../trace/core.js";
import { Tracer } from "../trace/core.js";

/** NumPy's type string for each dtype jaxon stores (little-endian, as NumPy writes on every common machine). */
const DESCR: Partial<Record<DType, string>> = {
  float32: "<f4",
  float64: "<f8",
  int32: "<i4",
  uint32: "<u4",
  bool: "|b1",
  int8: "|i1",
  uint8: "|u1",
  int16: "<i2",
  uint16: "<u2",
};
const FROM_DESCR: Record<string, DType> = {
  "<f4": "float32",
  "<f8": "float64",
  "<i4": "int32",
  "<u4": "uint32",
  "|b1": "bool",
  "|i1": "int8",
  "|u1": "uint8",
  "<i2": "int16",
  "<u2": "uint16",
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The bytes of a concrete array and its dtype's descr; a GPU array is read first (hence async). */
async function valuesOf(op: string, x: Value | number): Promise<{ data: TypedArray; shape: readonly number[]; descr: string }> {
  if (x instanceof Tracer) throw new ArgumentError(`${op}: needs a concrete array, not a traced value (${x.aval}); save outside the transformation`);
  if (!(x instanceof Array)) {
    if (typeof x !== "number") throw new ArgumentError(`${op}: x must be an Array or a number, got ${typeof x}`);
    return { data: Float32Array.of(x), shape: [], descr: "<f4" };
  }
  const descr = DESCR[x.dtype];
  if (!descr) throw new UnsupportedError(`${op}: ${x.dtype} arrays cannot be saved yet; convert first (x.astype("float32"))`);
  return { data: await x.data(), shape: x.shape, descr };
}

function header(descr: string, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let text = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${dims}, }`;
  // NumPy pads the header with spaces so that the data starts at a multiple of 64, then a newline
  const total = Math.ceil((10 + text.length + 1) / 64) * 64;
  text = text.padEnd(total - 10 - 1, " ") + "\n";
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, text.length, true);
  for (let i = 0; i < text.length; i++) out[10 + i] = text.charCodeAt(i);
  return out;
}

function bytesOf(data: TypedArray, descr: string): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.length * (descr === "|b1" ? 1 : data.BYTES_PER_ELEMENT));
}

/**
 * The `.npy` bytes of an array, as `np.save` writes them (format 1.0). In
 * Node, write them with `fs.writeFileSync("x.npy", bytes)`; in a browser,
 * `new Blob([bytes])`.
 * @example
 * const bytes = await io.saveNpy(np.arange(6).reshape([2, 3]));
 * io.loadNpy(bytes).shape; // [2, 3]
 */
export async function saveNpy(x: Value | number): Promise<Uint8Array> {
  const { data, shape, descr } = await valuesOf("saveNpy", x);
  const head = header(descr, shape);
  const body = bytesOf(data, descr);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  return out;
}

function asBytes(op: string, bytes: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  throw new ArgumentError(`${op}: expects the file's bytes (an ArrayBuffer or Uint8Array; from a Blob: new Uint8Array(await blob.arrayBuffer())), got ${typeof bytes}`);
}

/**
 * An array from `.npy` bytes (formats 1.0 to 3.0, C or Fortran order;
 * float32, float64, int8, uint8, int16, uint16, int32, uint32 and bool).
 * @example
 * const x = io.loadNpy(await io.saveNpy(np.array([1, 2, 3])));
 * x.dtype; // "float32"
 */
export function loadNpy(bytes: ArrayBuffer | ArrayBufferView): Array {
  const b = asBytes("loadNpy", bytes);
  if (b.length < 10 || MAGIC.some((m, i) => b[i] !== m)) throw new ArgumentError("loadNpy: not a .npy file (it does not start with \\x93NUMPY)");
  const major = b[6];
  if (major < 1 || major > 3) throw new UnsupportedError(`loadNpy: .npy format version ${major}.${b[7]} is not supported (1.0 to 3.0 are)`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (start + headerLength > b.length) throw new ArgumentError("loadNpy: the file ends inside its header");
  const text = new TextDecoder().decode(b.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) throw new ArgumentError("loadNpy: the header lacks descr, fortran_order or shape");
  const dtype = FROM_DESCR[descr];
  if (!dtype) {
    throw new DTypeError(`loadNpy: the file's dtype '${descr.slice(0, 16)}' is not supported; save it as one of ${Object.keys(FROM_DESCR).join(", ")} (little-endian)`);
  }
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map((s) => {
    if (!/^\d+$/.test(s)) throw new ArgumentError(`loadNpy: a dimension of the shape is not a number: ${s.slice(0, 16)}`);
    return Number(s);
  });
  const size = shape.reduce((a, d) => a * d, 1);
  const itemSize = Number(descr.slice(2));
  const dataStart = start + headerLength;
  if (dataStart + size * itemSize > b.length) throw new ArgumentError(`loadNpy: the file holds fewer bytes than shape (${shape.join(", ")}) of ${descr} needs`);
  const data = allocate(dtype, size);
  // copied out of the file's buffer (it may be unaligned, and the caller may reuse it)
  new Uint8Array(data.buffer, data.byteOffset, size * itemSize).set(b.subarray(dataStart, dataStart + size * itemSize));
  if (fortran === "True" && shape.length > 1) {
    const reversed = [...shape].reverse();
    return Array.fromTyped(data, reversed, dtype).transpose() as Array;
  }
  return Array.fromTyped(data, shape, dtype);
}

// ---- .npz: a zip archive of .npy files ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The `.npz` bytes of named arrays, as `np.savez` writes them (a zip, each
 * array stored as `name.npy`, uncompressed).
 * @example
 * const bytes = await io.saveNpz({ w: np.ones([2, 2]), b: np.zeros([2]) });
 * Object.keys(await io.loadNpz(bytes)); // ["w", "b"]
 */
export async function saveNpz(arrays: Record<string, Value | number>): Promise<Uint8Array> {
  if (arrays === null || typeof arrays !== "object") throw new ArgumentError(`saveNpz: expects an object of named arrays, got ${arrays === null ? "null" : typeof arrays}`);
  const encoder = new TextEncoder();
  const entries: { name: Uint8Array; data: Uint8Array; crc: number; offset: number }[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const [key, x] of Object.entries(arrays)) {
    const name = encoder.encode(`${key}.npy`);
    const data = await saveNpy(x);
    const crc = crc32(data);
    const local = new Uint8Array(30 + name.length);
    const v = new DataView(local.buffer);
    v.setUint32(0, 0x04034b50, true);
    v.setUint16(4, 20, true); // version needed
    v.setUint32(14, crc, true);
    v.setUint32(18, data.length, true);
    v.setUint32(22, data.length, true);
    v.setUint16(26, name.length, true);
    local.set(name, 30);
    entries.push({ name, data, crc, offset });
    parts.push(local, data);
    offset += local.length + data.length;
  }
  const dirStart = offset;
  for (const e of entries) {
    const central = new Uint8Array(46 + e.name.length);
    const v = new DataView(central.buffer);
    v.setUint32(0, 0x02014b50, true);
    v.setUint16(4, 20, true);
    v.setUint16(6, 20, true);
    v.setUint32(16, e.crc, true);
    v.setUint32(20, e.data.length, true);
    v.setUint32(24, e.data.length, true);
    v.setUint16(28, e.name.length, true);
    v.setUint32(42, e.offset, true);
    central.set(e.name, 46);
    parts.push(central);
    offset += central.length;
  }
  const end = new Uint8Array(22);
  const v = new DataView(end.buffer);
  v.setUint32(0, 0x06054b50, true);
  v.setUint16(8, entries.length, true);
  v.setUint16(10, entries.length, true);
  v.setUint32(12, offset - dirStart, true);
  v.setUint32(16, dirStart, true);
  parts.push(end);
  const out = new Uint8Array(offset + end.length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function inflateRaw(data: Uint8Array): Promise<Uint8Array> {
  const Stream = (globalThis as { DecompressionStream?: new (format: string) => TransformStream<Uint8Array, Uint8Array> }).DecompressionStream;
  if (!Stream) throw new UnsupportedError("loadNpz: this file is compressed (np.savez_compressed) and this runtime has no DecompressionStream; save it with np.savez");
  const stream = new Blob([data.slice()]).stream().pipeThrough(new Stream("deflate-raw"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The arrays of `.npz` bytes by name (as `np.load` of a file that
 * `np.savez` or `np.savez_compressed` wrote).
 * @example
 * const { w } = await io.loadNpz(await io.saveNpz({ w: np.eye(2) }));
 */
export async function loadNpz(bytes: ArrayBuffer | ArrayBufferView): Promise<Record<string, Array>> {
  const b = asBytes("loadNpz", bytes);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let endAt = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (v.getUint32(i, true) === 0x06054b50) {
      endAt = i;
      break;
    }
  }
  if (endAt < 0) throw new ArgumentError("loadNpz: not a .npz file (no zip directory at its end)");
  const count = v.getUint16(endAt + 10, true);
  let at = v.getUint32(endAt + 16, true);
  const out: Record<string, Array> = {};
  const decoder = new TextDecoder();
  for (let i = 0; i < count; i++) {
    if (at + 46 > b.length || v.getUint32(at, true) !== 0x02014b50) throw new ArgumentError("loadNpz: the zip directory is damaged");
    const method = v.getUint16(at + 10, true);
    const compressed = v.getUint32(at + 20, true);
    const nameLength = v.getUint16(at + 28, true);
    const extra = v.getUint16(at + 30, true);
    const comment = v.getUint16(at + 32, true);
    const local = v.getUint32(at + 42, true);
    const name = decoder.decode(b.subarray(at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extra + comment;
    if (compressed === 0xffffffff || local === 0xffffffff) throw new UnsupportedError(`loadNpz: ${name} is stored as zip64 (over 4 GiB); not supported`);
    if (local + 30 > b.length || v.getUint32(local, true) !== 0x04034b50) throw new ArgumentError(`loadNpz: the entry ${name} is damaged`);
    const dataStart = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    const raw = b.subarray(dataStart, dataStart + compressed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = await inflateRaw(raw);
    else throw new UnsupportedError(`loadNpz: ${name} uses zip compression method ${method}; only stored (0) and deflate (8) are supported`);
    out[name.endsWith(".npy") ? name.slice(0, -4) : name] = loadNpy(data);
  }
  return out;
}

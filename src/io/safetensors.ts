/**
 * safetensors, the tensor file format of Hugging Face's libraries, for
 * parameter pytrees: an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the bytes. A
 * pytree's leaves are named by their paths (`layers.0.w`), so a parameter
 * tree saves and loads by name.
 */
import { Array } from "../array.js";
import { allocate, type DType } from "../dtype.js";
import { ArgumentError, DTypeError } from "../errors.js";
import type { Value } from "../trace/core.js";
import { Tracer } from "../trace/core.js";

const ST_DTYPE: Partial<Record<DType, string>> = { float32: "F32", float64: "F64", int32: "I32", uint32: "U32", bool: "BOOL", int8: "I8", uint8: "U8", int16: "I16", uint16: "U16" };
const FROM_ST: Record<string, DType> = { F32: "float32", F64: "float64", I32: "int32", U32: "uint32", BOOL: "bool", I8: "int8", U8: "uint8", I16: "int16", U16: "uint16" };
const ITEM: Record<string, number> = { F32: 4, F64: 8, I32: 4, U32: 4, BOOL: 1, I8: 1, U8: 1, I16: 2, U16: 2 };

/** The leaves of a tree of plain objects and JS arrays by their dotted paths. */
function leavesByPath(tree: unknown, path: string, out: [string, Value][]): void {
  if (tree instanceof Array || tree instanceof Tracer) {
    out.push([path, tree]);
    return;
  }
  if (globalThis.Array.isArray(tree)) tree.forEach((t, i) => leavesByPath(t, path ? `${path}.${i}` : String(i), out));
  else if (tree !== null && typeof tree === "object") for (const [k, t] of Object.entries(tree)) leavesByPath(t, path ? `${path}.${k}` : k, out);
  else throw new ArgumentError(`saveSafetensors: the leaf at "${path}" is ${tree === null ? "null" : typeof tree}; only arrays can be saved`);
}

/**
 * The safetensors bytes of a parameter pytree (plain objects and JS arrays of
 * Arrays), each array named by its path (`layers.0.w`).
 * @example
 * const bytes = await io.saveSafetensors({ dense: { w: np.ones([2, 2]), b: np.zeros([2]) } });
 * Object.keys(io.loadSafetensors(bytes)); // ["dense.b", "dense.w"]
 */
export async function saveSafetensors(tree: unknown, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const leaves: [string, Value][] = [];
  leavesByPath(tree, "", leaves);
  // sorted by name, as the reference implementation lays tensors out
  leaves.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  const bodies: Uint8Array[] = [];
  let offset = 0;
  for (const [name, x] of leaves) {
    if (x instanceof Tracer) throw new ArgumentError(`saveSafetensors: "${name}" is a traced value (${x.aval}); save outside the transformation`);
    const dtype = ST_DTYPE[x.dtype];
    if (!dtype) throw new DTypeError(`saveSafetensors: "${name}" is ${x.dtype}, which is not saved yet; convert it first (x.astype("float32"))`);
    const data = await x.data();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, x.size * ITEM[dtype]!).slice();
    header[name] = { dtype, shape: [...x.shape], data_offsets: [offset, offset + bytes.length] };
    bodies.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // the data starts 8-byte aligned: the header is padded with spaces
  json = json.padEnd(Math.ceil((8 + json.length) / 8) * 8 - 8, " ");
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/**
 * The arrays of safetensors bytes by name (F32, F64, I32, U32 and BOOL).
 * @example
 * const params = io.loadSafetensors(await io.saveSafetensors({ w: np.eye(2) }));
 * params.w.shape; // [2, 2]
 */
export function loadSafetensors(bytes: ArrayBuffer | ArrayBufferView): Record<string, Array> {
  const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
  if (!b) throw new ArgumentError("loadSafetensors: expects the file's bytes (an ArrayBuffer or Uint8Array)");
  if (b.length < 8) throw new ArgumentError("loadSafetensors: not a safetensors file (shorter than its 8-byte header length)");
  const headerLength = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true));
  if (8 + headerLength > b.length) throw new ArgumentError("loadSafetensors: the header length runs past the end of the file");
  let header: Record<string, { dtype?: unknown; shape?: unknown; data_offsets?: unknown }>;
  try {
    header = JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + headerLength))) as typeof header;
  } catch (e) {
    throw new ArgumentError(`loadSafetensors: the header is not JSON (${(e as Error).message.slice(0, 80)})`);
  }
  const base = 8 + headerLength;
  const out: Record<string, Array> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === "__metadata__") continue;
    const st = typeof info.dtype === "string" ? info.dtype : "";
    const dtype = FROM_ST[st];
    if (!dtype) throw new DTypeError(`loadSafetensors: "${name.slice(0, 60)}" has dtype ${JSON.stringify(st.slice(0, 16))}; supported: ${Object.keys(FROM_ST).join(", ")}`);
    const shape = info.shape;
    const offsets = info.data_offsets;
    if (!globalThis.Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new ArgumentError(`loadSafetensors: "${name.slice(0, 60)}" has no valid shape`);
    if (!globalThis.Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isInteger(d) && d >= 0)) throw new ArgumentError(`loadSafetensors: "${name.slice(0, 60)}" has no valid data_offsets`);
    const size = (shape as number[]).reduce((a, d) => a * d, 1);
    const [start, end] = offsets as [number, number];
    if (end - start !== size * ITEM[st]! || base + end > b.length) throw new ArgumentError(`loadSafetensors: "${name.slice(0, 60)}": its byte range does not match its shape and dtype, or runs past the file`);
    const data = allocate(dtype, size);
    new Uint8Array(data.buffer, data.byteOffset, end - start).set(b.subarray(base + start, base + end));
    out[name] = Array.fromTyped(data, shape as number[], dtype);
  }
  return out;
}

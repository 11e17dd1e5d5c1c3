/**
 * Arrays from host bytes and text (`np.frombuffer`, `np.fromstring`), and
 * `np.sortComplex`: the cheap remainder of jax.numpy's names (issue 16).
 */
import type { DType } from "../dtype.js";
import { checkDType, intInfo, isComplexDType } from "../dtype.js";
import { ArgumentError, UnsupportedError } from "../errors.js";
import { describe, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { complex as laxComplex, imag as laxImag, real as laxReal } from "../lax/complex.js";
import type { ArrayLike } from "./util.js";
import { asValue } from "./util.js";
import { array } from "./creation.js";
import { lexsort } from "./searching.js";
import { takeAlongAxis } from "./indexing.js";
import { sort } from "./sorting.js";
import { zerosLike } from "./creation.js";

/** Bytes per element, and how to read one little-endian element at a byte offset. */
const READERS: Partial<Record<DType, [number, (v: DataView, at: number) => number]>> = {
  float32: [4, (v, at) => v.getFloat32(at, true)],
  float64: [8, (v, at) => v.getFloat64(at, true)],
  int32: [4, (v, at) => v.getInt32(at, true)],
  uint32: [4, (v, at) => v.getUint32(at, true)],
  int8: [1, (v, at) => v.getInt8(at)],
  uint8: [1, (v, at) => v.getUint8(at)],
  int16: [2, (v, at) => v.getInt16(at, true)],
  uint16: [2, (v, at) => v.getUint16(at, true)],
  bool: [1, (v, at) => (v.getUint8(at) !== 0 ? 1 : 0)],
};

function intArg(op: string, name: string, v: unknown, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new ArgumentError(`${op}: ${name} must be an integer ≥ ${min}, got ${describe(v)}`);
  }
  return v;
}

/**
 * A 1-D array of the bytes of `buffer` read as `dtype` (little-endian), as
 * `jnp.frombuffer`: `count` elements (-1: as many as the bytes after `offset`
 * hold, which must be a whole number of elements), starting `offset` bytes in.
 * `dtype` defaults to float32 (JAX's `float` with x64 off); float32, float64,
 * the integer dtypes and bool (nonzero bytes are true) are read.
 * @example
 * import { np } from "jaxon-ts";
 * const bytes = new Int32Array([7, 8, 9]).buffer;
 * np.frombuffer(bytes, { dtype: "int32", count: 2, offset: 4 }); // [8, 9]
 */
export function frombuffer(buffer: ArrayBuffer | ArrayBufferView, options: { dtype?: DType; count?: number; offset?: number } = {}): Value {
  const op = "np.frombuffer";
  options = optionsArg(op, options);
  let view: DataView;
  if (buffer instanceof ArrayBuffer) view = new DataView(buffer);
  else if (ArrayBuffer.isView(buffer)) view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  else throw new ArgumentError(`${op}: buffer must be an ArrayBuffer or a typed array / DataView, got ${describe(buffer)}`);
  const dtype = checkDType(options.dtype ?? "float32", op);
  const reader = READERS[dtype];
  if (!reader) throw new UnsupportedError(`${op}: dtype ${dtype} is not read from bytes (float32, float64, the integers and bool are); read float32 and convert with .astype`);
  const [size, read] = reader;
  const count = intArg(op, "count", options.count ?? -1, -1);
  const offset = intArg(op, "offset", options.offset ?? 0, 0);
  if (offset > view.byteLength) throw new ArgumentError(`${op}: offset ${offset} is past the buffer's ${view.byteLength} bytes`);
  const avail = view.byteLength - offset;
  let n: number;
  if (count === -1) {
    if (avail % size !== 0) throw new ArgumentError(`${op}: the ${avail} bytes after offset ${offset} are not a multiple of ${dtype}'s ${size}-byte element; pass count`);
    n = avail / size;
  } else {
    if (count * size > avail) throw new ArgumentError(`${op}: ${count} elements of ${dtype} need ${count * size} bytes, but the buffer has ${avail} after offset ${offset}`);
    n = count;
  }
  const values: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = read(view, offset + i * size);
  return array(dtype === "bool" ? values.map((v) => v !== 0) : values, { dtype });
}

/**
 * A 1-D array of the numbers in the text `string`, separated by `sep`, as
 * `jnp.fromstring` (whose `sep` is required: the binary mode is deprecated in
 * NumPy; use `frombuffer`). A separator of spaces matches any run of
 * whitespace, and whitespace around each number is ignored. `count` (-1: all)
 * reads that many numbers. `dtype` defaults to float32 (JAX's `float` with x64 off).
 * @example
 * import { np } from "jaxon-ts";
 * np.fromstring("1, 2.5, -3", { sep: "," }); // [1, 2.5, -3]
 * np.fromstring("4 5  6", { sep: " ", dtype: "int32" }); // [4, 5, 6]
 */
export function fromstring(string: string, options: { sep: string; dtype?: DType; count?: number }): Value {
  const op = "np.fromstring";
  if (typeof string !== "string") throw new ArgumentError(`${op}: string must be a JS string, got ${describe(string)}`);
  options = optionsArg(op, options);
  const sep = options.sep;
  if (typeof sep !== "string" || sep === "") {
    throw new ArgumentError(`${op}: sep must be a non-empty string (JAX requires it; for bytes use np.frombuffer), got ${describe(sep)}`);
  }
  const dtype = checkDType(options.dtype ?? "float32", op);
  if (isComplexDType(dtype) || dtype === "bool") throw new UnsupportedError(`${op}: dtype ${dtype} is not parsed from text; parse numbers and convert with .astype`);
  const count = intArg(op, "count", options.count ?? -1, -1);
  const text = string.trim();
  const parts = text === "" ? [] : sep.trim() === "" ? text.split(/\s+/) : text.split(sep).map((p) => p.trim());
  const isInt = intInfo(dtype) !== undefined;
  const numberRe = isInt ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity|nan)$/i;
  const values: number[] = [];
  for (const p of parts) {
    if (count !== -1 && values.length === count) break;
    if (!numberRe.test(p)) {
      throw new ArgumentError(`${op}: ${JSON.stringify(p.slice(0, 40))} is not ${isInt ? "an integer" : "a number"} (element ${values.length} of the text, separated by ${JSON.stringify(sep)})`);
    }
    const lower = p.toLowerCase().replace(/^\+/, "");
    values.push(lower.endsWith("inf") || lower.endsWith("infinity") ? (lower.startsWith("-") ? -Infinity : Infinity) : lower.endsWith("nan") ? NaN : Number(p));
  }
  if (count !== -1 && values.length < count) throw new ArgumentError(`${op}: count ${count} asks for more numbers than the text's ${values.length}`);
  return array(values, { dtype });
}

/**
 * `a` sorted along its last axis by real part, then imaginary part, as a
 * complex array (`jnp.sort_complex`): complex64, or complex128 for a float64
 * input.
 * @example
 * import { lax, np } from "jaxon-ts";
 * np.sortComplex(np.array([3, 1, 2])); // [1+0j, 2+0j, 3+0j], complex64
 * np.sortComplex(lax.complex(np.array([1, 1, 0]), np.array([2, -1, 5]))); // [0+5j, 1-1j, 1+2j]
 */
export function sortComplex(a: ArrayLike): Value {
  const x = asValue(a, "np.sortComplex");
  if (x.ndim === 0) throw new ArgumentError(`np.sortComplex: a must have at least one axis, got a 0-d array`);
  if (isComplexDType(x.dtype)) {
    const order = lexsort([laxImag(x), laxReal(x)], -1);
    return takeAlongAxis(x, order, -1);
  }
  const s = sort(x, -1);
  const real = s.dtype === "float64" ? s : s.astype("float32");
  return laxComplex(real, zerosLike(real));
}

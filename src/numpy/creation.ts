/**
 * Array creation: from JS data (the only place np touches host buffers), and
 * constant-filled, ranged and structured arrays.
 */
import { ArrayMethods } from "../array-methods.js";
import { Array as JArray } from "../array.js";
import type { DType, TypedArray } from "../dtype.js";
import type { Complex, ComplexDType } from "../dtype.js";
import { allocate, allocateComplex, asComplexLiteral, checkDType, flattenComplex, intInfo, isComplexDType, isInt } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { fmtShape, sizeOf } from "../shape.js";
import { MAX_ELEMENTS } from "../static-args.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, broadcastValue, cast, constant, describe, dtypeOptions, intArg, promote, range, shapeArg, typeOf } from "./util.js";

/** What `np.array` accepts: numbers, booleans, nested JS arrays of them (or of arrays), TypedArrays, arrays. */
export type ArrayInput = number | boolean | Complex | ArrayMethods | TypedArray | Int8Array | Int16Array | Uint16Array | Uint8ClampedArray | readonly ArrayInput[];

export interface DTypeOption {
  dtype?: DType;
}

/**
 * Where a `{ dtype }` object is accepted, a dtype string alone is too
 * (`np.zeros([2, 3], "int32")`), as JAX takes `dtype` positionally: ignoring
 * it silently would give float32 where the caller asked for something else.
 */
export type DTypeArg = DTypeOption | DType;



/**
 * JS numbers that an integer dtype cannot hold: JAX raises OverflowError
 * (`jnp.array(2**31, dtype=jnp.int32)`) rather than wrapping around.
 */
function checkIntRange(op: string, values: Indexable<number>, dtype: DType): void {
  const info = intInfo(dtype);
  if (!info) return;
  const r = [info.min, info.max];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < r[0] || v > r[1]) {
      throw new DTypeError(
        `${op}: the value ${v} (element ${i}) is out of range for ${dtype} [${r[0]}, ${r[1]}]; ` +
          `pass { dtype: "float32" } (or "float64" on the CPU), or bring the value into range first`,
      );
    }
  }
}

const JSArray = globalThis.Array;

/** Host data → an Array, converting each number as a store into `dtype` would (bool: nonzero). */
function fromHost(values: Indexable<number> | number[], shape: readonly number[], dtype: DType, weakType = false): JArray {
  const data = allocate(dtype, values.length);
  if (dtype === "bool") for (let i = 0; i < values.length; i++) data[i] = values[i] ? 1 : 0;
  else if (isInt(dtype)) for (let i = 0; i < values.length; i++) data[i] = Number.isNaN(values[i]) ? 0 : Math.trunc(values[i]);
  else data.set(values as Indexable<number>);
  return JArray.fromTyped(data, shape, dtype, weakType);
}
type Indexable<T> = { readonly length: number; readonly [i: number]: T };

function typedDType(op: string, data: ArrayBufferView): DType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  if (data instanceof Uint32Array) return "uint32";
  // each integer TypedArray is the dtype of its width, as a NumPy array of it is (image data: uint8);
  // a bool array's data() is a Uint8Array too: np.array(b, { dtype: "bool" }) reads it back as bool
  if (data instanceof Uint8Array || data instanceof Uint8ClampedArray) return "uint8";
  if (data instanceof Int8Array) return "int8";
  if (data instanceof Int16Array) return "int16";
  if (data instanceof Uint16Array) return "uint16";
  throw new DTypeError(
    `${op}: unsupported TypedArray (a ${describe(data)}); use Float32Array, Float64Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array or Uint8Array`,
  );
}

function isTyped(x: unknown): x is TypedArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

interface Parsed {
  shape: number[];
  flat: number[];
  allBool: boolean;
}

/** Walks nested JS arrays of numbers/booleans, checking that they are rectangular. */
function parseNested(op: string, root: readonly ArrayInput[]): Parsed {
  const shape: number[] = [];
  // the shape comes from the first element at each depth
  let probe: unknown = root;
  while (JSArray.isArray(probe) || isTyped(probe)) {
    // NumPy's limit; past it the list almost surely contains itself
    if (shape.length === MAX_NDIM) throw new ShapeError(`${op}: nested lists deeper than ${MAX_NDIM} levels (does a list contain itself?)`);
    shape.push((probe as Indexable<unknown>).length);
    if ((probe as Indexable<unknown>).length === 0) break;
    probe = (probe as Indexable<unknown>)[0];
  }
  const flat: number[] = [];
  let allBool = true;
  const at = (path: number[]) => `values${path.map((i) => `[${i}]`).join("")}`;
  const walk = (v: unknown, depth: number, path: number[]) => {
    if (depth === shape.length) {
      if (typeof v === "number") {
        allBool = false;
        flat.push(v);
      } else if (typeof v === "boolean") {
        flat.push(v ? 1 : 0);
      } else if (JSArray.isArray(v) || isTyped(v)) {
        throw new ShapeError(
          `${op}: ragged nested array: ${at(path)} is a list of length ${(v as Indexable<unknown>).length}, ` +
            `but ${at(path.map(() => 0))} is a scalar; every element at one depth must have the same shape`,
        );
      } else {
        throw new DTypeError(`${op}: ${at(path)} is ${describe(v)}; np.array takes numbers, booleans and nested lists of them`);
      }
      return;
    }
    if (!(JSArray.isArray(v) || isTyped(v))) {
      throw new ShapeError(
        `${op}: ragged nested array: ${at(path)} is ${typeof v === "number" || typeof v === "boolean" ? "a scalar" : describe(v)}, ` +
          `but ${at(path.map(() => 0))} is a list of length ${shape[depth]}; every element at one depth must have the same shape`,
      );
    }
    const list = v as Indexable<unknown>;
    if (list.length !== shape[depth]) {
      throw new ShapeError(
        `${op}: ragged nested array: ${at(path)} has length ${list.length}, but ${at(path.map(() => 0))} has length ${shape[depth]}; ` +
          `every list at one depth must have the same length (shape so far ${fmtShape(shape.slice(0, depth + 1))})`,
      );
    }
    if (isTyped(list) && depth === shape.length - 1) {
      allBool = false;
      for (let i = 0; i < list.length; i++) flat.push(list[i] as number);
      return;
    }
    for (let i = 0; i < list.length; i++) walk(list[i], depth + 1, [...path, i]);
  };
  walk(root, 0, []);
  return { shape, flat, allBool: allBool && flat.length > 0 };
}

function containsValue(v: unknown, depth = 0): boolean {
  if (v instanceof ArrayMethods) return true;
  if (depth > MAX_NDIM) throw new ShapeError(`np.array: nested lists deeper than ${MAX_NDIM} levels (does a list contain itself?)`);
  if (JSArray.isArray(v)) return v.some((x) => containsValue(x, depth + 1));
  return false;
}

/** The most axes an array made from nested lists may have (NumPy's limit too). */
const MAX_NDIM = 64;

/**
 * Creates an array from a number, a boolean, nested JS arrays, a TypedArray,
 * or an existing array (returned as is, or converted when `dtype` is given).
 * JS numbers give float32, booleans give bool. A single JS number without a
 * dtype gives a weakly typed float32, as `jnp.array(2.5)` (it then takes the
 * dtype of the arrays it meets: `np.array(2).add(halfs)` stays float16), and an
 * array keeps its weak type; a list or a given dtype is strongly typed. Unlike
 * JAX (`jnp.array(5)` is a weak int32, `jnp.array([1, 2])` int32), numbers are
 * never int32 unasked: JS cannot tell `2.0` from `2`, so following JAX would
 * make `np.array([1.0, 2.0])` int32. Pass a dtype (`np.array(5, "int32")`) for ints.
 * Values outside an integer dtype's range raise DTypeError (JAX: OverflowError).
 * Complex values are written as `{re, im}` literals (`np.complex(re, im)` makes one)
 * among the numbers: complex64 unless `dtype` says complex128; with a complex dtype a
 * TypedArray holds interleaved (re, im) pairs (what `data()` of a complex array gives).
 * @example
 * np.array([[1, 2], [3, 4]]);              // float32, shape [2, 2]
 * np.array([np.complex(2, 3), 4]);         // complex64: [2.+3.j, 4.+0.j]
 * np.array([1, 2, 3], { dtype: "int32" }); // int32
 * np.array(new Int32Array([1, 2]));        // int32
 * np.array(new Uint8Array([0, 128, 255])); // uint8 (image data)
 */
export function array(values: ArrayInput, options: DTypeArg = {}): Value {
  const op = "np.array";
  options = dtypeOptions(op, options);
  const dtype = options.dtype === undefined ? undefined : checkDType(options.dtype, op);
  if (values instanceof ArrayMethods) {
    const v = values as Value;
    return dtype ? cast(v, dtype) : v;
  }
  const literal = asComplexLiteral(values);
  if (literal || (dtype !== undefined && isComplexDType(dtype))) return complexFromHost(op, values, dtype, literal !== null);
  if (typeof values === "number" || typeof values === "boolean") {
    const d = dtype ?? (typeof values === "boolean" ? "bool" : "float32");
    if (typeof values === "number") checkIntRange(op, [values], d);
    return fromHost([typeof values === "boolean" ? (values ? 1 : 0) : values], [], d, !dtype && typeof values === "number");
  }
  if (isTyped(values)) {
    const d = dtype ?? typedDType(op, values);
    return fromHost(values as Indexable<number>, [values.length], d);
  }
  if (JSArray.isArray(values)) {
    if (containsValue(values)) return stackNested(op, values, dtype);
    if (containsComplexLiteral(values)) return complexFromHost(op, values, dtype, false);
    const { shape, flat, allBool } = parseNested(op, values);
    if (dtype) checkIntRange(op, flat, dtype);
    return fromHost(flat, shape, dtype ?? (allBool ? "bool" : "float32"));
  }
  throw new DTypeError(`${op}: cannot make an array from ${describe(values)}; pass numbers, booleans, nested lists, a TypedArray or an array`);
}

/** Whether a nested list holds a complex literal (`{re, im}`, `np.complex(re, im)`) anywhere. */
function containsComplexLiteral(v: unknown, depth = 0): boolean {
  if (depth > MAX_NDIM) return false; // parseNested reports the depth
  if (JSArray.isArray(v)) return v.some((x) => containsComplexLiteral(x, depth + 1));
  return asComplexLiteral(v) !== null;
}

/**
 * np.array of complex data: a complex literal, nested lists of numbers and
 * complex literals, or (with a complex dtype) a TypedArray of interleaved
 * (re, im) pairs. A lone literal is weakly typed complex64, as `jnp.array(1+2j)`.
 */
function complexFromHost(op: string, values: unknown, dtype: DType | undefined, lone: boolean): Value {
  if (dtype !== undefined && !isComplexDType(dtype)) {
    throw new DTypeError(`${op}: the values hold complex numbers, but dtype ${dtype} is real; take the parts after (np.real(np.array(values)))`);
  }
  const d: ComplexDType = dtype ?? "complex64";
  if (isTyped(values)) {
    if (values.length % 2 !== 0 || values instanceof Uint8Array) {
      throw new ShapeError(`${op}: a ${d} array from a TypedArray reads interleaved (re, im) pairs, so it needs an even number of floats; got ${values.length}${values instanceof Uint8Array ? " (a Uint8Array holds uint8 values)" : ""}`);
    }
    const data = allocateComplex(d, values.length / 2);
    for (let i = 0; i < values.length; i++) data[i] = values[i];
    return JArray.fromTyped(data, [values.length / 2], d);
  }
  if (values instanceof ArrayMethods || (typeof values !== "number" && !JSArray.isArray(values) && asComplexLiteral(values) === null)) {
    throw new DTypeError(`${op}: cannot make a ${d} array from ${describe(values)}; pass complex literals ({re, im} or np.complex(re, im)), numbers, nested lists of them, or a TypedArray of (re, im) pairs`);
  }
  const { pairs, shape } = flattenComplex(op, values);
  const data = allocateComplex(d, pairs.length / 2);
  data.set(pairs);
  return JArray.fromTyped(data, shape, d, lone && dtype === undefined);
}

/** np.array of a list that holds arrays (or tracers): stacks the elements. */
function stackNested(op: string, values: readonly ArrayInput[], dtype: DType | undefined): Value {
  if (values.length === 0) return fromHost([], [0], dtype ?? "float32");
  const parts = values.map((v) => (v instanceof ArrayMethods ? (v as Value) : JSArray.isArray(v) ? array(v) : array(v as ArrayInput)));
  const promoted = promote(op, parts);
  const shape = promoted[0].shape;
  promoted.forEach((p, i) => {
    if (p.ndim !== shape.length || p.shape.some((d, k) => d !== shape[k])) {
      throw new ShapeError(`${op}: ragged nested array: values[${i}] has shape ${fmtShape(p.shape)}, but values[0] has shape ${fmtShape(shape)}`);
    }
  });
  const out = lax.concatenate(
    promoted.map((p) => lax.expandDims(p, [0])),
    0,
  );
  return dtype ? cast(out, dtype) : cast(out, out.dtype);
}

/**
 * As `np.array` (arrays are immutable, so nothing is ever copied needlessly).
 * @example np.asarray([1, 2, 3]);
 */
export function asarray(values: ArrayInput, options: DTypeArg = {}): Value {
  return array(values, options);
}

/**
 * An array of `shape` filled with `fillValue`. A JS number gives a weakly
 * typed float32 (as `jnp.full([2], 1.5)`), a boolean bool, an array its own
 * dtype and weak type, unless `dtype` is given (an options object or the dtype
 * string itself). As `np.array`, and unlike JAX's weak int32 for
 * `jnp.full([2], 7)`, because JS cannot tell 7 from 7.0.
 * @example np.full([2, 3], 7); // 2×3 float32 sevens
 */
export function full(shape: number | readonly number[], fillValue: ArrayLike | Complex, options: DTypeArg = {}): Value {
  const op = "np.full";
  options = dtypeOptions(op, options);
  const s = shapeArg(op, shape);
  const dtype = options.dtype === undefined ? undefined : checkDType(options.dtype, op);
  let v: Value;
  if (fillValue instanceof ArrayMethods) v = dtype ? cast(fillValue as Value, dtype) : (fillValue as Value);
  else if (asComplexLiteral(fillValue) !== null || (dtype !== undefined && isComplexDType(dtype) && typeof fillValue === "number")) {
    v = array(fillValue as unknown as ArrayInput, dtype ?? {});
    if (dtype === undefined) v = cast(v, v.dtype, true); // a lone literal is weak, as a lone JS number
  } else {
    typeOf(fillValue as ArrayLike); // validates
    const fill = fillValue as number | boolean;
    if (typeof fill === "number" && dtype) checkIntRange(op, [fill], dtype);
    v = constant(fill, dtype ?? (typeof fill === "boolean" ? "bool" : "float32"), !dtype && typeof fill === "number");
  }
  return broadcastValue(op, v, s);
}

/**
 * An array of zeros (float32 unless `dtype` is given).
 * @example np.zeros([2, 3]); np.zeros(4, { dtype: "int32" });
 */
export function zeros(shape: number | readonly number[], options: DTypeArg = {}): Value {
  return full(shape, 0, defaultFloat32("np.zeros", options));
}

/** As jnp.zeros/ones: without a dtype the result is a strongly typed float32 (np.full of a JS number is weak). */
function defaultFloat32(op: string, options: DTypeArg): DTypeOption {
  const o = dtypeOptions(op, options);
  return o.dtype === undefined ? { ...o, dtype: "float32" } : o;
}

/**
 * An array of ones (float32 unless `dtype` is given).
 * @example np.ones([2, 2]);
 */
export function ones(shape: number | readonly number[], options: DTypeArg = {}): Value {
  return full(shape, 1, defaultFloat32("np.ones", options));
}

/**
 * As `np.zeros`: jaxon arrays are immutable, so there is nothing to gain from uninitialized memory.
 * @example np.empty([3]);
 */
export function empty(shape: number | readonly number[], options: DTypeArg = {}): Value {
  return zeros(shape, options);
}

/**
 * An array of `x`'s shape (and dtype, unless given) filled with `fillValue`.
 * @example np.fullLike(np.zeros([2]), 5); // [5, 5]
 */
export function fullLike(x: ArrayLike, fillValue: ArrayLike, options: DTypeArg = {}): Value {
  options = dtypeOptions("np.fullLike", options);
  const v = asValue(x, "np.fullLike");
  const dtype = options.dtype === undefined ? v.dtype : checkDType(options.dtype, "np.fullLike");
  // as jnp.full_like: without a dtype the result keeps x's weak type (zerosLike(2.5) is weak)
  const weak = options.dtype === undefined && v.weakType;
  const f = fillValue instanceof ArrayMethods ? cast(fillValue as Value, dtype, weak) : constant(fillValue, dtype, weak);
  return broadcastValue("np.fullLike", f, v.shape);
}

/**
 * Zeros of `x`'s shape and dtype.
 * @example np.zerosLike(np.ones([2, 2]));
 */
export function zerosLike(x: ArrayLike, options: DTypeArg = {}): Value {
  return fullLike(x, 0, options);
}

/**
 * Ones of `x`'s shape and dtype.
 * @example np.onesLike(np.zeros([3], { dtype: "int32" })); // int32 ones
 */
export function onesLike(x: ArrayLike, options: DTypeArg = {}): Value {
  return fullLike(x, 1, options);
}

/**
 * Evenly spaced values in [start, stop) with `step`: `arange(stop)` or
 * `arange(start, stop, step?)`, optionally followed by `{ dtype }`. All-integer
 * arguments give int32 (as `jnp.arange`), otherwise float32. The length is
 * `ceil((stop - start) / step)`.
 * @example
 * np.arange(5);            // int32 [0, 1, 2, 3, 4]
 * np.arange(0, 1, 0.25);   // float32 [0, 0.25, 0.5, 0.75]
 * np.arange(3, { dtype: "float32" });
 */
export function arange(...args: (number | DTypeArg)[]): Value {
  const op = "np.arange";
  let options: DTypeOption = {};
  const last = args[args.length - 1];
  if (args.length && ((typeof last === "object" && last !== null) || typeof last === "string")) options = dtypeOptions(op, args.pop() as DTypeArg);
  if (args.length < 1 || args.length > 3 || args.some((a) => typeof a !== "number" || !Number.isFinite(a))) {
    throw new ShapeError(`${op}: takes (stop), (start, stop) or (start, stop, step) as finite JS numbers, then an optional dtype or { dtype }`);
  }
  const nums = args as number[];
  const [start, stop, step] = nums.length === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
  if (step === 0) throw new ShapeError(`${op}: step must not be zero`);
  const dtype = options.dtype !== undefined ? checkDType(options.dtype, op) : nums.every(Number.isInteger) ? "int32" : "float32";
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_ELEMENTS) throw new ShapeError(`${op}: (${start}, ${stop}, ${step}) has ${n} elements, more than jaxon's limit of 2^40 for one array`);
  // as jnp.arange, on the device: start + step·iota in the dtype (float16 works in float32)
  if (dtype === "bool") return lax.ne(arange(start, stop, step, { dtype: "int32" }), lax.scalar(0, "int32"));
  if (nums.length < 3) {
    const i = lax.iota(dtype, [n]);
    return start === 0 ? i : lax.add(lax.scalar(start, dtype), i);
  }
  const working: DType = dtype === "float16" ? "float32" : dtype;
  const out = lax.add(lax.scalar(start, working), lax.mul(lax.scalar(step, working), lax.iota(working, [n])));
  return working === dtype ? out : lax.convert(out, dtype);
}

export interface LinspaceOptions extends DTypeOption {
  /** Whether `stop` is the last sample (default true). */
  endpoint?: boolean;
}

/**
 * `num` evenly spaced samples from `start` to `stop` (inclusive unless `endpoint: false`).
 * @example np.linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num = 50, options: LinspaceOptions | DType = {}): Value {
  const op = "np.linspace";
  options = dtypeOptions(op, options);
  if (typeof start !== "number" || typeof stop !== "number") throw new DTypeError(`${op}: start and stop must be JS numbers`);
  intArg(op, "num", num);
  if (num < 0) throw new ShapeError(`${op}: num must be non-negative, got ${num}`);
  if (num > MAX_ELEMENTS) throw new ShapeError(`${op}: num ${num} is more than jaxon's limit of 2^40 elements for one array`);
  const endpoint = options.endpoint ?? true;
  const dtype = options.dtype === undefined ? "float32" : checkDType(options.dtype, op);
  // as jnp.linspace, on the device: start·(1 − t) + stop·t with t = i / div, then stop itself when endpoint
  const ct: DType = dtype === "float64" ? "float64" : "float32";
  const div = endpoint ? num - 1 : num;
  let out: Value;
  if (num === 0) out = lax.iota(ct, [0]);
  else if (div <= 0) out = lax.broadcastInDim(lax.scalar(start, ct), [1], []);
  else {
    const t = lax.div(lax.iota(ct, [div]), lax.scalar(div, ct));
    out = lax.add(lax.mul(lax.scalar(start, ct), lax.sub(lax.scalar(1, ct), t)), lax.mul(lax.scalar(stop, ct), t));
    if (endpoint) out = lax.concatenate([out, lax.broadcastInDim(lax.scalar(stop, ct), [1], [])], 0);
  }
  if (isInt(dtype)) out = lax.floor(out);
  return out.dtype === dtype ? out : lax.convert(out, dtype);
}

/**
 * A 2-D array with ones on the `k`-th diagonal (k > 0 above the main one) and zeros elsewhere.
 * @example np.eye(3); np.eye(2, 3, 1);
 */
export function eye(n: number, m?: number | null, k = 0, options: DTypeArg = {}): Value {
  const op = "np.eye";
  options = dtypeOptions(op, options);
  intArg(op, "n", n);
  const cols = m ?? n;
  intArg(op, "m", cols);
  intArg(op, "k", k);
  if (n < 0 || cols < 0) throw new ShapeError(`${op}: sizes must be non-negative, got ${n}×${cols}`);
  const dtype = options.dtype === undefined ? "float32" : checkDType(options.dtype, op);
  return diagonalMask(op, n, cols, k, lax.eq, dtype);
}

/**
 * The n×n identity matrix.
 * @example np.identity(3);
 */
export function identity(n: number, options: DTypeArg = {}): Value {
  return eye(n, n, 0, options);
}

/**
 * A lower-triangular matrix of ones: `tri[i, j] = j <= i + k`.
 * @example np.tri(3); // [[1,0,0],[1,1,0],[1,1,1]]
 */
export function tri(n: number, m?: number | null, k = 0, options: DTypeArg = {}): Value {
  const op = "np.tri";
  options = dtypeOptions(op, options);
  const cols = m ?? n;
  intArg(op, "n", n);
  intArg(op, "m", cols);
  intArg(op, "k", k);
  const dtype = options.dtype === undefined ? "float32" : checkDType(options.dtype, op);
  return diagonalMask(op, n, cols, k, lax.ge, dtype);
}

/**
 * An n×m array that is 1 where `compare(i + k, j)` holds and 0 elsewhere,
 * built on the device from two iotas (eye: equal; tri: greater or equal), so
 * that no host array of n·m values is ever made.
 */
function diagonalMask(op: string, n: number, m: number, k: number, compare: (a: Value, b: Value) => Value, dtype: DType): Value {
  if (n < 0 || m < 0) throw new ShapeError(`${op}: sizes must be non-negative, got ${n}×${m}`);
  const shape = shapeArg(op, [n, m]);
  const rows = lax.iota("int32", shape, 0);
  // k beyond int32 puts the whole diagonal outside the array: clamp it to a value that does the same
  const shift = Math.max(-n, Math.min(m, k));
  const mask = compare(shift === 0 ? rows : lax.add(rows, lax.scalar(shift, "int32")), lax.iota("int32", shape, 1));
  return dtype === "bool" ? mask : lax.convert(mask, dtype);
}

export interface MeshgridOptions {
  /** "xy" (default, Cartesian: the first two output axes swapped) or "ij" (matrix). */
  indexing?: "xy" | "ij";
  /** Return arrays that only broadcast to the grid (size 1 on every other axis), as JAX's sparse=True. */
  sparse?: boolean;
  /** Accepted for NumPy compatibility: jaxon's arrays are immutable, so copies and views are the same. */
  copy?: boolean;
}

/**
 * Coordinate arrays from 1-D coordinate vectors; pass `{ indexing: "ij" }` last
 * for matrix indexing. With "xy" (the default) and inputs of lengths
 * (n0, n1, ...), outputs have shape (n1, n0, ...); with "ij", (n0, n1, ...).
 * @example
 * const [X, Y] = np.meshgrid(np.arange(3), np.arange(2)); // both shape [2, 3]
 * const [I, J] = np.meshgrid(np.arange(3), np.arange(2), { indexing: "ij" }); // both [3, 2]
 * const [xs, ys] = np.meshgrid(np.arange(3), np.arange(2), { sparse: true }); // [1, 3] and [2, 1]
 */
export function meshgrid(...args: (ArrayLike | MeshgridOptions)[]): Value[] {
  const op = "np.meshgrid";
  let options: MeshgridOptions = {};
  const last = args[args.length - 1];
  if (args.length && typeof last === "object" && last !== null && !(last instanceof ArrayMethods)) options = args.pop() as MeshgridOptions;
  const indexing = options.indexing ?? "xy";
  if (indexing !== "xy" && indexing !== "ij") throw new ShapeError(`${op}: indexing must be "xy" or "ij", got ${describe(indexing)}`);
  const xs = (args as ArrayLike[]).map((x) => {
    const v = asValue(x, op);
    return v.ndim === 1 ? v : lax.reshape(v, [sizeOf(v.shape)]);
  });
  const shape = xs.map((x) => x.shape[0]);
  const axisOfInput = xs.map((_, i) => i);
  if (indexing === "xy" && xs.length >= 2) {
    [shape[0], shape[1]] = [shape[1], shape[0]];
    axisOfInput[0] = 1;
    axisOfInput[1] = 0;
  }
  if (options.sparse) return xs.map((x, i) => lax.reshape(x, shape.map((d, k) => (k === axisOfInput[i] ? d : 1))));
  return xs.map((x, i) => lax.broadcastInDim(x, shape, [axisOfInput[i]]));
}

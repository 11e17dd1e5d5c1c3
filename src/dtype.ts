/**
 * dtypes, their storage, and JAX's type-promotion lattice with weak types.
 *
 * A JS number is "weakly typed": it takes the dtype of the array it meets
 * (`x.mul(2)` stays float32). The lattice is JAX's, restricted to the dtypes
 * jaxon has, with x64 off: int32 ⊔ uint32 is int64 in JAX, canonicalized to int32,
 * and so is uint32 ⊔ int8 and uint32 ⊔ int16 (int64 in JAX with x64 on; jaxon
 * has no 64-bit integers). The small integers sit below as in JAX: a weak int
 * (a JS number) meets uint8 as uint8, uint8 ⊔ int8 is int16, uint16 ⊔ int8 int32.
 *
 * float16 is IEEE half precision in value: every float16 result is rounded to
 * the nearest half (ties to even). It is stored in a Float32Array on the CPU
 * (JavaScript has no half-precision array in Node 20) and computed in float32.
 */
import { configState } from "./config-state.js";
import { BackendError, DTypeError, ShapeError } from "./errors.js";

export type DType =
  | "float16"
  | "float32"
  | "float64"
  | "int8"
  | "uint8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "bool"
  | "complex64"
  | "complex128";

/** The real dtypes (the complex ones are `complexDtypes`). */
export const dtypes: readonly DType[] = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float16", "float32", "float64"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int8Array | Int16Array | Uint16Array;

const storage = {
  float16: Float32Array,
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  bool: Uint8Array,
  // complex values are interleaved (re, im) pairs: a buffer holds 2·size floats of its part dtype
  complex64: Float32Array,
  complex128: Float64Array,
} as const;

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(storage, x);
}

/** Validates a dtype coming from user code; never trust a string. */
export function checkDType(x: unknown, op: string): DType {
  if (!isDType(x)) {
    throw new DTypeError(
      `${op}: unknown dtype ${typeof x === "string" ? JSON.stringify(x.slice(0, 40)) : typeof x}; ` +
        `use one of ${dtypes.join(", ")}, complex64, complex128`,
    );
  }
  return x;
}

/** A zeroed host buffer; a size the host cannot hold is a BackendError, never a crash or a raw RangeError. */
export function allocate(dtype: DType, size: number): TypedArray {
  try {
    return new storage[dtype](size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const bytes = size * storage[dtype].BYTES_PER_ELEMENT;
    throw new BackendError(
      `cannot allocate ${size} ${dtype} elements (${(bytes / 2 ** 30).toFixed(1)} GiB) in host memory (${e.message}); ` +
        `use smaller arrays, or split the computation (lax.map, a loop over chunks)`,
    );
  }
}

/** The dtype of a buffer's elements: a complex array's buffer holds floats of its part dtype. */
export function storageDType(dtype: DType): DType {
  return dtype === "complex64" ? "float32" : dtype === "complex128" ? "float64" : dtype;
}

/** How many elements of `storageDType(dtype)` hold `size` elements of `dtype` (two per complex value). */
export function storageLength(dtype: DType, size: number): number {
  return isComplexDType(dtype) ? 2 * size : size;
}

export function storageOf(dtype: DType) {
  return storage[dtype];
}

export function itemSize(dtype: DType): number {
  return storage[dtype].BYTES_PER_ELEMENT * (isComplexDType(dtype) ? 2 : 1);
}

export const isFloat = (d: DType) => d === "float32" || d === "float64" || d === "float16";
/** Floating or complex: the dtypes that have tangents (JAX's inexact types). */
export const isInexact = (d: DType) => isFloat(d) || d === "complex64" || d === "complex128";
export const isInt = (d: DType): boolean => intInfo(d) !== undefined;
export const isSigned = (d: DType) => d !== "uint32" && d !== "uint16" && d !== "uint8" && d !== "bool";

/** An integer dtype. */
export type IntDType = "int8" | "uint8" | "int16" | "uint16" | "int32" | "uint32";

/**
 * The integer dtypes' facts, one table: width in bits, signedness, range, and
 * the unsigned dtype of the same width (whose values are the bit patterns).
 * Every integer kernel computes in 32-bit lanes and wraps a result to its
 * dtype's width (`wrapInt`).
 */
export const INT_INFO: Readonly<Record<IntDType, { bits: 8 | 16 | 32; signed: boolean; min: number; max: number; unsigned: IntDType }>> = {
  int8: { bits: 8, signed: true, min: -128, max: 127, unsigned: "uint8" },
  uint8: { bits: 8, signed: false, min: 0, max: 255, unsigned: "uint8" },
  int16: { bits: 16, signed: true, min: -32768, max: 32767, unsigned: "uint16" },
  uint16: { bits: 16, signed: false, min: 0, max: 65535, unsigned: "uint16" },
  int32: { bits: 32, signed: true, min: -2147483648, max: 2147483647, unsigned: "uint32" },
  uint32: { bits: 32, signed: false, min: 0, max: 4294967295, unsigned: "uint32" },
};

/** The integer facts of a dtype, or undefined for bool, floats and complex. */
export function intInfo(d: DType): (typeof INT_INFO)[IntDType] | undefined {
  return Object.prototype.hasOwnProperty.call(INT_INFO, d) ? INT_INFO[d as IntDType] : undefined;
}

/** The 8- and 16-bit integer dtypes (stored at their width on the CPU, packed four or two to a 32-bit word on WebGPU). */
export const isSmallInt = (d: DType): boolean => (intInfo(d)?.bits ?? 32) < 32;

/** An integer wrapped (two's complement) into an integer dtype's range, as a store of the value would leave it. */
export function wrapInt(x: number, d: IntDType): number {
  switch (d) {
    case "int8":
      return (x << 24) >> 24;
    case "uint8":
      return x & 0xff;
    case "int16":
      return (x << 16) >> 16;
    case "uint16":
      return x & 0xffff;
    case "int32":
      return x | 0;
    case "uint32":
      return x >>> 0;
  }
}

/** A float converted to an integer dtype as XLA's convert: truncation toward zero, NaN to 0, saturating at the ends. */
export function floatToInt(x: number, d: IntDType): number {
  if (Number.isNaN(x)) return 0;
  const { min, max } = INT_INFO[d];
  if (x >= max) return max;
  if (x <= min) return min;
  return Math.trunc(x) + 0;
}

/** Short names used in jaxpr printing, as JAX: f32[3], i32[], bool[2]. */
export const shortName: Record<DType, string> = {
  float16: "f16",
  float32: "f32",
  float64: "f64",
  int8: "i8",
  uint8: "u8",
  int16: "i16",
  uint16: "u16",
  int32: "i32",
  uint32: "u32",
  bool: "bool",
  complex64: "c64",
  complex128: "c128",
};

// ---- promotion lattice ----------------------------------------------------
// Nodes: the dtypes plus the weak kinds "i*" and "f*". Edges point upward.
type Node = DType | "i*" | "f*" | "i64";
const up: Record<Node, Node[]> = {
  bool: ["i*"],
  "i*": ["uint8", "int8"],
  uint8: ["uint16", "int16"],
  uint16: ["uint32", "int32"],
  int8: ["int16"],
  int16: ["int32"],
  uint32: ["i64"],
  int32: ["i64"],
  i64: ["f*"],
  "f*": ["float16"],
  float16: ["float32"],
  float32: ["float64", "complex64"],
  float64: ["complex128"],
  complex64: ["complex128"],
  complex128: [],
};

function ancestors(n: Node): Set<Node> {
  const seen = new Set<Node>([n]);
  const stack = [n];
  while (stack.length) for (const m of up[stack.pop()!]) if (!seen.has(m)) seen.add(m), stack.push(m);
  return seen;
}
const ancestorTable = new Map<Node, Set<Node>>(
  (Object.keys(up) as Node[]).map((n) => [n, ancestors(n)]),
);

/** join's results, kept: dtype promotion runs on every eager binary op. */
const joinTable = new Map<Node, Map<Node, Node>>();
function join(a: Node, b: Node): Node {
  if (a === b) return a;
  let row = joinTable.get(a);
  if (!row) joinTable.set(a, (row = new Map()));
  let r = row.get(b);
  if (r === undefined) row.set(b, (r = joinUncached(a, b)));
  return r;
}

function joinUncached(a: Node, b: Node): Node {
  const ua = ancestorTable.get(a)!;
  const ub = ancestorTable.get(b)!;
  // the least upper bound: the common ancestor that every other common ancestor is above
  const common = [...ua].filter((n) => ub.has(n));
  return common.find((c) => common.every((d) => ancestorTable.get(c)!.has(d)))!;
}

function nodeOf(dtype: DType, weak: boolean): Node {
  if (!weak) return dtype;
  if (isFloat(dtype)) return "f*";
  if (isInt(dtype)) return "i*";
  return "bool";
}

/** The dtype and weakness of the result of combining the given (dtype, weak) pairs. */
export function promoteTypes(...types: { dtype: DType; weakType: boolean }[]): { dtype: DType; weakType: boolean } {
  if (configState.dtypePromotion === "strict") checkStrictPromotion(types);
  // with a complex dtype among them, the lattice with complex (its weak kind c* included)
  for (const t of types) if (isComplexDType(t.dtype)) return promoteTypesAny(...types);
  let node: Node = nodeOf(types[0].dtype, types[0].weakType);
  for (let i = 1; i < types.length; i++) node = join(node, nodeOf(types[i].dtype, types[i].weakType));
  switch (node) {
    case "i*":
      return { dtype: "int32", weakType: true };
    case "f*":
      return { dtype: "float32", weakType: true };
    case "i64":
      return { dtype: "int32", weakType: false };
    default:
      return { dtype: node, weakType: false };
  }
}

/** The kind of a dtype, in the order weak values may rise in JAX's strict lattice: int < float < complex (bool: none). */
function strictKind(dtype: AnyDType): number {
  if (isComplexDType(dtype)) return 3;
  if (isFloat(dtype)) return 2;
  return isInt(dtype) ? 1 : 0;
}

/**
 * JAX's strict promotion lattice (`jax_numpy_dtype_promotion="strict"`,
 * set by `numpyDtypePromotion`): strong dtypes never mix; a weak value (a JS
 * number) joins a strong dtype of its own kind or a higher one (a weak int
 * any int or float, a weak float any float or complex, a weak complex any
 * complex), and weak values join each other. bool joins nothing but bool.
 */
function checkStrictPromotion(types: readonly { dtype: AnyDType; weakType: boolean }[]): void {
  const strong = new Set(types.filter((t) => !t.weakType).map((t) => t.dtype));
  const fail = () => {
    const names = types.map((t) => (t.weakType ? `weak ${t.dtype}` : t.dtype)).join(", ");
    return new DTypeError(
      `type promotion of (${names}): no implicit promotion path with numpyDtypePromotion("strict"); ` +
        `cast the operands to one dtype first (x.astype(dtype)), or use numpyDtypePromotion("standard")`,
    );
  };
  if (strong.size > 1) throw fail();
  if (strong.size === 0) return;
  const target = strictKind([...strong][0]);
  for (const t of types) if (t.weakType && (target === 0 || strictKind(t.dtype) > target)) throw fail();
}

/** The dtype a float-only function (sin, exp, mean) computes in for this input (a complex dtype stays complex). */
export function floatOf(dtype: DType): DType {
  return isFloat(dtype) || isComplexDType(dtype) ? dtype : "float32";
}

// ---- half precision ---------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * The float16 nearest to x (ties to even), as a number: what storing x in
 * IEEE half precision keeps. Overflow gives ±Infinity, tiny values subnormals
 * or ±0, NaN stays NaN.
 */
export function roundToFloat16(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const a = Math.abs(x);
  if (a >= 65520) return x > 0 ? Infinity : -Infinity; // past the largest half (65504) plus half an ulp
  // the spacing of halves around a: 2^(e-10) for normals, 2^-24 below 2^-14
  f32[0] = a;
  const e = Math.max(((u32[0] >>> 23) & 0xff) - 127, -14);
  const ulp = 2 ** (e - 10);
  const q = a / ulp;
  let r = Math.round(q);
  if (r - q === 0.5 && r % 2 === 1) r -= 1; // Math.round goes up on ties: take the even one
  const v = r * ulp;
  return x < 0 ? -v : v;
}

/** Rounds every element of a float16 array's storage to half precision, in place. */
export function roundFloat16Array(a: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i] = roundToFloat16(a[i]);
  return a;
}

// ---- complex numbers: the dtypes, their lattice, literals and text -----------
//
// complex64 and complex128 are members of `DType`: an array of either is stored
// as interleaved (re, im) float pairs (float32 or float64), and kernels over
// complex values are lowered to float lanes (src/backend/kernel-complex.ts).
// Only primitives marked `complex: true` accept them (`bind` refuses the rest
// with an UnsupportedError). Here: JAX's promotion lattice extended with
// complex, the literal form jaxon reads from JS, the layout, and NumPy's text.

/** The complex dtypes: complex64 is a pair of float32 (re, im), complex128 a pair of float64. */
export type ComplexDType = "complex64" | "complex128";
/** Every dtype, real or complex. */
export type AnyDType = DType | ComplexDType;

export const complexDtypes: readonly ComplexDType[] = ["complex64", "complex128"];

export function isComplexDType(x: unknown): x is ComplexDType {
  return x === "complex64" || x === "complex128";
}

/** The float dtype of each part: complex64 → float32, complex128 → float64. */
export function complexPartOf(dtype: ComplexDType): "float32" | "float64" {
  return dtype === "complex64" ? "float32" : "float64";
}

/** The complex dtype whose parts hold this real dtype (float64 → complex128, anything else → complex64, as JAX). */
export function complexOf(dtype: DType): ComplexDType {
  return dtype === "float64" ? "complex128" : "complex64";
}

/** Short names in jaxpr printing, as JAX: c64[3], c128[]. */
export const complexShortName: Record<ComplexDType, string> = { complex64: "c64", complex128: "c128" };

/** A complex storage buffer: interleaved (re, im) float pairs, 2·size floats. */
export type ComplexStorage = Float32Array | Float64Array;

/** A zeroed interleaved buffer for `size` complex elements; too large is a BackendError as `allocate`. */
export function allocateComplex(dtype: ComplexDType, size: number): ComplexStorage {
  return allocate(complexPartOf(dtype), 2 * size) as ComplexStorage;
}

// The lattice: JAX's, with the weak kinds i*, f*, c* (a Python int, float or
// complex), and x64 off for integers only (int32 ⊔ uint32 is int64 in JAX,
// canonicalized to int32), as `promoteTypes` does for the real dtypes.
type CNode = AnyDType | "i*" | "f*" | "c*" | "i64";
const cup: Record<CNode, CNode[]> = {
  bool: ["i*"],
  "i*": ["uint8", "int8"],
  uint8: ["uint16", "int16"],
  uint16: ["uint32", "int32"],
  int8: ["int16"],
  int16: ["int32"],
  uint32: ["i64"],
  int32: ["i64"],
  i64: ["f*"],
  "f*": ["float16", "c*"],
  float16: ["float32"],
  float32: ["float64", "complex64"],
  float64: ["complex128"],
  "c*": ["complex64"],
  complex64: ["complex128"],
  complex128: [],
};
const cAncestors = new Map<CNode, Set<CNode>>(
  (Object.keys(cup) as CNode[]).map((n) => {
    const seen = new Set<CNode>([n]);
    const stack = [n];
    while (stack.length) for (const m of cup[stack.pop()!]) if (!seen.has(m)) seen.add(m), stack.push(m);
    return [n, seen];
  }),
);

function cJoin(a: CNode, b: CNode): CNode {
  const ua = cAncestors.get(a)!;
  const ub = cAncestors.get(b)!;
  const common = [...ua].filter((n) => ub.has(n));
  return common.find((c) => common.every((d) => cAncestors.get(c)!.has(d)))!;
}

function cNodeOf(dtype: AnyDType, weak: boolean): CNode {
  if (!weak) return dtype;
  if (isComplexDType(dtype)) return "c*";
  if (isFloat(dtype)) return "f*";
  if (isInt(dtype)) return "i*";
  return "bool";
}

/**
 * `promoteTypes` over every dtype, complex included: the dtype and weakness
 * of combining the given (dtype, weak) pairs. A weak complex (a JS complex
 * literal) meeting complex64 or float32 stays complex64; float64 meeting
 * complex64 is complex128, as JAX.
 */
export function promoteTypesAny(...types: { dtype: AnyDType; weakType: boolean }[]): { dtype: AnyDType; weakType: boolean } {
  if (types.length === 0) throw new DTypeError("promoteTypesAny: needs at least one dtype");
  for (const t of types) {
    if (!isDType(t.dtype) && !isComplexDType(t.dtype)) throw new DTypeError(`promoteTypesAny: unknown dtype (a ${typeof t.dtype}); use one of ${[...dtypes, ...complexDtypes].join(", ")}`);
  }
  if (configState.dtypePromotion === "strict") checkStrictPromotion(types);
  let node = cNodeOf(types[0].dtype, types[0].weakType);
  for (let i = 1; i < types.length; i++) node = cJoin(node, cNodeOf(types[i].dtype, types[i].weakType));
  switch (node) {
    case "i*":
      return { dtype: "int32", weakType: true };
    case "f*":
      return { dtype: "float32", weakType: true };
    case "c*":
      return { dtype: "complex64", weakType: true };
    case "i64":
      return { dtype: "int32", weakType: false };
    default:
      return { dtype: node, weakType: false };
  }
}

// ---- literals -----------------------------------------------------------------

/**
 * A complex number as jaxon reads and writes it: a plain frozen `{re, im}`
 * object. `np.complex(re, im)` makes one; inside nested lists, any plain
 * object whose own data properties `re` and `im` are JS numbers is one.
 */
export interface Complex {
  readonly re: number;
  readonly im: number;
}

/** A nested list of numbers and complex literals. */
export type NestedComplex = number | Complex | readonly NestedComplex[];

/** A complex literal: `complex(2, 3)` is 2+3j. Both parts must be JS numbers. */
export function complex(re: number, im = 0): Complex {
  if (typeof re !== "number" || typeof im !== "number") {
    throw new DTypeError(`complex: re and im must be JS numbers, got a ${typeof re} and a ${typeof im}; write complex(2, 3) for 2+3j`);
  }
  return Object.freeze({ re, im });
}

/**
 * Reads a complex literal without running any of the value's code: only own
 * data properties `re` and `im` holding JS numbers count (a getter, a proxy's
 * trap or a string is never called or converted). Returns null for anything else.
 */
export function asComplexLiteral(x: unknown): Complex | null {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return null;
  if (Object.getPrototypeOf(x) !== Object.prototype && Object.getPrototypeOf(x) !== null) return null; // plain objects only
  const re = Object.getOwnPropertyDescriptor(x, "re");
  const im = Object.getOwnPropertyDescriptor(x, "im");
  if (!re || !im || !("value" in re) || !("value" in im)) return null;
  if (typeof re.value !== "number" || typeof im.value !== "number") return null;
  return { re: re.value, im: im.value };
}

/**
 * Flattens a nested list of numbers (imag 0) and complex literals into
 * interleaved (re, im) pairs in row-major order, with its shape. Ragged lists
 * are a ShapeError, anything else a DTypeError naming where it was, as `op`.
 */
export function flattenComplex(op: string, value: unknown): { pairs: Float64Array; shape: number[] } {
  const shape: number[] = [];
  let probe: unknown = value;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    if (shape.length > 64) throw new ShapeError(`${op}: the nested list is more than 64 levels deep`);
    probe = probe.length > 0 ? probe[0] : undefined;
    if (shape[shape.length - 1] === 0) break;
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const pairs = new Float64Array(2 * size);
  let k = 0;
  const visit = (v: unknown, dim: number, where: string): void => {
    if (dim < shape.length) {
      if (!Array.isArray(v) || v.length !== shape[dim]) {
        throw new ShapeError(
          `${op}: the nested list is ragged at ${where || "the top"}: expected a list of length ${shape[dim]}, got ${Array.isArray(v) ? `a list of length ${v.length}` : `a ${typeof v}`}`,
        );
      }
      for (let i = 0; i < v.length; i++) visit(v[i], dim + 1, `${where}[${i}]`);
      return;
    }
    if (typeof v === "number") {
      pairs[k++] = v;
      pairs[k++] = 0;
      return;
    }
    const c = asComplexLiteral(v);
    if (c === null) {
      throw new DTypeError(
        `${op}: element ${where || "(the scalar)"} is ${Array.isArray(v) ? "a list (the nested list is ragged)" : `a ${v === null ? "null" : typeof v}`}; ` +
          `write complex values as {re, im} objects or np.complex(re, im), real values as JS numbers`,
      );
    }
    pairs[k++] = c.re;
    pairs[k++] = c.im;
  };
  visit(value, 0, "");
  return { pairs, shape };
}

/** Nested `{re, im}` objects from interleaved pairs (what `array()` of a complex array gives). */
export function nestComplex(pairs: ArrayLike<number>, shape: readonly number[]): Complex | Complex[] {
  const at = (i: number): Complex => Object.freeze({ re: pairs[2 * i], im: pairs[2 * i + 1] });
  if (shape.length === 0) return at(0);
  const build = (dim: number, offset: number): Complex[] => {
    const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const out = [];
    for (let i = 0; i < shape[dim]; i++) out.push(dim === shape.length - 1 ? at(offset + i) : build(dim + 1, offset + i * inner));
    return out as Complex[];
  };
  return build(0, 0);
}

// ---- text --------------------------------------------------------------------
//
// NumPy's FloatingFormat (precision 8, floatmode "maxprec", no suppression)
// for each part of a complex array: the real parts share one format, the
// imaginary parts (always signed) another, and `…+…j` joins them.

const MAX_PRECISION = 8;

/** The shortest decimal digits that read back as the same float of the width (float32 for complex64). */
function shortest(v: number, width: "float32" | "float64"): number {
  if (width === "float64") return v;
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return t;
  }
  return f;
}

/** Digits of |v| without exponent: "123.25", at most MAX_PRECISION fraction digits, unique (shortest) otherwise. */
function positionalDigits(v: number, width: "float32" | "float64"): [string, string] {
  const a = Math.abs(shortest(v, width));
  let s = a.toFixed(20); // exact enough for the cut below
  // the shortest text, if it fits the precision; otherwise rounded to it and trimmed
  const short = String(a);
  if (!short.includes("e")) {
    const frac = short.split(".")[1] ?? "";
    if (frac.length <= MAX_PRECISION) s = short;
    else s = a.toFixed(MAX_PRECISION).replace(/0+$/, "");
  } else {
    s = a.toFixed(MAX_PRECISION).replace(/0+$/, "");
    if (a >= 1e21) s = BigInt(Math.round(a)).toString() + ".";
  }
  const [i, f = ""] = s.split(".");
  return [i, f];
}

/** Digits of |v| in scientific form: mantissa integer digit, fraction digits (≤ MAX_PRECISION, shortest otherwise), exponent. */
function scientificDigits(v: number, width: "float32" | "float64"): [string, string, number] {
  const a = Math.abs(shortest(v, width));
  let [m, e] = a.toExponential().split("e");
  let frac = m.split(".")[1] ?? "";
  if (frac.length > MAX_PRECISION) {
    [m, e] = a.toExponential(MAX_PRECISION).split("e");
    frac = (m.split(".")[1] ?? "").replace(/0+$/, "");
  }
  return [m.split(".")[0], frac, Number(e)];
}

interface PartFormat {
  exp: boolean;
  padLeft: number;
  padRight: number;
  precision: number; // exp mode: the common number of mantissa fraction digits
  expSize: number;
}

function fillFormat(values: ArrayLike<number>, width: "float32" | "float64", signed: boolean): PartFormat {
  const finite: number[] = [];
  let nonFinite = false;
  let negInf = false;
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (Number.isFinite(v)) finite.push(width === "float32" ? Math.fround(v) : v);
    else {
      nonFinite = true;
      if (v === -Infinity) negInf = true;
    }
  }
  const nz = finite.filter((v) => v !== 0).map(Math.abs);
  let exp = false;
  if (nz.length) {
    const max = Math.max(...nz);
    const min = Math.min(...nz);
    exp = max >= (width === "float32" ? 1e6 : 1e8) || min < 1e-4 || max / min > 1000;
  }
  const sign = (v: number) => (v < 0 || Object.is(v, -0) ? "-" : signed ? "+" : "");
  const f: PartFormat = { exp, padLeft: 0, padRight: 0, precision: 0, expSize: -1 };
  if (finite.length && exp) {
    const parts = finite.map((v) => [sign(v) + scientificDigits(v, width)[0], scientificDigits(v, width)[1], scientificDigits(v, width)[2]] as const);
    f.precision = Math.max(...parts.map((p) => p[1].length));
    f.expSize = Math.max(...parts.map((p) => Math.max(2, String(Math.abs(p[2])).length)));
    f.padLeft = Math.max(...parts.map((p) => p[0].length));
    f.padRight = f.expSize + 2 + f.precision;
  } else if (finite.length) {
    const parts = finite.map((v) => positionalDigits(v, width));
    f.padLeft = Math.max(...finite.map((v, k) => sign(v).length + parts[k][0].length));
    f.padRight = Math.max(...parts.map((p) => p[1].length));
  }
  if (nonFinite) {
    const offset = f.padRight + 1;
    f.padLeft = Math.max(f.padLeft, 3 - offset, 3 + (signed || negInf ? 1 : 0) - offset);
  }
  return f;
}

function formatPart(v: number, f: PartFormat, width: "float32" | "float64", signed: boolean): string {
  if (!Number.isFinite(v)) {
    const ret = Number.isNaN(v) ? (signed ? "+nan" : "nan") : (v < 0 ? "-" : signed ? "+" : "") + "inf";
    return " ".repeat(Math.max(0, f.padLeft + f.padRight + 1 - ret.length)) + ret;
  }
  const sign = v < 0 || Object.is(v, -0) ? "-" : signed ? "+" : "";
  if (f.exp) {
    const [i, frac, e] = scientificDigits(v, width);
    const head = (sign + i).padStart(f.padLeft, " ");
    return `${head}.${frac.padEnd(f.precision, "0")}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(f.expSize, "0")}`;
  }
  const [i, frac] = positionalDigits(v, width);
  return `${(sign + i).padStart(f.padLeft, " ")}.${frac.padEnd(f.padRight, " ")}`;
}

/**
 * The elements of a complex array as NumPy prints them (`np.array2string`,
 * which JAX's repr uses): every real part in one shared format, every
 * imaginary part signed in another, padded to common widths: `2.+3.j`,
 * `-1.5+0.5j`, `1.e+20-2.5e-07j`, `nan+1.j`.
 */
export function formatComplexElements(pairs: ArrayLike<number>, dtype: ComplexDType): string[] {
  const width = complexPartOf(dtype);
  const n = pairs.length >> 1;
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  for (let k = 0; k < n; k++) (re[k] = pairs[2 * k]), (im[k] = pairs[2 * k + 1]);
  const fr = fillFormat(re, width, false);
  const fi = fillFormat(im, width, true);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    const i = formatPart(im[k], fi, width, true);
    const sp = i.trimEnd().length;
    out.push(formatPart(re[k], fr, width, false) + i.slice(0, sp) + "j" + " ".repeat(i.length - sp));
  }
  return out;
}

/** One complex number as an element of a printed array of one element: `2.+3.j`. */
export function formatComplex(re: number, im: number, dtype: ComplexDType): string {
  return formatComplexElements([re, im], dtype)[0];
}

/**
 * A complex array's text as JAX's repr body: `[2.+3.j, 4.-5.j]`, nested
 * lists for more dimensions (the same layout as real arrays' `toString`).
 */
export function formatComplexArray(pairs: ArrayLike<number>, shape: readonly number[], dtype: ComplexDType): string {
  const items = formatComplexElements(pairs, dtype);
  if (shape.length === 0) return items[0];
  const rec = (dim: number, offset: number): string => {
    const n = shape[dim];
    const inner = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    if (dim === shape.length - 1) return `[${items.slice(offset, offset + n).join(", ")}]`;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(rec(dim + 1, offset + i * inner));
    return `[${parts.join(",\n" + " ".repeat(dim + 7))}]`;
  };
  return rec(0, 0);
}

/**
 * dtypes, their storage, and JAX's type-promotion lattice with weak types.
 *
 * A JS number is "weakly typed": it takes the dtype of the array it meets
 * (`x.mul(2)` stays float32). The lattice is JAX's, restricted to the dtypes
 * jaxon has, with x64 off: int32 ⊔ uint32 is int64 in JAX, canonicalized to int32.
 *
 * float16 is IEEE half precision in value: every float16 result is rounded to
 * the nearest half (ties to even). It is stored in a Float32Array on the CPU
 * (JavaScript has no half-precision array in Node 20) and computed in float32.
 */
import { BackendError, DTypeError, ShapeError } from "./errors.js";

export type DType = "float16" | "float32" | "float64" | "int32" | "uint32" | "bool";

export const dtypes: readonly DType[] = ["bool", "int32", "uint32", "float16", "float32", "float64"];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

const storage = {
  float16: Float32Array,
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint32: Uint32Array,
  bool: Uint8Array,
} as const;

export function isDType(x: unknown): x is DType {
  return typeof x === "string" && Object.prototype.hasOwnProperty.call(storage, x);
}

/** Validates a dtype coming from user code; never trust a string. */
export function checkDType(x: unknown, op: string): DType {
  if (!isDType(x)) {
    throw new DTypeError(
      `${op}: unknown dtype ${typeof x === "string" ? JSON.stringify(x.slice(0, 40)) : typeof x}; ` +
        `use one of ${dtypes.join(", ")}`,
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

export function storageOf(dtype: DType) {
  return storage[dtype];
}

export function itemSize(dtype: DType): number {
  return storage[dtype].BYTES_PER_ELEMENT;
}

export const isFloat = (d: DType) => d === "float32" || d === "float64" || d === "float16";
export const isInt = (d: DType) => d === "int32" || d === "uint32";
export const isSigned = (d: DType) => d !== "uint32" && d !== "bool";

/** Short names used in jaxpr printing, as JAX: f32[3], i32[], bool[2]. */
export const shortName: Record<DType, string> = {
  float16: "f16",
  float32: "f32",
  float64: "f64",
  int32: "i32",
  uint32: "u32",
  bool: "bool",
};

// ---- promotion lattice ----------------------------------------------------
// Nodes: the dtypes plus the weak kinds "i*" and "f*". Edges point upward.
type Node = DType | "i*" | "f*" | "i64";
const up: Record<Node, Node[]> = {
  bool: ["i*"],
  "i*": ["uint32", "int32"],
  uint32: ["i64"],
  int32: ["i64"],
  i64: ["f*"],
  "f*": ["float16"],
  float16: ["float32"],
  float32: ["float64"],
  float64: [],
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

function join(a: Node, b: Node): Node {
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

/** The dtype a float-only function (sin, exp, mean) computes in for this input. */
export function floatOf(dtype: DType): DType {
  return isFloat(dtype) ? dtype : "float32";
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
// The foundation of issue #14's complex part. complex64 and complex128 are not
// yet members of `DType` (no kernel computes on them yet), so nothing here
// changes what existing code accepts; these are the pieces the wiring builds on:
// JAX's promotion lattice extended with complex, the literal form jaxon reads
// from JS, the interleaved (re, im) storage layout, and NumPy's text.

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
  "i*": ["uint32", "int32"],
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

/** A float as NumPy prints it inside an array: `2.`, `0.5`, `1.e+10`, `nan`, `inf`. */
function npFloat(v: number, dtype: ComplexDType): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Infinity) return "inf";
  if (v === -Infinity) return "-inf";
  // the shortest text that reads back as the same float of the part's width (NumPy's default)
  let s = String(dtype === "complex64" ? shortestFloat32(v) : v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e16 || a < 1e-4)) {
    // exponent form: NumPy writes mantissa "1.5e+20", and "1.e+20" for a whole mantissa
    const [m, e] = Number(s).toExponential().split("e");
    const exp = Number(e);
    const mant = m.includes(".") ? m : `${m}.`;
    return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
  }
  if (s.includes("e")) s = v.toFixed(20).replace(/0+$/, "");
  return s.includes(".") ? s : `${s}.`;
}

/** The shortest decimal that reads back as the same float32. */
function shortestFloat32(v: number): number {
  const f = Math.fround(v);
  for (let p = 1; p <= 9; p++) {
    const t = Number(f.toPrecision(p));
    if (Math.fround(t) === f) return t;
  }
  return f;
}

/**
 * One complex number as NumPy's repr writes it (`str` of a numpy scalar):
 * `2+3j`, `-1.5-0.5j`, `nan+infj` — and, with `inArray`, as an element of a
 * printed array: `2.+3.j`.
 */
export function formatComplex(re: number, im: number, dtype: ComplexDType, inArray = true): string {
  const r = inArray ? npFloat(re, dtype) : npScalar(re, dtype);
  const negIm = im < 0 || Object.is(im, -0);
  const i = inArray ? npFloat(Math.abs(im), dtype) : npScalar(Math.abs(im), dtype);
  return `${r}${negIm ? "-" : "+"}${i}j`;
}

function npScalar(v: number, dtype: ComplexDType): string {
  const s = npFloat(v, dtype);
  return s.endsWith(".") ? s.slice(0, -1) : s.replace(".e", "e");
}

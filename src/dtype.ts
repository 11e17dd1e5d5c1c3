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
import { BackendError, DTypeError } from "./errors.js";

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

/**
 * Shared machinery of `np`: turning ArrayLikes into lax values, JAX's type
 * promotion (JS numbers are weakly typed), NumPy broadcasting, and axis
 * arguments. Internal: not re-exported from `src/numpy/index.ts`.
 */
import type { ArrayLike, Axis } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { allocateComplex, asComplexLiteral, checkDType, isComplexDType, promoteTypes, floatOf } from "../dtype.js";
import type { Complex } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { gather } from "../lax/indexing.js";
import { Array as JArray } from "../array.js";
import { broadcastShapes, fmtShape, normalizeAxes, normalizeAxis } from "../shape.js";
import { configState } from "../config-state.js";
import type { Value } from "../trace/core.js";
import { describe, intArg, shapeArg } from "../static-args.js";
export { describe, intArg, shapeArg };

export type { ArrayLike, Axis, DType, Value };

export const range = (n: number, start = 0): number[] => Array.from({ length: Math.max(0, n) }, (_, i) => i + start);

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** The (dtype, weakness) an ArrayLike has before promotion: JS numbers are weak, integers int32, others float32. */
export function typeOf(x: ArrayLike): { dtype: DType; weakType: boolean } {
  if (x instanceof ArrayMethods) return { dtype: x.dtype, weakType: x.weakType };
  if (typeof x === "boolean") return { dtype: "bool", weakType: false };
  if (typeof x === "number") {
    const int = Number.isInteger(x) && x >= INT32_MIN && x <= INT32_MAX;
    return { dtype: int ? "int32" : "float32", weakType: true };
  }
  // a complex literal is a weak complex, as a Python complex in JAX (weak + float32 → complex64, + float64 → complex128)
  if (asComplexLiteral(x) !== null) return { dtype: "complex64", weakType: true };
  throw new DTypeError(`expected an array, a number, a boolean or a complex literal {re, im}, got ${describe(x)}`);
}


function checkArrayLike(op: string, x: unknown): asserts x is ArrayLike {
  if (!(x instanceof ArrayMethods) && typeof x !== "number" && typeof x !== "boolean" && asComplexLiteral(x) === null) {
    throw new DTypeError(
      `${op}: expected an array, a number, a boolean or a complex literal {re, im}, got ${describe(x)}; ` + `wrap JS arrays with np.array(...) first`,
    );
  }
}

/** A 0-d constant of `dtype` holding the JS value `v` (booleans become 0/1; a complex literal needs a complex dtype). */
export function constant(v: number | boolean | Complex, dtype: DType, weakType = false): Value {
  if (typeof v === "object") return complexConstant(v, dtype, weakType);
  const n = typeof v === "boolean" ? (v ? 1 : 0) : dtype === "bool" ? (v !== 0 ? 1 : 0) : v;
  return lax.scalar(n, dtype, weakType);
}

/** A 0-d complex constant (the literal is read once, by `asComplexLiteral`: no getter or method of it runs). */
function complexConstant(v: Complex, dtype: DType, weakType: boolean): Value {
  const c = asComplexLiteral(v);
  if (c === null) throw new DTypeError(`expected a complex literal {re, im}, got ${describe(v)}`);
  if (!isComplexDType(dtype)) {
    throw new DTypeError(`a complex value (${c.re}${c.im < 0 || Object.is(c.im, -0) ? "-" : "+"}${Math.abs(c.im)}j) cannot be a ${dtype} value; take its real part first, or use a complex dtype`);
  }
  const data = allocateComplex(dtype, 1);
  data[0] = c.re;
  data[1] = c.im;
  return JArray.fromTyped(data, [], dtype, weakType) as Value;
}

/** An ArrayLike as a value, keeping its own type (a JS number becomes a weak 0-d array). */
export function asValue(x: ArrayLike, op = "np"): Value {
  checkArrayLike(op, x);
  if (x instanceof ArrayMethods) return x as Value;
  const t = typeOf(x);
  return constant(x, t.dtype, t.weakType);
}

/** Converts a value to `dtype` (no-op when it already is), with the given weakness. */
export function cast(x: Value, dtype: DType, weakType = false): Value {
  if (x.dtype === dtype && x.weakType === weakType) return x;
  return lax.convert(x, dtype, weakType);
}

/** The JAX result type of combining the arguments. */
export function resultTypeOf(xs: ArrayLike[]): { dtype: DType; weakType: boolean } {
  return promoteTypes(...xs.map(typeOf));
}

/**
 * Promotes the arguments to their common dtype (JAX's lattice with weak JS
 * numbers). JS numbers are made directly in the result dtype (no float32
 * rounding on the way to float64).
 */
export function promote(op: string, xs: ArrayLike[], to?: (d: DType) => DType): Value[] {
  xs.forEach((x) => checkArrayLike(op, x));
  const r = resultTypeOf(xs);
  const dtype = to ? to(r.dtype) : r.dtype;
  return xs.map((x) => (x instanceof ArrayMethods ? cast(x as Value, dtype, r.weakType) : constant(x, dtype, r.weakType)));
}

/** Promotes and then makes a float dtype (int/bool → float32), keeping weakness: for sin, divide, mean. */
export function promoteInexact(op: string, xs: ArrayLike[]): Value[] {
  return promote(op, xs, floatOf);
}

/** A value in a float dtype (int/bool → float32, weakness kept). */
export function toInexact(op: string, x: ArrayLike): Value {
  return promoteInexact(op, [x])[0];
}

/** Broadcasts `x` to `shape` by NumPy's rules (trailing axes aligned). */
export function broadcastValue(op: string, x: Value, shape: readonly number[]): Value {
  if (x.ndim > shape.length) {
    throw new ShapeError(`${op}: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(shape)}: the target has fewer axes`);
  }
  const lead = shape.length - x.ndim;
  for (let i = 0; i < x.ndim; i++) {
    if (x.shape[i] !== 1 && x.shape[i] !== shape[lead + i]) {
      throw new ShapeError(
        `${op}: cannot broadcast shape ${fmtShape(x.shape)} to ${fmtShape(shape)} (axis ${i} has size ${x.shape[i]}, ` +
          `needs ${shape[lead + i]} or 1)`,
      );
    }
  }
  return lax.broadcastInDim(x, shape, range(x.ndim, lead));
}

const rankWarnings = new Set<string>();

/**
 * JAX's `jax_numpy_rank_promotion` check (set by `numpyRankPromotion`):
 * operands of a NumPy ufunc whose ranks differ, not counting 0-d ones, are
 * broadcast by adding leading axes, which "warn" reports (console.warn,
 * once per operation and shapes) and "raise" refuses with a ShapeError.
 */
export function checkRankPromotion(op: string, shapes: readonly (readonly number[])[]): void {
  const mode = configState.rankPromotion;
  if (mode === "allow" || shapes.length < 2) return;
  const ranks = new Set(shapes.filter((s) => s.length > 0).map((s) => s.length));
  if (ranks.size < 2) return;
  const shown = shapes.map(fmtShape).join(" and ");
  if (mode === "raise") {
    throw new ShapeError(
      `${op}: operands of shapes ${shown} have different ranks, and numpyRankPromotion("raise") forbids implicit rank promotion; ` +
        `add the leading axes explicitly (np.expandDims, x.reshape, np.broadcastTo), or use numpyRankPromotion("allow")`,
    );
  }
  const message = `jaxon: ${op}: implicit rank promotion of shapes ${shown} (numpyRankPromotion("warn")); add the leading axes explicitly, or use numpyRankPromotion("allow")`;
  if (rankWarnings.has(message)) return;
  rankWarnings.add(message);
  console.warn(message);
}

/**
 * Broadcasts values against each other for an elementwise lax op: shaped
 * operands get the common shape; 0-d operands stay 0-d (lax takes them as they are).
 * `checkRanks: false` for the functions JAX broadcasts without the rank
 * promotion check (`where`, as `jnp.broadcast_arrays`).
 */
export function broadcastForLax(op: string, xs: Value[], checkRanks = true): Value[] {
  if (checkRanks) checkRankPromotion(op, xs.map((x) => x.shape));
  const shape = broadcastShapes(op, ...xs.map((x) => x.shape));
  return xs.map((x) => (x.ndim === 0 ? x : broadcastValue(op, x, shape)));
}

/** Broadcasts every value to the common shape (0-d ones included); `checkRanks` as in `broadcastForLax`. */
export function broadcastAll(op: string, xs: Value[], checkRanks = true): Value[] {
  if (checkRanks) checkRankPromotion(op, xs.map((x) => x.shape));
  const shape = broadcastShapes(op, ...xs.map((x) => x.shape));
  return xs.map((x) => broadcastValue(op, x, shape));
}

/** Promote + broadcast: the operands of a NumPy binary ufunc, ready for lax. */
export function binaryOperands(op: string, x: ArrayLike, y: ArrayLike, to?: (d: DType) => DType): [Value, Value] {
  const [a, b] = promote(op, [x, y], to);
  return broadcastForLax(op, [a, b]) as [Value, Value];
}

/** Resolves an axis argument (null/undefined = all) into sorted non-negative axes. */
export function axesOf(op: string, axis: Axis, ndim: number): number[] {
  if (axis !== undefined && axis !== null && typeof axis !== "number" && !Array.isArray(axis)) {
    throw new ShapeError(`${op}: axis must be a number, a list of numbers, or null; got ${describe(axis)}`);
  }
  return normalizeAxes(op, axis, ndim);
}

/** One axis (negative counts from the end). */
export function axisOf(op: string, axis: number, ndim: number): number {
  if (typeof axis !== "number") throw new ShapeError(`${op}: axis must be a number, got ${describe(axis)}`);
  return normalizeAxis(op, axis, ndim);
}

/** Re-inserts reduced axes as size 1 (for `keepdims`). */
export function keepDims(x: Value, inShape: readonly number[], axes: number[]): Value {
  const shape = inShape.map((d, i) => (axes.includes(i) ? 1 : d));
  return lax.reshape(x, shape);
}



export const isValue = (x: unknown): x is Value => x instanceof ArrayMethods;

/**
 * `x` indexed along `axis` by static (JS) in-range indices: contiguous runs
 * become slices, reversed runs reversed slices and repeated indices
 * broadcasts, so the common cases (pads, repeats) need no gather.
 */
export function takeStatic(x: Value, idx: readonly number[], axis: number): Value {
  const runs: [number, number, number][] = []; // [first index, step, length]
  for (let i = 0; i < idx.length; ) {
    let step = i + 1 < idx.length ? idx[i + 1] - idx[i] : 1;
    if (step !== 1 && step !== -1 && step !== 0) step = 1;
    let j = i + 1;
    while (j < idx.length && idx[j] - idx[j - 1] === step) j++;
    runs.push([idx[i], step, j - i]);
    i = j;
  }
  const sliceAxis = (lo: number, hi: number) => lax.slice(x, x.shape.map((_, k) => (k === axis ? lo : 0)), x.shape.map((d, k) => (k === axis ? hi : d)));
  if (runs.length === 0) return sliceAxis(0, 0);
  if (runs.length > 8) {
    const data = Int32Array.from(idx);
    return gather(x, JArray.fromTyped(data, [idx.length], "int32"), { axis });
  }
  const parts = runs.map(([first, step, len]) => {
    if (step === 1) return sliceAxis(first, first + len);
    if (step === -1) return lax.rev(sliceAxis(first - len + 1, first + 1), [axis]);
    const one = sliceAxis(first, first + 1);
    const shape = x.shape.map((d, k) => (k === axis ? len : d));
    return lax.broadcastInDim(one, shape, range(x.ndim));
  });
  return parts.length === 1 ? parts[0] : lax.concatenate(parts, axis);
}

/** The options object of a `DTypeArg` (a dtype string becomes `{ dtype }`); anything else is a typed error. */
export function dtypeOptions<O extends { dtype?: DType }>(op: string, options: O | DType | undefined): O {
  if (options === undefined) return {} as O;
  if (typeof options === "string") return { dtype: checkDType(options, op) } as O;
  if (typeof options !== "object" || options === null || options instanceof ArrayMethods || Array.isArray(options)) {
    throw new DTypeError(`${op}: expected a dtype string or an options object such as { dtype: "int32" } here, got ${describe(options)}`);
  }
  return options;
}

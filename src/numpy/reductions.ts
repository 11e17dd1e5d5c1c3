/**
 * Reductions over axes (`axis`: a number, a list, or null/undefined for all;
 * negatives count from the end), with `keepdims`, and cumulative sums and
 * products. Bools and 8- and 16-bit integers sum and multiply as int32 (uint32
 * for the unsigned ones), as JAX; means and variances of integers
 * are float32.
 */
import { optionsArg } from "../static-args.js";
import type { ReduceOptions } from "../array-methods.js";
import { isFloat, isInt } from "../dtype.js";
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { fmtShape, sizeOf } from "../shape.js";
import { full } from "./creation.js";
import { dtypeOptions } from "./util.js";
import { abs, isinf, isnan, logicalAnd, logicalOr, subtract, where } from "./elementwise.js";
import type { ArrayLike, Axis, DType, Value } from "./util.js";
import { asValue, axesOf, axisOf, binaryOperands, cast, keepDims, toInexact } from "./util.js";
import { checkDType } from "../dtype.js";
import { complexMean, complexVar, isComplexValue } from "./complex-reductions.js";

export type { ReduceOptions };
export interface SumOptions extends ReduceOptions {
  /** The dtype to accumulate and return in. */
  dtype?: DType;
}
export interface VarOptions extends ReduceOptions {
  /** Delta degrees of freedom: the divisor is N - ddof (default 0); N - ddof <= 0 gives NaN, as JAX. */
  ddof?: number;
}

function finish(out: Value, x: Value, axes: number[], opts: ReduceOptions | undefined): Value {
  return opts?.keepdims ? keepDims(out, x.shape, axes) : out;
}

/** As JAX: a reduction's result is strongly typed even when its input is weak (a JS number passed to jit). */
const strong = (x: Value): Value => (x.weakType ? cast(x, x.dtype) : x);

/**
 * The dtype a sum or product accumulates in, as JAX (`promote_integers`): bools and the signed
 * 8- and 16-bit integers as int32, the unsigned ones as uint32.
 */
const accumulate = (op: string, x: Value, dtype?: DType): Value =>
  dtype
    ? cast(x, checkDType(dtype, op))
    : x.dtype === "bool" || x.dtype === "int8" || x.dtype === "int16"
      ? cast(x, "int32")
      : x.dtype === "uint8" || x.dtype === "uint16"
        ? cast(x, "uint32")
        : strong(x);

/**
 * `lax.reduceSum`, accumulating float16 in float32 and rounding once at the
 * end, as JAX's NumPy reductions do (`upcast_f16_for_computation`): so that
 * they pass inside `allowF16Reductions(false)`, which refuses float16 sums.
 */
function sumOf(v: Value, axes: number[], keepF32 = false): Value {
  if (v.dtype !== "float16" || axes.length === 0) return lax.reduceSum(v, axes);
  const total = lax.reduceSum(lax.convert(v, "float32"), axes);
  return keepF32 ? total : lax.convert(total, "float16");
}

/**
 * Sum over axes.
 * @example np.sum(np.array([[1, 2], [3, 4]])); // 10
 * np.sum(np.array([[1, 2], [3, 4]]), 0); // [4, 6]
 */
export function sum(x: ArrayLike, axis?: Axis, options?: SumOptions | DType): Value {
  options = dtypeOptions("np.sum", options);
  const v = accumulate("np.sum", asValue(x, "np.sum"), options?.dtype);
  const axes = axesOf("np.sum", axis, v.ndim);
  return finish(sumOf(v, axes), v, axes, options);
}

/**
 * Product over axes.
 * @example np.prod(np.array([1, 2, 3, 4])); // 24
 */
export function prod(x: ArrayLike, axis?: Axis, options?: SumOptions | DType): Value {
  options = dtypeOptions("np.prod", options);
  const v = accumulate("np.prod", asValue(x, "np.prod"), options?.dtype);
  const axes = axesOf("np.prod", axis, v.ndim);
  return finish(lax.reduceProd(v, axes), v, axes, options);
}

/**
 * Arithmetic mean over axes (NaN for an empty reduction).
 * @example np.mean(np.array([1, 2, 3, 4])); // 2.5
 */
export function mean(x: ArrayLike, axis?: Axis, options?: ReduceOptions): Value {
  const v = strong(toInexact("np.mean", x));
  const axes = axesOf("np.mean", axis, v.ndim);
  if (isComplexValue(v)) return finish(complexMean(v, axes), v, axes, options);
  const n = sizeOf(axes.map((a) => v.shape[a]));
  // float16: the sum and the division in float32, rounded once (as JAX)
  const m = v.dtype === "float16" && axes.length > 0 ? lax.convert(lax.div(sumOf(v, axes, true), n), "float16") : lax.div(lax.reduceSum(v, axes), n);
  return finish(m, v, axes, options);
}

function extreme(name: string, fn: (x: Value, axes: number[]) => Value) {
  return (x: ArrayLike, axis?: Axis, options?: ReduceOptions): Value => {
    const op = `np.${name}`;
    const v = strong(asValue(x, op));
    const axes = axesOf(op, axis, v.ndim);
    if (axes.some((a) => v.shape[a] === 0)) {
      throw new ShapeError(
        `${op}: cannot reduce the empty axis ${axes.find((a) => v.shape[a] === 0)} of shape ${fmtShape(v.shape)}: ` +
          `the ${name}imum of no elements is undefined; check for empty arrays first`,
      );
    }
    return finish(fn(v, axes), v, axes, options);
  };
}

/**
 * Maximum over axes; NaN propagates. Empty reductions throw ShapeError.
 * @example np.max(np.array([[1, 5], [3, 2]]), 1); // [5, 3]
 */
export const max = extreme("max", lax.reduceMax);
/**
 * Minimum over axes; NaN propagates.
 * @example np.min(np.array([3, 1, 2])); // 1
 */
export const min = extreme("min", lax.reduceMin);
/** Alias of {@link max}. @example np.amax(np.array([1, 2])); // 2 */
export const amax = max;
/** Alias of {@link min}. @example np.amin(np.array([1, 2])); // 1 */
export const amin = min;

/**
 * Variance: mean of squared deviations, divided by N - ddof.
 * @example np.var_(np.array([1, 2, 3, 4])); // 1.25
 */
export function var_(x: ArrayLike, axis?: Axis, options?: VarOptions): Value {
  const op = "np.var";
  const v = strong(toInexact(op, x));
  const axes = axesOf(op, axis, v.ndim);
  // complex: the mean of |x − mean|², real (as JAX)
  if (isComplexValue(v)) return finish(complexVar(v, axes, options?.ddof ?? 0), v, axes, options);
  const n = sizeOf(axes.map((a) => v.shape[a]));
  const m = lax.div(lax.reduceSum(v, axes), n);
  const centered = lax.sub(v, lax.broadcastInDim(m, v.shape, v.shape.map((_, i) => i).filter((i) => !axes.includes(i))));
  const ss = lax.reduceSum(lax.square(centered), axes);
  const ddof = options?.ddof ?? 0;
  // as JAX: N - ddof <= 0 gives NaN (no estimate), not ±inf or a negative variance
  const out = n - ddof > 0 ? lax.div(ss, n - ddof) : lax.add(lax.mul(ss, 0), NaN);
  return finish(out, v, axes, options);
}
export { var_ as var };

/**
 * Standard deviation: `sqrt(var)`.
 * @example np.std(np.array([1, 2, 3, 4])); // 1.118034
 */
export function std(x: ArrayLike, axis?: Axis, options?: VarOptions): Value {
  return lax.sqrt(var_(x, axis, options));
}

function argReduce(name: string, fn: (x: Value, axis: number) => Value) {
  return (x: ArrayLike, axis?: number | null, options?: ReduceOptions): Value => {
    const op = `np.${name}`;
    let v = asValue(x, op);
    const inShape = v.shape;
    let a: number;
    if (axis === undefined || axis === null) {
      v = lax.reshape(v, [v.size]);
      a = 0;
    } else {
      a = axisOf(op, axis, v.ndim);
    }
    if (v.shape[a] === 0) throw new ShapeError(`${op}: attempt to get ${name} of an empty sequence (shape ${fmtShape(inShape)}, axis ${a})`);
    const out = fn(v, a);
    if (!options?.keepdims) return out;
    return lax.reshape(out, axis === undefined || axis === null ? inShape.map(() => 1) : inShape.map((d, i) => (i === a ? 1 : d)));
  };
}

/**
 * Index of the maximum along `axis` (of the flattened array when omitted), as int32; the first on ties.
 * @example np.argmax(np.array([1, 5, 3])); // 1
 */
export const argmax = argReduce("argmax", (v, a) => lax.argmax(v, a));
/**
 * Index of the minimum along `axis`, as int32.
 * @example np.argmin(np.array([[1, 5], [0, 2]]), 1); // [0, 0]
 */
export const argmin = argReduce("argmin", (v, a) => lax.argmin(v, a));

function truth(name: string, empty: boolean, fn: (x: Value, axes: number[]) => Value) {
  return (x: ArrayLike, axis?: Axis, options?: ReduceOptions): Value => {
    const op = `np.${name}`;
    const v0 = asValue(x, op);
    const v = v0.dtype === "bool" ? v0 : lax.ne(v0, 0);
    const axes = axesOf(op, axis, v.ndim);
    if (axes.some((a) => v.shape[a] === 0)) {
      const shape = v.shape.filter((_, i) => !axes.includes(i));
      return finish(full(shape, empty), v, axes, options);
    }
    return finish(fn(v, axes), v, axes, options);
  };
}

/**
 * Whether every element (along axes) is true/nonzero.
 * @example np.all(np.array([true, false])); // false
 */
export const all = truth("all", true, lax.reduceMin);
/**
 * Whether any element (along axes) is true/nonzero.
 * @example np.any(np.array([true, false])); // true
 */
export const any = truth("any", false, lax.reduceMax);

/**
 * The number of nonzero (true) elements.
 * @example np.countNonzero(np.array([0, 1, 2])); // 2
 */
export function countNonzero(x: ArrayLike, axis?: Axis, options?: ReduceOptions): Value {
  const v = asValue(x, "np.countNonzero");
  return sum(v.dtype === "bool" ? v : lax.ne(v, 0), axis, options);
}

function cumulative(name: string, fn: (x: Value, axis: number) => Value) {
  return (x: ArrayLike, axis?: number | null, options?: { dtype?: DType } | DType): Value => {
    const op = `np.${name}`;
    options = dtypeOptions(op, options);
    // unlike sum, a running sum keeps an 8- or 16-bit integer's dtype (JAX's cumsum); bools count as int32
    const x0 = asValue(x, op);
    let v = options?.dtype === undefined && isInt(x0.dtype) ? strong(x0) : accumulate(op, x0, options?.dtype);
    if (axis === undefined || axis === null) {
      v = lax.reshape(v, [v.size]);
      axis = 0;
    }
    return fn(v, axisOf(op, axis, v.ndim));
  };
}

/**
 * Running sum along `axis` (of the flattened array when omitted).
 * @example np.cumsum(np.array([1, 2, 3])); // [1, 3, 6]
 */
export const cumsum = cumulative("cumsum", (v, a) => lax.cumsum(v, a));
/**
 * Running product along `axis` (of the flattened array when omitted).
 * @example np.cumprod(np.array([1, 2, 3])); // [1, 2, 6]
 */
export const cumprod = cumulative("cumprod", (v, a) => lax.cumprod(v, a));

export interface IsCloseOptions {
  rtol?: number;
  atol?: number;
  /** Whether NaN equals NaN (default false). */
  equalNan?: boolean;
}

/**
 * `|a - b| <= atol + rtol * |b|` elementwise (infinities equal only themselves).
 * @example np.isclose(np.array([1, 2]), np.array([1.000001, 2.1])); // [true, false]
 */
export function isclose(a: ArrayLike, b: ArrayLike, options: IsCloseOptions = {}): Value {
  options = optionsArg("np.isclose", options);
  const op = "np.isclose";
  let [x, y] = binaryOperands(op, a, b);
  if (!isFloat(x.dtype)) [x, y] = [cast(x, "float32", x.weakType), cast(y, "float32", y.weakType)];
  const rtol = options.rtol ?? 1e-5;
  const atol = options.atol ?? 1e-8;
  const diff = abs(subtract(x, y));
  const finiteClose = lax.le(diff, lax.add(lax.mul(abs(y), rtol), atol));
  // as JAX: where either side is infinite, only equality counts (|1 - inf| <= rtol·inf would say 1 ≈ inf)
  const anyInf = logicalOr(isinf(x), isinf(y));
  let out = where(anyInf, lax.eq(x, y), finiteClose);
  if (options.equalNan) out = lax.or(out, logicalAnd(isnan(x), isnan(y)));
  return out;
}

/**
 * Whether every pair of elements is close (see {@link isclose}), as a bool 0-d array.
 * @example np.allclose(np.array([1, 2]), np.array([1, 2])); // true
 */
export function allclose(a: ArrayLike, b: ArrayLike, options: IsCloseOptions = {}): Value {
  options = optionsArg("np.allclose", options);
  return all(isclose(a, b, options));
}

export interface ArrayEqualOptions {
  /** Whether NaN equals NaN (default false), as JAX's `equal_nan`. */
  equalNan?: boolean;
  /** The same as `equalNan` (either spelling is honoured). */
  equalNaN?: boolean;
}

/**
 * Whether two arrays have the same shape and elements, as a bool 0-d array.
 * @example np.arrayEqual(np.array([1, 2]), np.array([1, 2])); // true
 */
export function arrayEqual(a: ArrayLike, b: ArrayLike, options: ArrayEqualOptions = {}): Value {
  options = optionsArg("np.arrayEqual", options);
  const x = asValue(a, "np.arrayEqual");
  const y = asValue(b, "np.arrayEqual");
  if (x.ndim !== y.ndim || x.shape.some((d, i) => d !== y.shape[i])) return full([], false);
  const [p, q] = binaryOperands("np.arrayEqual", x, y);
  const eq = lax.eq(p, q);
  // JAX's equal_nan: NaN equals NaN (only floats have NaNs)
  const equalNan = options.equalNan ?? options.equalNaN ?? false;
  return all(equalNan && isFloat(p.dtype) ? lax.or(eq, lax.and(lax.ne(p, p), lax.ne(q, q))) : eq);
}

/**
 * Maximum minus minimum ("peak to peak") over axes.
 * @example np.ptp(np.array([1, 5, 3])); // 4
 */
export function ptp(x: ArrayLike, axis?: Axis, options?: ReduceOptions): Value {
  return subtract(max(x, axis, options), min(x, axis, options));
}

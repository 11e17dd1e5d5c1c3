/**
 * NaN-ignoring reductions, as JAX's: NaNs are replaced by the reduction's
 * identity (0 for sums, 1 for products, ∓inf for max/min) before reducing;
 * a slice of NaNs only gives NaN for max/min/mean/var (and -1 for
 * nanargmax/nanargmin, JAX's choice where NumPy raises). Integer and bool
 * inputs have no NaNs and reduce as the plain functions do.
 */
import { isFloat } from "../dtype.js";
import type { ReduceOptions } from "../array-methods.js";
import * as lax from "../lax/index.js";
import { optionsArg } from "../static-args.js";
import { isnan, where } from "./elementwise.js";
import * as red from "./reductions.js";
import type { SumOptions, VarOptions } from "./reductions.js";
import { percentOf, quantileImpl } from "./statistics.js";
import type { QuantileOptions } from "./statistics.js";
import type { ArrayLike, Axis, DType, Value } from "./util.js";
import { asValue, cast, dtypeOptions, toInexact } from "./util.js";

/** `x` with its NaNs replaced by `fill` (floats only; others have none). */
function fillNan(x: Value, fill: number): Value {
  return isFloat(x.dtype) ? where(isnan(x), fill, x) : x;
}

/**
 * Sum over axes, NaNs counted as 0.
 * @example np.nansum(np.array([1, NaN, 3])); // 4
 */
export function nansum(a: ArrayLike, axis?: Axis, options?: SumOptions | DType): Value {
  return red.sum(fillNan(asValue(a, "np.nansum"), 0), axis, dtypeOptions("np.nansum", options));
}

/**
 * Product over axes, NaNs counted as 1.
 * @example np.nanprod(np.array([2, NaN, 3])); // 6
 */
export function nanprod(a: ArrayLike, axis?: Axis, options?: SumOptions | DType): Value {
  return red.prod(fillNan(asValue(a, "np.nanprod"), 1), axis, dtypeOptions("np.nanprod", options));
}

function nanExtreme(name: string, reduce: typeof red.max, fill: number) {
  return (a: ArrayLike, axis?: Axis, options?: ReduceOptions): Value => {
    const v = asValue(a, `np.${name}`);
    if (!isFloat(v.dtype)) return reduce(v, axis, options);
    const out = reduce(fillNan(v, fill), axis, options);
    return where(red.all(isnan(v), axis, options), NaN, out);
  };
}

/**
 * Maximum over axes ignoring NaNs (NaN where a slice is all NaN).
 * @example np.nanmax(np.array([1, NaN, 3])); // 3
 */
export const nanmax = nanExtreme("nanmax", red.max, -Infinity);
/**
 * Minimum over axes ignoring NaNs (NaN where a slice is all NaN).
 * @example np.nanmin(np.array([1, NaN, 3])); // 1
 */
export const nanmin = nanExtreme("nanmin", red.min, Infinity);

/**
 * Mean of the non-NaN elements over axes (NaN where there are none).
 * @example np.nanmean(np.array([1, NaN, 3])); // 2
 */
export function nanmean(a: ArrayLike, axis?: Axis, options?: ReduceOptions & { dtype?: DType }): Value {
  const op = "np.nanmean";
  options = optionsArg(op, options);
  const v = asValue(a, op);
  if (!isFloat(v.dtype)) return red.mean(options.dtype ? cast(v, options.dtype) : v, axis, options);
  const x = options.dtype ? cast(v, options.dtype) : v.weakType ? cast(v, v.dtype) : v;
  const count = red.sum(lax.not(isnan(x)), axis, { keepdims: options.keepdims, dtype: x.dtype });
  return lax.div(nansum(x, axis, { keepdims: options.keepdims }), count);
}

/**
 * Variance of the non-NaN elements over axes, divided by (count - ddof); NaN
 * where that is not positive, as JAX.
 * @example np.nanvar(np.array([1, NaN, 3])); // 1
 */
export function nanvar(a: ArrayLike, axis?: Axis, options?: VarOptions & { dtype?: DType }): Value {
  const op = "np.nanvar";
  options = optionsArg(op, options);
  let x = toInexact(op, a);
  if (options.dtype) x = cast(x, options.dtype);
  else if (x.weakType) x = cast(x, x.dtype);
  const mean = nanmean(x, axis, { keepdims: true });
  const nan = isnan(x);
  const centered = lax.square(where(nan, 0, lax.sub(x, lax.broadcastInDim(mean, x.shape, x.shape.map((_, i) => i)))));
  const normalizer = lax.sub(red.sum(lax.not(nan), axis, { keepdims: options.keepdims }), options.ddof ?? 0);
  const none = lax.le(normalizer, lax.broadcastInDim(lax.scalar(0, "int32"), normalizer.shape, []));
  const total = where(none, NaN, red.sum(centered, axis, { keepdims: options.keepdims }));
  return lax.div(total, cast(where(none, 1, normalizer), total.dtype));
}

/**
 * Standard deviation of the non-NaN elements: `sqrt(nanvar)`.
 * @example np.nanstd(np.array([1, NaN, 3])); // 1
 */
export function nanstd(a: ArrayLike, axis?: Axis, options?: VarOptions & { dtype?: DType }): Value {
  return lax.sqrt(nanvar(a, axis, options));
}

function nanArg(name: string, reduce: typeof red.argmax, fill: number) {
  return (a: ArrayLike, axis?: number | null, options?: ReduceOptions): Value => {
    const v = asValue(a, `np.${name}`);
    if (!isFloat(v.dtype)) return reduce(v, axis, options);
    const out = reduce(fillNan(v, fill), axis, options);
    return where(red.all(isnan(v), axis, options), -1, out);
  };
}

/**
 * Index of the maximum ignoring NaNs (int32; -1 where a slice is all NaN, as JAX).
 * @example np.nanargmax(np.array([1, NaN, 3])); // 2
 */
export const nanargmax = nanArg("nanargmax", red.argmax, -Infinity);
/**
 * Index of the minimum ignoring NaNs (int32; -1 where a slice is all NaN, as JAX).
 * @example np.nanargmin(np.array([4, NaN, 3])); // 2
 */
export const nanargmin = nanArg("nanargmin", red.argmin, Infinity);

/**
 * Running sum ignoring NaNs (counted as 0), along `axis` (flattened when omitted).
 * @example np.nancumsum(np.array([1, NaN, 3])); // [1, 1, 4]
 */
export function nancumsum(a: ArrayLike, axis?: number | null, options?: { dtype?: DType } | DType): Value {
  return red.cumsum(fillNan(asValue(a, "np.nancumsum"), 0), axis, options);
}

/**
 * Running product ignoring NaNs (counted as 1), along `axis` (flattened when omitted).
 * @example np.nancumprod(np.array([2, NaN, 3])); // [2, 2, 6]
 */
export function nancumprod(a: ArrayLike, axis?: number | null, options?: { dtype?: DType } | DType): Value {
  return red.cumprod(fillNan(asValue(a, "np.nancumprod"), 1), axis, options);
}

/**
 * Quantiles of the non-NaN elements (see {@link quantile}); NaN for a slice of NaNs.
 * @example np.nanquantile(np.array([1, NaN, 3, 2]), 0.5); // 2
 */
export function nanquantile(a: ArrayLike, q: ArrayLike, axis?: Axis, options: QuantileOptions = {}): Value {
  return quantileImpl("np.nanquantile", a, q, axis, options, true);
}

/**
 * Percentiles (q in [0, 100]) of the non-NaN elements.
 * @example np.nanpercentile(np.array([1, NaN, 3, 2]), 50); // 2
 */
export function nanpercentile(a: ArrayLike, q: ArrayLike, axis?: Axis, options: QuantileOptions = {}): Value {
  return quantileImpl("np.nanpercentile", a, percentOf("np.nanpercentile", q), axis, options, true);
}

/**
 * Median of the non-NaN elements over `axis` (the "midpoint" 0.5 quantile, as JAX).
 * @example np.nanmedian(np.array([1, NaN, 3, 2])); // 2
 */
export function nanmedian(a: ArrayLike, axis?: Axis, options: { keepdims?: boolean } = {}): Value {
  options = optionsArg("np.nanmedian", options);
  return quantileImpl("np.nanmedian", a, 0.5, axis, { method: "midpoint", keepdims: options.keepdims }, true);
}

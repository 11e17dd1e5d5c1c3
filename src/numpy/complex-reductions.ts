/**
 * Means and variances of complex arrays (issue 14), written with operations
 * defined on complex values, so every transformation composes and `grad`
 * gives JAX's results (np.prod and np.cumprod take complex arrays through
 * lax.reduceProd and lax.cumprod, src/lax/complex-reduce.ts; np.cumsum through lax.cumsum):
 *
 * - mean: the sum (a complex sum is the sum of the parts) over the count, on the pairs;
 * - var: the mean of |x − mean|² (JAX's real(c·conj c)), a real result.
 */
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import { sizeOf } from "../shape.js";
import type { Value } from "./util.js";

const range = (n: number, from = 0) => globalThis.Array.from({ length: Math.max(0, n) }, (_, i) => from + i);

/** Whether `x` is a complex array (the reductions below are for those). */
export const isComplexValue = (x: Value): boolean => isComplexDType(x.dtype);

/** The sum of a complex array over `axes`, divided by their element count (NaN for none, as JAX). */
export function complexMean(v: Value, axes: number[]): Value {
  const n = sizeOf(axes.map((a) => v.shape[a]));
  return lax.pairsToComplex(lax.div(lax.complexToPairs(lax.reduceSum(v, axes)), n));
}

/** The variance of a complex array over `axes`: Σ|x − mean|² / (N − ddof), real (NaN when N − ddof ≤ 0, as JAX). */
export function complexVar(v: Value, axes: number[], ddof: number): Value {
  const n = sizeOf(axes.map((a) => v.shape[a]));
  const m = complexMean(v, axes);
  const keep = range(v.ndim).filter((a) => !axes.includes(a));
  const centered = lax.complexToPairs(lax.sub(v, lax.broadcastInDim(m, v.shape, keep)));
  const ss = lax.reduceSum(lax.square(centered), [...axes, v.ndim]);
  return n - ddof > 0 ? lax.div(ss, n - ddof) : lax.add(lax.mul(ss, 0), NaN);
}

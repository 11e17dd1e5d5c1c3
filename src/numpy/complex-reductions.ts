/**
 * Reductions of complex arrays (issue 14), written with operations that are
 * defined on complex values, so every transformation composes and `grad`
 * gives JAX's results:
 *
 * - mean: the sum (a complex sum is the sum of the parts) over the count, on the pairs;
 * - prod: a tree of complex multiplies (⌈log₂ n⌉ elementwise steps; a product
 *   is not linear in the pairs, so it cannot be a real reduction of them);
 * - cumsum: the real cumulative sum of the pairs (linear);
 * - cumprod: a Hillis–Steele scan of complex multiplies (⌈log₂ n⌉ steps);
 * - var: the mean of |x − mean|² (JAX's real(c·conj c)), a real result.
 */
import type { DType } from "../dtype.js";
import { complexPartOf, isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import { sizeOf } from "../shape.js";
import type { Value } from "./util.js";

const range = (n: number, from = 0) => globalThis.Array.from({ length: Math.max(0, n) }, (_, i) => from + i);

/** Whether `x` is a complex array (the reductions below are for those). */
export const isComplexValue = (x: Value): boolean => isComplexDType(x.dtype);

/** Complex ones of `shape` in `dtype` (a complex dtype). */
function complexOnes(shape: readonly number[], dtype: DType): Value {
  const part = complexPartOf(dtype as "complex64" | "complex128");
  const one = lax.broadcastInDim(lax.convert(1, part), shape, []);
  return lax.complex(one, lax.mul(one, 0));
}

/** The sum of a complex array over `axes`, divided by their element count (NaN for none, as JAX). */
export function complexMean(v: Value, axes: number[]): Value {
  const n = sizeOf(axes.map((a) => v.shape[a]));
  return lax.pairsToComplex(lax.div(lax.complexToPairs(lax.reduceSum(v, axes)), n));
}

/** The product of a complex array over `axes`: a tree of complex multiplies. */
export function complexProd(v: Value, axes: number[]): Value {
  const keep = range(v.ndim).filter((a) => !axes.includes(a));
  const lead = keep.map((a) => v.shape[a]);
  let n = sizeOf(axes.map((a) => v.shape[a]));
  if (n === 0) return complexOnes(lead, v.dtype);
  let x = lax.reshape(lax.transpose(v, [...keep, ...axes]), [...lead, n]);
  // slices of complex arrays go through the pairs (a slice's transpose is a pad, which is real)
  const cut = (y: Value, from: number, to: number) =>
    lax.pairsToComplex(lax.slice(lax.complexToPairs(y), [...lead.map(() => 0), from, 0], [...lead, to, 2]));
  let extra: Value | null = null;
  while (n > 1) {
    if (n % 2 === 1) {
      const last = lax.reshape(cut(x, n - 1, n), lead);
      extra = extra ? lax.mul(extra, last) : last;
      x = cut(x, 0, n - 1);
      n -= 1;
    }
    const halves = lax.reshape(x, [...lead, n / 2, 2]);
    const pairs = lax.complexToPairs(halves);
    const part = (i: number) =>
      lax.pairsToComplex(lax.reshape(lax.slice(pairs, [...lead.map(() => 0), 0, i, 0], [...lead, n / 2, i + 1, 2]), [...lead, n / 2, 2]));
    x = lax.mul(part(0), part(1));
    n /= 2;
  }
  const out = lax.reshape(x, lead);
  return extra ? lax.mul(out, extra) : out;
}

/** The running sum of a complex array along `axis`: the real running sum of its pairs. */
export function complexCumsum(v: Value, axis: number): Value {
  return lax.pairsToComplex(lax.cumsum(lax.complexToPairs(v), axis));
}

/** The running product of a complex array along `axis`: a Hillis–Steele scan of complex multiplies. */
export function complexCumprod(v: Value, axis: number): Value {
  const n = v.shape[axis];
  let y = v;
  for (let d = 1; d < n; d *= 2) {
    // y shifted by d along axis, the first d entries 1 + 0j
    const start = v.shape.map(() => 0);
    const stop = v.shape.map((s, i) => (i === axis ? n - d : s));
    const cfg = v.shape.map((_, i): [number, number, number] => (i === axis ? [d, 0, 0] : [0, 0, 0]));
    const re = lax.pad(lax.slice(lax.real(y), start, stop), 1, cfg);
    const im = lax.pad(lax.slice(lax.imag(y), start, stop), 0, cfg);
    y = lax.mul(y, lax.complex(re, im));
  }
  return y;
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

/**
 * `lax.reduceProd` and `lax.cumprod` on complex operands
 * (issue 14), written with operations defined on complex values so that
 * every transformation composes and `grad` gives JAX's results:
 *
 * - reduceProd: a tree of complex multiplies (⌈log₂ n⌉ elementwise steps; a
 *   product is not linear in the (re, im) pairs, so it cannot be a real
 *   reduction of them);
 * - cumprod: a Hillis–Steele scan of complex multiplies (⌈log₂ n⌉ steps).
 *
 * Slices and shifts go through the pairs (a slice's transpose is a pad of
 * real values). The functions register themselves in complex-hooks.ts, where
 * reduce.ts and cumulative.ts find them (src/lax/index.ts imports this file).
 */
import { complexPartOf, type ComplexDType } from "../dtype.js";
import { sizeOf } from "../shape.js";
import type { Value } from "../trace/core.js";
import { complex, complexToPairs, imag, pairsToComplex, real } from "./complex.js";
import { convert, mul } from "./elementwise.js";
import { broadcastInDim, pad, reshape, rev, slice, transpose } from "./shape.js";
import { complexHooks } from "./complex-hooks.js";

const range = (n: number, from = 0) => Array.from({ length: Math.max(0, n) }, (_, i) => from + i);

/** Complex ones of `shape` in `dtype`. */
function complexOnes(shape: readonly number[], dtype: ComplexDType): Value {
  const one = broadcastInDim(convert(1, complexPartOf(dtype)), shape, []);
  return complex(one, mul(one, 0));
}

/** x[..., from:to] along the last axis of a complex array, through its pairs. */
function cutLast(x: Value, from: number, to: number): Value {
  const lead = x.shape.slice(0, -1);
  return pairsToComplex(slice(complexToPairs(x), [...lead.map(() => 0), from, 0], [...lead, to, 2]));
}

/** The product of a complex array over `axes` (valid, sorted): a tree of complex multiplies. */
export function complexReduceProd(v: Value, axes: readonly number[]): Value {
  const keep = range(v.ndim).filter((a) => !axes.includes(a));
  const lead = keep.map((a) => v.shape[a]);
  let n = sizeOf(axes.map((a) => v.shape[a]));
  if (n === 0) return complexOnes(lead, v.dtype as ComplexDType);
  let x = reshape(transpose(v, [...keep, ...axes]), [...lead, n]);
  let extra: Value | null = null;
  while (n > 1) {
    if (n % 2 === 1) {
      const last = reshape(cutLast(x, n - 1, n), lead);
      extra = extra ? mul(extra, last) : last;
      x = cutLast(x, 0, n - 1);
      n -= 1;
    }
    // pairs of neighbours: [..., n/2, 2] complex, multiplied across the last axis
    const halves = reshape(x, [...lead, n / 2, 2]);
    x = mul(reshape(cutLast(halves, 0, 1), [...lead, n / 2]), reshape(cutLast(halves, 1, 2), [...lead, n / 2]));
    n /= 2;
  }
  const out = reshape(x, lead);
  return extra ? mul(out, extra) : out;
}

/** The running product of a complex array along `axis` (valid): a Hillis–Steele scan of complex multiplies. */
export function complexCumprod(v: Value, axis: number, reverse: boolean): Value {
  const flip = (x: Value) => pairsToComplex(rev(complexToPairs(x), [axis]));
  const n = v.shape[axis];
  let y = reverse ? flip(v) : v;
  for (let d = 1; d < n; d *= 2) {
    // y shifted by d along axis, the first d entries 1 + 0j
    const start = v.shape.map(() => 0);
    const stop = v.shape.map((s, i) => (i === axis ? n - d : s));
    const cfg = v.shape.map((_, i): [number, number, number] => (i === axis ? [d, 0, 0] : [0, 0, 0]));
    const re = pad(slice(real(y), start, stop), 1, cfg);
    const im = pad(slice(imag(y), start, stop), 0, cfg);
    y = mul(y, complex(re, im));
  }
  return reverse ? flip(y) : y;
}

complexHooks.reduceProd = complexReduceProd;
complexHooks.cumprod = complexCumprod;

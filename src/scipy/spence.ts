/** `spence`: Spence's function ∫₁ˣ log(t)/(1 − t) dt = Li₂(1 − x) for x ≥ 0, as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import { DTypeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { asValue } from "../numpy/util.js";
import type { Value } from "../trace/core.js";
import { whereConst } from "./util.js";

const PI2_6 = (Math.PI * Math.PI) / 6;

// Li₂(z) = Σ zᵏ/k² for |z| ≤ ½ (the tail past the last term is below 2^−terms)
function li2Series(z: Value, terms: number): Value {
  let s: Value = np.zerosLike(z);
  for (let k = terms; k >= 1; k--) s = lax.mul(z, lax.add(s, 1 / (k * k)));
  return s;
}

/**
 * Spence's function ∫₁ˣ log(t)/(1 − t) dt = Li₂(1 − x) for x ≥ 0 (π²/6 at 0, 0 at 1); as in JAX,
 * NaN for x < 0 and at inf, and only float32 and float64 inputs.
 * @example
 * scipy.special.spence(np.array([0, 1, 2])); // [1.644934, 0, -0.8224670]
 */
export function spence(x: ArrayLike): Value {
  const op = "scipy.special.spence";
  const v = asValue(x, op);
  if (v.dtype !== "float32" && v.dtype !== "float64") throw new DTypeError(`${op}: x must be float32 or float64 (as in JAX), got ${v.dtype}; convert it with astype`);
  const terms = v.dtype === "float64" ? 56 : 26;
  const ln = (y: Value) => lax.log(y);
  // each range gets an argument that keeps its branch finite, so an unused branch's gradient is 0, not NaN
  const safe = (cond: Value, fallback: number) => np.where(cond, v, np.full(v.shape, fallback, { dtype: v.dtype }));
  // [½, 3/2]: Li₂(1 − x) directly
  const mid = np.logicalAnd(np.greaterEqual(v, 0.5), np.lessEqual(v, 1.5));
  const xm = safe(mid, 1);
  const rMid = li2Series(lax.sub(1, xm), terms);
  // (0, ½): Li₂(z) = π²/6 − log z·log(1 − z) − Li₂(1 − z) with z = 1 − x
  const low = np.logicalAnd(np.greater(v, 0), np.less(v, 0.5));
  const xl = safe(low, 0.25);
  const rLow = lax.sub(lax.sub(PI2_6, lax.mul(ln(xl), lax.log1p(lax.neg(xl)))), li2Series(xl, terms));
  // (3/2, 2]: Li₂(1 − x) = −Li₂(1 − 1/x) − ½·log²x
  const upper = np.logicalAnd(np.greater(v, 1.5), np.lessEqual(v, 2));
  const xu = safe(upper, 1.75);
  const halfLog2 = (y: Value) => lax.mul(lax.mul(ln(y), ln(y)), 0.5);
  const rUpper = lax.neg(lax.add(li2Series(lax.sub(1, lax.reciprocal(xu)), terms), halfLog2(xu)));
  // (2, ∞): and Li₂(1 − 1/x) = π²/6 + log(1 − 1/x)·log x − Li₂(1/x)
  const high = np.greater(v, 2);
  const xh = safe(np.logicalAnd(high, np.isfinite(v)), 4);
  const inv = lax.reciprocal(xh);
  const rHigh = lax.sub(lax.sub(li2Series(inv, terms), lax.mul(lax.log1p(lax.neg(inv)), ln(xh))), lax.add(PI2_6, halfLog2(xh)));
  let r = np.where(mid, rMid, np.where(low, rLow, np.where(upper, rUpper, rHigh)));
  r = whereConst(np.notEqual(v, 0), r, PI2_6);
  r = whereConst(np.notEqual(v, 1), r, 0);
  return whereConst(np.logicalAnd(np.greaterEqual(v, 0), np.isfinite(v)), r, NaN);
}

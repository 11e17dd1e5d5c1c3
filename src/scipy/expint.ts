/** The exponential integrals `expn` (Eₙ), `exp1` (E₁) and `expi` (Ei), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { floats, whereConst } from "./util.js";

const EULER_GAMMA = 0.5772156649015329;

// Eₙ(x) for x > 1: e^{−x}/(x+n − 1·n/(x+n+2 − 2(n+1)/(x+n+4 − …))), evaluated bottom-up at a fixed depth
function expnFraction(n: Value, x: Value, depth: number): Value {
  const b = lax.add(x, n);
  let t = lax.add(b, 2 * depth);
  for (let i = depth; i >= 1; i--) t = lax.sub(lax.add(b, 2 * (i - 1)), lax.div(lax.mul(lax.add(n, i - 1), i), t));
  return lax.div(lax.exp(lax.neg(x)), t);
}
// Eₙ(x) for 0 < x ≤ 1, integer n ≥ 1: (−x)^{n−1}/(n−1)!·(ψ(n) − log x) − Σ_{k ≠ n−1} (−x)^k/((k−n+1)·k!)
function expnSeries(n: Value, x: Value, terms: number): Value {
  const n1 = lax.sub(n, 1);
  let sum: Value = np.zerosLike(x);
  let term: Value = np.onesLike(x); // (−x)^k/k!
  for (let k = 0; k < terms; k++) {
    if (k > 0) term = lax.mul(term, lax.div(lax.neg(x), k));
    const d = lax.sub(k, n1);
    const skip = np.equal(d, 0);
    sum = lax.sub(sum, np.where(skip, np.zerosLike(x), lax.div(term, np.where(skip, np.onesLike(d), d))));
  }
  // (−x)^{n−1}/(n−1)! = ±e^{(n−1)·log x − lgamma(n)}, negative for even n
  const odd = np.equal(np.remainder(n1, 2), 1);
  const mag = lax.exp(lax.sub(lax.mul(n1, lax.log(x)), lax.lgamma(n)));
  const lead = np.where(odd, lax.neg(mag), mag);
  return lax.add(sum, lax.mul(lead, lax.sub(lax.digamma(n), lax.log(x))));
}

function expnPlain(n: Value, x: Value): Value {
  const f64 = x.dtype === "float64";
  const big = np.greater(x, 1);
  const xBig = np.where(big, x, np.full(x.shape, 2, { dtype: x.dtype }));
  const xSmall = np.where(np.logicalAnd(np.logicalNot(big), np.greater(x, 0)), x, np.full(x.shape, 0.5, { dtype: x.dtype }));
  const nSafe = np.where(np.greaterEqual(n, 1), n, np.onesLike(n));
  let r = np.where(big, expnFraction(nSafe, xBig, f64 ? 80 : 40), expnSeries(nSafe, xSmall, f64 ? 25 : 14));
  // the special cases in JAX's order of precedence
  const zero = np.equal(x, 0);
  r = np.where(np.equal(n, 0), lax.div(lax.exp(lax.neg(x)), x), r);
  // JAX gives 1/n at x = 0 for n ≥ 2 (SciPy: 1/(n − 1)); jaxon follows JAX
  r = np.where(np.logicalAnd(zero, np.greaterEqual(n, 2)), lax.reciprocal(nSafe), r);
  // and NaN at x = inf (for n ≠ 0)
  r = whereConst(np.logicalOr(np.notEqual(x, Infinity), np.equal(n, 0)), r, NaN);
  r = whereConst(np.logicalNot(np.logicalAnd(zero, np.less(n, 2))), r, Infinity);
  r = whereConst(np.logicalNot(np.logicalOr(np.less(n, 0), np.less(x, 0))), r, NaN);
  return np.where(np.isnan(x), x, np.where(np.isnan(n), n, r));
}

// d/dx Eₙ(x) = −Eₙ₋₁(x); n takes no derivative (an integer order, as in JAX)
const expnImpl: (n: Value, x: Value) => Value = customJvp(expnPlain, ([n, x], [, dx]): [Value, Value] => [
  expnImpl(n, x),
  lax.mul(lax.neg(dx), expnImpl(lax.sub(n, 1), x)),
]);

/**
 * The generalized exponential integral Eₙ(x) = ∫₁^∞ e^{−xt}/tⁿ dt for integer n ≥ 0 and x ≥ 0:
 * inf at x = 0 for n < 2 and, as JAX (not SciPy's 1/(n − 1)), 1/n there otherwise; NaN for n < 0, x < 0 and
 * x = inf (n ≠ 0). Differentiable in x.
 * @example
 * scipy.special.expn(np.array([1, 2, 3]), 1); // [0.21938393, 0.14849551, 0.10969197]
 */
export function expn(n: ArrayLike, x: ArrayLike): Value {
  const [nv, xv] = floats("scipy.special.expn", n, x);
  return expnImpl(nv, xv);
}
/**
 * The exponential integral E₁(x) = ∫ₓ^∞ e^{−t}/t dt (x ≥ 0; NaN below 0, inf at 0).
 * @example
 * scipy.special.exp1(np.array([0.5, 1, 2])); // [0.5597736, 0.21938393, 0.04890051]
 */
export function exp1(x: ArrayLike): Value {
  const [xv] = floats("scipy.special.exp1", x);
  return expnImpl(np.onesLike(xv), xv);
}

// Ei(x) for x > 0: γ + log x + Σ xᵏ/(k·k!) (positive terms) up to the cut, e^x/x·Σ k!/xᵏ beyond
function expiPositive(x: Value): Value {
  const f64 = x.dtype === "float64";
  const cut = f64 ? 40 : 20;
  const big = np.greater(x, cut);
  const xs = np.where(big, np.ones(x.shape, { dtype: x.dtype }), x);
  const xb = np.where(big, x, np.full(x.shape, cut + 1, { dtype: x.dtype }));
  let term: Value = np.onesLike(x);
  let sum: Value = np.zerosLike(x);
  const terms = f64 ? 110 : 60;
  for (let k = 1; k <= terms; k++) {
    term = lax.mul(term, lax.div(xs, k));
    sum = lax.add(sum, lax.div(term, k));
  }
  const series = lax.add(lax.add(sum, lax.log(xs)), EULER_GAMMA);
  const inv = lax.reciprocal(xb);
  let s: Value = np.onesLike(x);
  for (let k = cut; k >= 1; k--) s = lax.add(1, lax.mul(lax.mul(inv, k), s));
  // e^{x − log x} keeps e^x/x finite where e^x alone would overflow
  const asym = lax.mul(lax.exp(lax.sub(xb, lax.log(xb))), s);
  return np.where(big, asym, series);
}

function expiPlain(x: Value): Value {
  const pos = np.greater(x, 0);
  const xp = np.where(pos, x, np.onesLike(x));
  const xn = np.where(pos, np.onesLike(x), lax.neg(x));
  const r = np.where(pos, expiPositive(xp), lax.neg(expnPlain(np.onesLike(x), xn)));
  // JAX's expi is NaN at 0 and at ±inf
  return whereConst(np.logicalAnd(np.isfinite(x), np.notEqual(x, 0)), r, NaN);
}

const expiImpl: (x: Value) => Value = customJvp(expiPlain, ([x], [dx]): [Value, Value] => [
  expiPlain(x),
  lax.mul(dx, lax.div(lax.exp(x), x)),
]);

/**
 * The exponential integral Ei(x) = −∫₋ₓ^∞ e^{−t}/t dt (principal value for x > 0; −E₁(−x) for x < 0).
 * As in JAX, NaN at 0 and at ±inf.
 * @example
 * scipy.special.expi(np.array([-1, 1, 2])); // [-0.21938393, 1.8951179, 4.954234]
 */
export function expi(x: ArrayLike): Value {
  return expiImpl(floats("scipy.special.expi", x)[0]);
}

/**
 * `scipy.special`: JAX's `jax.scipy.special` (camelCase names), written over
 * lax's special-function primitives (lgamma, digamma, zeta, igamma,
 * igammac, the regularized incomplete beta, erfc, the scaled Bessel
 * functions) and NumPy. Integer and bool inputs become float32, as in JAX.
 */
import type { ArrayLike } from "../array-methods.js";
import { describe, optionsArg } from "../static-args.js";
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as nn from "../nn/index.js";
import * as np from "../numpy/index.js";
import { promoteInexact } from "../numpy/util.js";
import { floats } from "./util.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";

type Axes = number | readonly number[] | null | undefined;

const zerosLike = (x: Value) => np.zerosLike(x);
const full = (like: Value, v: number) => np.full(like.shape, v, { dtype: like.dtype });

/**
 * The error function.
 * @example
 * scipy.special.erf(np.array([0, 1])); // [0, 0.8427008]
 */
export function erf(x: ArrayLike): Value {
  return lax.erf(floats("scipy.special.erf", x)[0]);
}
/**
 * The complementary error function 1 − erf(x).
 * @example
 * scipy.special.erfc(np.array([0, 2])); // [1, 0.004677735]
 */
export function erfc(x: ArrayLike): Value {
  return lax.erfc(floats("scipy.special.erfc", x)[0]);
}
/**
 * The inverse of the error function.
 * @example
 * scipy.special.erfinv(np.array([0, 0.5])); // [0, 0.47693628]
 */
export function erfinv(x: ArrayLike): Value {
  return lax.erfInv(floats("scipy.special.erfinv", x)[0]);
}
/**
 * The logit function log(x / (1 − x)).
 * @example
 * scipy.special.logit(np.array([0.5, 0.75])); // [0, 1.0986123]
 */
export function logit(x: ArrayLike): Value {
  const [v] = floats("scipy.special.logit", x);
  return lax.log(lax.div(v, lax.sub(1, v)));
}
/**
 * The logistic sigmoid 1 / (1 + e^−x), the inverse of logit.
 * @example
 * scipy.special.expit(np.array([0, 2])); // [0.5, 0.8807971]
 */
export function expit(x: ArrayLike): Value {
  return lax.logistic(floats("scipy.special.expit", x)[0]);
}
/**
 * log|Γ(x)|.
 * @example
 * scipy.special.gammaln(np.array([1, 5])); // [0, 3.1780539]
 */
export function gammaln(x: ArrayLike): Value {
  return lax.lgamma(floats("scipy.special.gammaln", x)[0]);
}
/**
 * The sign of Γ(x): 1 for x > 0, alternating between the poles below 0, NaN at the poles.
 * @example
 * scipy.special.gammasgn(np.array([2, -0.5, -1.5])); // [1, -1, 1]
 */
export function gammasgn(x: ArrayLike): Value {
  const [v] = floats("scipy.special.gammasgn", x);
  const fl = lax.floor(v);
  const one = np.onesLike(v);
  // below 0: −1 on (−1, 0), (−3, −2), …, where floor(x) is odd
  const below = np.where(np.notEqual(np.remainder(fl, 2), 0), lax.neg(one), one);
  const pole = np.logicalAnd(np.less(v, 0), np.equal(fl, v));
  // ±0: the sign of the zero (Γ(±0) = ±inf)
  const r = np.where(np.equal(v, 0), np.copysign(one, v), np.where(np.greater(v, 0), one, below));
  return np.where(np.logicalOr(pole, np.isnan(v)), full(v, NaN), r);
}
/**
 * The gamma function Γ(x).
 * @example
 * scipy.special.gamma(np.array([0.5, 5])); // [1.7724539, 24]
 */
export function gamma(x: ArrayLike): Value {
  const [v] = floats("scipy.special.gamma", x);
  return np.multiply(gammasgn(v), lax.exp(lax.lgamma(v)));
}
/**
 * The digamma function ψ(x) = d/dx log Γ(x).
 * @example
 * scipy.special.digamma(np.array([1, 2])); // [-0.5772157, 0.4227843]
 */
export function digamma(x: ArrayLike): Value {
  return lax.digamma(floats("scipy.special.digamma", x)[0]);
}
/**
 * The polygamma function ψ⁽ⁿ⁾(x); `n` holds non-negative integers.
 * @example
 * scipy.special.polygamma(1, np.array([1, 2])); // [1.6449341, 0.6449341]
 */
export function polygamma(n: ArrayLike, x: ArrayLike): Value {
  const [nv, xv] = floats("scipy.special.polygamma", n, x);
  return lax.polygamma(nv, xv);
}
/**
 * The Hurwitz zeta function ζ(x, q) = Σ_k (q + k)^−x (the Riemann zeta for q = 1).
 * @example
 * scipy.special.zeta(np.array([2, 4]), 1); // [1.6449341, 1.0823232]
 */
export function zeta(x: ArrayLike, q: ArrayLike): Value {
  const [s, qv] = floats("scipy.special.zeta", x, q);
  return lax.zeta(s, qv);
}
/**
 * The regularized lower incomplete gamma function P(a, x).
 * @example
 * scipy.special.gammainc(np.array([1, 2]), 1); // [0.63212055, 0.26424112]
 */
export function gammainc(a: ArrayLike, x: ArrayLike): Value {
  const [av, xv] = floats("scipy.special.gammainc", a, x);
  return lax.igamma(av, xv);
}
/**
 * The regularized upper incomplete gamma function Q(a, x) = 1 − P(a, x).
 * @example
 * scipy.special.gammaincc(np.array([1, 2]), 1); // [0.36787945, 0.7357589]
 */
export function gammaincc(a: ArrayLike, x: ArrayLike): Value {
  const [av, xv] = floats("scipy.special.gammaincc", a, x);
  return lax.igammac(av, xv);
}
/**
 * log|B(a, b)| = gammaln(a) + gammaln(b) − gammaln(a + b).
 * @example
 * scipy.special.betaln(np.array([1, 2]), 3); // [-1.0986123, -2.4849067]
 */
export function betaln(a: ArrayLike, b: ArrayLike): Value {
  const [av, bv] = floats("scipy.special.betaln", a, b);
  return lax.sub(lax.add(lax.lgamma(av), lax.lgamma(bv)), lax.lgamma(lax.add(av, bv)));
}
/**
 * The beta function B(a, b).
 * @example
 * scipy.special.beta(np.array([1, 2]), 3); // [0.33333334, 0.083333336]
 */
export function beta(a: ArrayLike, b: ArrayLike): Value {
  const [av, bv] = floats("scipy.special.beta", a, b);
  const sgn = np.multiply(np.multiply(gammasgn(av), gammasgn(bv)), gammasgn(lax.add(av, bv)));
  return np.multiply(sgn, lax.exp(betaln(av, bv)));
}
/**
 * The regularized incomplete beta function I_x(a, b).
 * @example
 * scipy.special.betainc(2, 3, np.array([0.5])); // [0.6875]
 */
export function betainc(a: ArrayLike, b: ArrayLike, x: ArrayLike): Value {
  const [av, bv, xv] = floats("scipy.special.betainc", a, b, x);
  return lax.betainc(av, bv, xv);
}
// x·log(y) and x·log1p(y), 0 where x = 0, with JAX's derivative rules (defined there too): d/dx = log(y), d/dy = x/y
const xlogyPlain = (xv: Value, yv: Value): Value => {
  const zero = np.equal(xv, 0);
  return np.where(zero, zerosLike(np.multiply(xv, yv)), lax.mul(xv, lax.log(np.where(zero, np.onesLike(yv), yv))));
};
const xlogyImpl: (x: Value, y: Value) => Value = customJvp(
  xlogyPlain,
  ([xv, yv], [dx, dy]): [Value, Value] => [xlogyPlain(xv, yv), lax.add(lax.mul(dx, lax.log(yv)), lax.div(lax.mul(dy, xv), yv))],
);
const xlog1pyPlain = (xv: Value, yv: Value): Value => {
  const zero = np.equal(xv, 0);
  return np.where(zero, zerosLike(np.multiply(xv, yv)), lax.mul(xv, lax.log1p(np.where(zero, np.zerosLike(yv), yv))));
};
const xlog1pyImpl: (x: Value, y: Value) => Value = customJvp(
  xlog1pyPlain,
  ([xv, yv], [dx, dy]): [Value, Value] => [xlog1pyPlain(xv, yv), lax.add(lax.mul(dx, lax.log1p(yv)), lax.div(lax.mul(dy, xv), lax.add(yv, 1)))],
);

/**
 * x·log(y), 0 where x = 0 (even where y = 0).
 * @example
 * scipy.special.xlogy(np.array([0, 2]), np.array([0, 3])); // [0, 2.1972246]
 */
export function xlogy(x: ArrayLike, y: ArrayLike): Value {
  const [xv, yv] = floats("scipy.special.xlogy", x, y);
  return xlogyImpl(xv, yv);
}
/**
 * x·log(1 + y), 0 where x = 0 (even where y = −1).
 * @example
 * scipy.special.xlog1py(np.array([0, 2]), np.array([-1, 2])); // [0, 2.1972246]
 */
export function xlog1py(x: ArrayLike, y: ArrayLike): Value {
  const [xv, yv] = floats("scipy.special.xlog1py", x, y);
  return xlog1pyImpl(xv, yv);
}
/**
 * The elementwise entropy −x·log(x): 0 at 0, −inf below 0.
 * @example
 * scipy.special.entr(np.array([0, 0.5, 1])); // [0, 0.34657359, 0]
 */
export function entr(x: ArrayLike): Value {
  const [v] = floats("scipy.special.entr", x);
  const r = lax.neg(xlogy(v, v));
  return np.where(np.less(v, 0), full(r, -Infinity), r);
}
/**
 * The relative entropy p·log(p/q): 0 where p = 0 and q ≥ 0, inf where either is negative.
 * @example
 * scipy.special.relEntr(np.array([0.5, 0]), np.array([0.25, 1])); // [0.34657359, 0]
 */
export function relEntr(p: ArrayLike, q: ArrayLike): Value {
  const [pv, qv] = floats("scipy.special.relEntr", p, q);
  const both = np.logicalAnd(np.greater(pv, 0), np.greater(qv, 0));
  const sp = np.where(both, pv, np.onesLike(pv));
  const sq = np.where(both, qv, np.onesLike(qv));
  const inside = lax.mul(sp, lax.log(lax.div(sp, sq)));
  const zeroP = np.logicalAnd(np.equal(pv, 0), np.greaterEqual(qv, 0));
  return np.where(both, inside, np.where(zeroP, zerosLike(inside), np.full(inside.shape, Infinity, { dtype: inside.dtype })));
}
/**
 * The Kullback–Leibler term p·log(p/q) − p + q: q where p = 0 and q ≥ 0, inf where either is negative.
 * @example
 * scipy.special.klDiv(np.array([0.5, 0]), np.array([0.25, 1])); // [0.09657359, 1]
 */
export function klDiv(p: ArrayLike, q: ArrayLike): Value {
  const [pv, qv] = floats("scipy.special.klDiv", p, q);
  const both = np.logicalAnd(np.greater(pv, 0), np.greater(qv, 0));
  const sp = np.where(both, pv, np.onesLike(pv));
  const sq = np.where(both, qv, np.onesLike(qv));
  const inside = lax.add(lax.sub(lax.mul(sp, lax.log(lax.div(sp, sq))), sp), sq);
  const zeroP = np.logicalAnd(np.equal(pv, 0), np.greaterEqual(qv, 0));
  return np.where(both, inside, np.where(zeroP, np.multiply(qv, np.onesLike(inside)), np.full(inside.shape, Infinity, { dtype: inside.dtype })));
}
/**
 * n! as Γ(n + 1) (not exact), 0 for n < 0.
 * @example
 * scipy.special.factorial(np.array([0, 4, -1])); // [1, 24, 0]
 */
export function factorial(n: ArrayLike): Value {
  const [v] = floats("scipy.special.factorial", n);
  return np.where(np.less(v, 0), zerosLike(v), lax.exp(lax.lgamma(lax.add(v, 1))));
}
/**
 * The log of the multivariate gamma function of dimension `d` (a static integer).
 * @example
 * scipy.special.multigammaln(np.array([2, 3]), 2); // [0.45158327, 1.5501956]
 */
export function multigammaln(a: ArrayLike, d: number): Value {
  const op = "scipy.special.multigammaln";
  if (typeof d !== "number" || !Number.isInteger(d) || d < 1 || d > 2 ** 20) throw new ShapeError(`${op}: d must be an integer from 1 to 2^20, got ${describe(d)}`);
  const [v] = floats(op, a);
  // Σ_j lgamma(a − j/2) over a trailing axis of the d terms
  const halves = np.multiply(np.arange(d, { dtype: v.dtype }), 0.5);
  const terms = lax.lgamma(np.subtract(np.expandDims(v, -1), halves));
  return np.add(np.sum(terms, -1), (d * (d - 1)) / 4 * Math.log(Math.PI));
}
/**
 * The Pochhammer symbol (z)_m = Γ(z + m)/Γ(z).
 * @example
 * scipy.special.poch(np.array([1, 2]), 3); // [6, 24]
 */
export function poch(z: ArrayLike, m: ArrayLike): Value {
  const [zv, mv] = floats("scipy.special.poch", z, m);
  const zm = lax.add(zv, mv);
  const sgn = np.multiply(gammasgn(zm), gammasgn(zv));
  return np.multiply(sgn, lax.exp(lax.sub(lax.lgamma(zm), lax.lgamma(zv))));
}
/**
 * e^−|x|·I₀(x), the exponentially scaled modified Bessel function of order 0.
 * @example
 * scipy.special.i0e(np.array([0, 1])); // [1, 0.4657596]
 */
export function i0e(x: ArrayLike): Value {
  return lax.besselI0e(floats("scipy.special.i0e", x)[0]);
}
/**
 * e^−|x|·I₁(x), the exponentially scaled modified Bessel function of order 1.
 * @example
 * scipy.special.i1e(np.array([0, 1])); // [0, 0.20791042]
 */
export function i1e(x: ArrayLike): Value {
  return lax.besselI1e(floats("scipy.special.i1e", x)[0]);
}
/**
 * The modified Bessel function of order 0, I₀(x).
 * @example
 * scipy.special.i0(np.array([0, 1])); // [1, 1.266066]
 */
export function i0(x: ArrayLike): Value {
  const [v] = floats("scipy.special.i0", x);
  return lax.mul(lax.exp(lax.abs(v)), lax.besselI0e(v));
}
/**
 * The modified Bessel function of order 1, I₁(x).
 * @example
 * scipy.special.i1(np.array([0, 1])); // [0, 0.5651591]
 */
export function i1(x: ArrayLike): Value {
  const [v] = floats("scipy.special.i1", x);
  return lax.mul(lax.exp(lax.abs(v)), lax.besselI1e(v));
}
/**
 * The standard normal CDF Φ(x) = ½·erfc(−x/√2).
 * @example
 * scipy.special.ndtr(np.array([0, 1])); // [0.5, 0.8413447]
 */
export function ndtr(x: ArrayLike): Value {
  const [v] = floats("scipy.special.ndtr", x);
  return lax.mul(0.5, lax.erfc(lax.mul(v, -Math.SQRT1_2)));
}
/**
 * The inverse of the standard normal CDF: √2·erfinv(2p − 1).
 * @example
 * scipy.special.ndtri(np.array([0.5, 0.975])); // [0, 1.959964]
 */
export function ndtri(p: ArrayLike): Value {
  const [v] = floats("scipy.special.ndtri", p);
  return lax.mul(Math.SQRT2, lax.erfInv(lax.sub(lax.mul(2, v), 1)));
}
/**
 * log Φ(x), accurate far into both tails: log1p(−Φ(−x)) above, an asymptotic series far below.
 * @example
 * scipy.special.logNdtr(np.array([0, -20])); // [-0.6931472, -203.91715]
 */
export function logNdtr(x: ArrayLike): Value {
  return logNdtrImpl(floats("scipy.special.logNdtr", x)[0]);
}
// Each branch reads its input through np.where, never np.clip/np.minimum: those split the derivative in
// half where x sits exactly on a boundary (−20/8 in float64, −10/5 in float32). The derivative is JAX's
// rule, φ(x)/Φ(x) = exp(log φ(x) − log Φ(x)), the same on every branch.
const logNdtrPlain = (v: Value): Value => {
  const upper = v.dtype === "float64" ? 8 : 5;
  const lower = v.dtype === "float64" ? -20 : -10;
  const isHigh = np.greater(v, upper);
  const isMiddle = np.logicalAnd(np.greater(v, lower), np.logicalNot(isHigh));
  const hi = np.where(isHigh, v, full(v, upper));
  const mid = np.where(isMiddle, v, zerosLike(v));
  // the last branch takes everything else, NaN included, so a NaN input stays NaN
  const lo = np.where(np.logicalOr(isHigh, isMiddle), full(v, lower), v);
  const high = lax.log1p(lax.neg(ndtr(lax.neg(hi))));
  const middle = lax.log(ndtr(mid));
  // log Φ(x) ~ −x²/2 − log(−x) − ½ log 2π + log(1 − 1/x² + 3/x⁴ − 15/x⁶)
  const x2 = lax.mul(lo, lo);
  const r = lax.reciprocal(x2);
  const series = lax.add(1, lax.mul(r, lax.add(-1, lax.mul(r, lax.add(3, lax.mul(r, -15))))));
  const asym = lax.add(lax.sub(lax.mul(x2, -0.5), lax.log(lax.neg(lo))), lax.sub(lax.log(series), 0.5 * Math.log(2 * Math.PI)));
  return np.where(isHigh, high, np.where(isMiddle, middle, asym));
};
const logNdtrImpl: (x: Value) => Value = customJvp(logNdtrPlain, ([v], [dv]): [Value, Value] => {
  const out = logNdtrPlain(v);
  const logPdf = lax.sub(lax.mul(lax.mul(v, v), -0.5), 0.5 * Math.log(2 * Math.PI));
  return [out, lax.mul(dv, lax.exp(lax.sub(logPdf, out)))];
});

export interface LogsumexpOptions {
  /** Scale factors: log Σ b·e^a (broadcast against `a`). */
  b?: ArrayLike;
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
  /** Return `[log|Σ b·e^a|, sign]` instead of NaN for a negative sum (default false). */
  returnSign?: boolean;
}

/**
 * log Σ b·e^a over `axis` (all axes by default), computed stably; with
 * `returnSign`, the pair `[log|s|, sign(s)]`.
 * @example
 * scipy.special.logsumexp(np.array([0, 0])); // 0.6931472
 * scipy.special.logsumexp(np.array([0, 0]), null, { b: np.array([1, -2]), returnSign: true }); // [0, -1]
 */
export function logsumexp(a: ArrayLike, axis?: Axes, options?: LogsumexpOptions & { returnSign?: false }): Value;
export function logsumexp(a: ArrayLike, axis: Axes, options: LogsumexpOptions & { returnSign: true }): [Value, Value];
export function logsumexp(a: ArrayLike, axis: Axes = null, options: LogsumexpOptions = {}): Value | [Value, Value] {
  const op = "scipy.special.logsumexp";
  const { b, keepdims = false, returnSign = false } = optionsArg(op, options);
  if (b === undefined && !returnSign) return nn.logsumexp(floats(op, a)[0], axis, { keepdims });
  const [av, bv] = b === undefined ? [floats(op, a)[0], undefined] : promoteInexact(op, [a, b]);
  const aa = bv === undefined ? av : np.add(av, np.zerosLike(bv));
  const axes = axis === null || axis === undefined ? null : axis;
  const mx = lax.stopGradient(np.max(aa, axes, { keepdims: true }));
  const shift = np.where(np.isfinite(mx), mx, np.zerosLike(mx));
  let e = lax.exp(np.subtract(aa, shift));
  if (bv !== undefined) e = np.multiply(e, bv);
  const s = np.sum(e, axes, { keepdims: true });
  const sgn = np.sign(s);
  let out = np.add(lax.log(returnSign ? np.abs(s) : s), shift);
  let sign = sgn;
  if (!keepdims) {
    out = np.squeeze(out, axes ?? undefined);
    sign = np.squeeze(sign, axes ?? undefined);
  }
  return returnSign ? [out, sign] : out;
}
/**
 * Softmax over `axis` (default: all axes, as JAX's scipy version).
 * @example
 * scipy.special.softmax(np.array([0, 0])); // [0.5, 0.5]
 */
export function softmax(x: ArrayLike, axis: Axes = null): Value {
  return nn.softmax(floats("scipy.special.softmax", x)[0], axis);
}
/**
 * Log-softmax over `axis` (default: all axes, as JAX's scipy version).
 * @example
 * scipy.special.logSoftmax(np.array([0, 0])); // [-0.6931472, -0.6931472]
 */
export function logSoftmax(x: ArrayLike, axis: Axes = null): Value {
  return nn.logSoftmax(floats("scipy.special.logSoftmax", x)[0], axis);
}
export * from "./comb.js";
export * from "./boxcox.js";
export * from "./loggamma.js";
export * from "./bernoulli.js";
export * from "./erfcx.js";
export * from "./dawsn.js";
export * from "./expint.js";
export * from "./spence.js";
export * from "./sici.js";
export * from "./fresnel.js";
export * from "./owens-t.js";
export * from "./hyp1f1.js";
export * from "./hyp2f1.js";
export * from "./bessel-jn.js";
export * from "./sph-harm.js";
export * from "./wofz.js";

/**
 * `scipy.stats`: JAX's `jax.scipy.stats` distributions as objects of
 * functions (`scipy.stats.norm.logpdf(x, loc, scale)`), with JAX's argument
 * order and defaults. Outside a distribution's support a log-density is
 * −inf and a density 0, as in JAX.
 */
import type { ArrayLike } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import * as sp from "./special.js";
import { floats, promoteFloat } from "./util.js";

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const full = (like: Value, v: number) => np.full(like.shape, v, { dtype: like.dtype });
/** `v` where `cond`, else the constant `c`. */
const orConst = (cond: Value, v: Value, c: number) => np.where(cond, v, full(v, c));
// JAX's lax.clamp, not np.maximum/np.clip: on the bound itself the derivative is 0 (clamp's rule),
// where maximum/clip would hand half of it to each side
const clampFrom0 = (z: Value) => lax.clamp(full(z, 0), z, full(z, Infinity));
const clamp01 = (z: Value) => lax.clamp(full(z, 0), z, full(z, 1));
/** (x − loc)/scale, with every operand promoted and broadcast. */
function standardize(op: string, x: ArrayLike, loc: ArrayLike, scale: ArrayLike): [Value, Value] {
  const [xv, l, s] = floats(op, x, loc, scale);
  return [lax.div(lax.sub(xv, l), s), s];
}

// ---- continuous, location–scale ----------------------------------------------------------

/**
 * The normal distribution.
 * @example
 * scipy.stats.norm.logpdf(np.array([0, 1])); // [-0.9189385, -1.4189385]
 * scipy.stats.norm.cdf(1.96); // 0.9750021
 */
export const norm = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z, s] = standardize("scipy.stats.norm.logpdf", x, loc, scale);
    return lax.sub(lax.mul(lax.mul(z, z), -0.5), lax.add(lax.log(s), LOG_SQRT_2PI));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(norm.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return sp.ndtr(standardize("scipy.stats.norm.cdf", x, loc, scale)[0]);
  },
  logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return sp.logNdtr(standardize("scipy.stats.norm.logcdf", x, loc, scale)[0]);
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return sp.ndtr(lax.neg(standardize("scipy.stats.norm.sf", x, loc, scale)[0]));
  },
  logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return sp.logNdtr(lax.neg(standardize("scipy.stats.norm.logsf", x, loc, scale)[0]));
  },
  ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.norm.ppf", q, loc, scale);
    return lax.add(lax.mul(sp.ndtri(qv), s), l);
  },
  isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.norm.isf", q, loc, scale);
    // 0 − ndtri(q), not −ndtri(q): the median is +0, as JAX's
    return lax.add(lax.mul(lax.sub(0, sp.ndtri(qv)), s), l);
  },
};

/**
 * Student's t distribution with `df` degrees of freedom.
 * @example
 * scipy.stats.t.logpdf(np.array([0, 1]), 3); // [-1.0008887, -1.5762529]
 */
export const t = {
  logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, d, l, s] = floats("scipy.stats.t.logpdf", x, df, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    const half = lax.mul(lax.add(d, 1), 0.5);
    const norm_ = lax.sub(lax.sub(lax.lgamma(half), lax.lgamma(lax.mul(d, 0.5))), lax.add(lax.mul(lax.log(lax.mul(d, Math.PI)), 0.5), lax.log(s)));
    return lax.sub(norm_, lax.mul(half, lax.log1p(lax.div(lax.mul(z, z), d))));
  },
  pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(t.logpdf(x, df, loc, scale));
  },
};

/**
 * The Laplace distribution.
 * @example
 * scipy.stats.laplace.pdf(np.array([0, 1])); // [0.5, 0.18393973]
 */
export const laplace = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z, s] = standardize("scipy.stats.laplace.logpdf", x, loc, scale);
    return lax.sub(lax.neg(lax.abs(z)), lax.log(lax.mul(s, 2)));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(laplace.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z] = standardize("scipy.stats.laplace.cdf", x, loc, scale);
    const half = lax.mul(lax.exp(lax.neg(lax.abs(z))), 0.5);
    return np.where(np.less(z, 0), half, lax.sub(1, half));
  },
};

/**
 * The logistic distribution.
 * @example
 * scipy.stats.logistic.cdf(np.array([0, 2])); // [0.5, 0.8807971]
 */
export const logistic = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z, s] = standardize("scipy.stats.logistic.logpdf", x, loc, scale);
    // −|z| − 2·log1p(e^−|z|) − log s (symmetric, no overflow)
    const a = lax.abs(z);
    return lax.sub(lax.sub(lax.neg(a), lax.mul(lax.log1p(lax.exp(lax.neg(a))), 2)), lax.log(s));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(logistic.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.logistic(standardize("scipy.stats.logistic.cdf", x, loc, scale)[0]);
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.logistic(lax.neg(standardize("scipy.stats.logistic.sf", x, loc, scale)[0]));
  },
  ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.logistic.ppf", q, loc, scale);
    return lax.add(lax.mul(sp.logit(qv), s), l);
  },
  isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.logistic.isf", q, loc, scale);
    return lax.add(lax.mul(lax.sub(0, sp.logit(qv)), s), l);
  },
};

/**
 * The Cauchy distribution.
 * @example
 * scipy.stats.cauchy.cdf(np.array([0, 1])); // [0.5, 0.75]
 */
export const cauchy = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z, s] = standardize("scipy.stats.cauchy.logpdf", x, loc, scale);
    return lax.neg(lax.add(lax.log(lax.mul(s, Math.PI)), lax.log1p(lax.mul(z, z))));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(cauchy.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z] = standardize("scipy.stats.cauchy.cdf", x, loc, scale);
    return lax.add(0.5, lax.mul(lax.atan(z), 1 / Math.PI));
  },
  logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(cauchy.cdf(x, loc, scale));
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [z] = standardize("scipy.stats.cauchy.sf", x, loc, scale);
    return lax.sub(0.5, lax.mul(lax.atan(z), 1 / Math.PI));
  },
  logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(cauchy.sf(x, loc, scale));
  },
  ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.cauchy.ppf", q, loc, scale);
    return lax.add(lax.mul(lax.tan(lax.mul(lax.sub(qv, 0.5), Math.PI)), s), l);
  },
  isf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.cauchy.isf", q, loc, scale);
    return lax.add(lax.mul(lax.tan(lax.mul(lax.sub(0.5, qv), Math.PI)), s), l);
  },
};

/**
 * The exponential distribution.
 * @example
 * scipy.stats.expon.cdf(np.array([0, 1])); // [0, 0.63212055]
 */
export const expon = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.expon.logpdf", x, loc, scale);
    const r = lax.neg(lax.add(lax.div(lax.sub(xv, l), s), lax.log(s)));
    return np.where(np.less(xv, l), full(r, -Infinity), r);
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(expon.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.expon.cdf", x, loc, scale);
    const r = lax.neg(lax.expm1(lax.div(lax.sub(l, xv), s)));
    return np.where(np.less(xv, l), np.zerosLike(r), r);
  },
  logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log1p(lax.neg(expon.sf(x, loc, scale)));
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(expon.logsf(x, loc, scale));
  },
  logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.expon.logsf", x, loc, scale);
    const r = lax.div(lax.sub(l, xv), s);
    return np.where(np.less(xv, l), np.zerosLike(r), r);
  },
  ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.expon.ppf", q, loc, scale);
    return outsideUnit(qv, lax.sub(l, lax.mul(s, lax.log1p(lax.neg(qv)))));
  },
};

/**
 * The uniform distribution on [loc, loc + scale].
 * @example
 * scipy.stats.uniform.pdf(np.array([0.5, 2])); // [1, 0]
 */
export const uniform = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.uniform.logpdf", x, loc, scale);
    const r = np.multiply(lax.neg(lax.log(s)), np.onesLike(xv));
    const outside = np.logicalOr(np.greater(xv, lax.add(l, s)), np.less(xv, l));
    return np.where(outside, full(r, -Infinity), r);
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(uniform.logpdf(x, loc, scale));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.uniform.cdf", x, loc, scale);
    const hi = lax.add(l, s);
    const z = lax.div(lax.sub(xv, l), s);
    const inside = np.logicalAnd(np.greaterEqual(xv, l), np.lessEqual(xv, hi));
    // as np.select: the first condition that holds, 0 where none does (NaN)
    return np.where(np.less(xv, l), np.zerosLike(z), np.where(np.greater(xv, hi), np.onesLike(z), np.where(inside, z, np.zerosLike(z))));
  },
  ppf(q: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, l, s] = floats("scipy.stats.uniform.ppf", q, loc, scale);
    return outsideUnit(qv, lax.add(l, lax.mul(s, qv)));
  },
};

/** `r`, NaN where q is NaN or outside [0, 1]. */
function outsideUnit(q: Value, r: Value): Value {
  const bad = np.logicalOr(np.isnan(q), np.logicalOr(np.less(q, 0), np.greater(q, 1)));
  return np.where(bad, full(r, NaN), r);
}

// ---- continuous, shape parameters -------------------------------------------------------------

/**
 * The gamma distribution with shape `a`.
 * @example
 * scipy.stats.gamma.cdf(np.array([1, 2]), 2); // [0.26424112, 0.59399414]
 */
export const gamma = {
  logpdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, l, s] = floats("scipy.stats.gamma.logpdf", x, a, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    const r = lax.sub(lax.sub(sp.xlogy(lax.sub(av, 1), z), z), lax.add(lax.lgamma(av), lax.log(s)));
    return orConst(np.greaterEqual(z, 0), r, -Infinity);
  },
  pdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gamma.logpdf(x, a, loc, scale));
  },
  cdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, l, s] = floats("scipy.stats.gamma.cdf", x, a, loc, scale);
    return lax.igamma(av, clampFrom0(lax.div(lax.sub(xv, l), s)));
  },
  logcdf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(gamma.cdf(x, a, loc, scale));
  },
  sf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, l, s] = floats("scipy.stats.gamma.sf", x, a, loc, scale);
    return lax.igammac(av, clampFrom0(lax.div(lax.sub(xv, l), s)));
  },
  logsf(x: ArrayLike, a: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(gamma.sf(x, a, loc, scale));
  },
};

/**
 * The chi-squared distribution with `df` degrees of freedom.
 * @example
 * scipy.stats.chi2.cdf(np.array([1, 3.84]), 1); // [0.6826895, 0.9499565]
 */
export const chi2 = {
  logpdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, d, l, s] = floats("scipy.stats.chi2.logpdf", x, df, loc, scale);
    return gamma.logpdf(xv, lax.mul(d, 0.5), l, lax.mul(s, 2));
  },
  pdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(chi2.logpdf(x, df, loc, scale));
  },
  cdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, d, l, s] = floats("scipy.stats.chi2.cdf", x, df, loc, scale);
    return gamma.cdf(xv, lax.mul(d, 0.5), l, lax.mul(s, 2));
  },
  logcdf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(chi2.cdf(x, df, loc, scale));
  },
  sf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, d, l, s] = floats("scipy.stats.chi2.sf", x, df, loc, scale);
    return gamma.sf(xv, lax.mul(d, 0.5), l, lax.mul(s, 2));
  },
  logsf(x: ArrayLike, df: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(chi2.sf(x, df, loc, scale));
  },
};

/**
 * The beta distribution with shapes `a`, `b`.
 * @example
 * scipy.stats.beta.cdf(np.array([0.5]), 2, 3); // [0.6875]
 */
export const beta = {
  logpdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, bv, l, s] = floats("scipy.stats.beta.logpdf", x, a, b, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    const r = lax.sub(lax.add(sp.xlogy(lax.sub(av, 1), z), sp.xlog1py(lax.sub(bv, 1), lax.neg(z))), lax.add(sp.betaln(av, bv), lax.log(s)));
    return orConst(np.logicalAnd(np.greaterEqual(z, 0), np.lessEqual(z, 1)), r, -Infinity);
  },
  pdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(beta.logpdf(x, a, b, loc, scale));
  },
  cdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, bv, l, s] = floats("scipy.stats.beta.cdf", x, a, b, loc, scale);
    return lax.betainc(av, bv, clamp01(lax.div(lax.sub(xv, l), s)));
  },
  logcdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(beta.cdf(x, a, b, loc, scale));
  },
  sf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, bv, l, s] = floats("scipy.stats.beta.sf", x, a, b, loc, scale);
    return lax.betainc(bv, av, clamp01(lax.sub(1, lax.div(lax.sub(xv, l), s))));
  },
  logsf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.log(beta.sf(x, a, b, loc, scale));
  },
};

// ---- discrete ----------------------------------------------------------------------------------

/**
 * The Poisson distribution with mean `mu`.
 * @example
 * scipy.stats.poisson.pmf(np.array([0, 1, 2]), 1); // [0.36787945, 0.36787945, 0.18393973]
 */
export const poisson = {
  logpmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, m, l] = floats("scipy.stats.poisson.logpmf", k, mu, loc);
    const x = lax.sub(kv, l);
    const r = lax.sub(lax.sub(sp.xlogy(x, m), lax.lgamma(lax.add(x, 1))), m);
    return orConst(np.logicalAnd(np.greaterEqual(x, 0), np.equal(np.floor(x), x)), r, -Infinity);
  },
  pmf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(poisson.logpmf(k, mu, loc));
  },
  cdf(k: ArrayLike, mu: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, m, l] = floats("scipy.stats.poisson.cdf", k, mu, loc);
    const x = lax.sub(kv, l);
    return orConst(np.greaterEqual(x, 0), lax.igammac(lax.add(np.floor(np.maximum(x, 0)), 1), m), 0);
  },
  /** The entropy, summed over the support up to where the probabilities vanish (`mu` up to about 1000). */
  entropy(mu: ArrayLike, loc: ArrayLike = 0): Value {
    const [m] = floats("scipy.stats.poisson.entropy", mu, loc);
    const ks = np.arange(0, 2000, 1, { dtype: m.dtype });
    const mm = np.expandDims(m, -1);
    const lp = poisson.logpmf(ks, mm);
    return lax.neg(np.sum(np.where(np.isfinite(lp), lax.mul(lax.exp(lp), lp), np.zerosLike(lp)), -1));
  },
};

/**
 * The Bernoulli distribution with success probability `p`.
 * @example
 * scipy.stats.bernoulli.pmf(np.array([0, 1]), 0.25); // [0.75, 0.25]
 */
export const bernoulli = {
  logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, pv, l] = floats("scipy.stats.bernoulli.logpmf", k, p, loc);
    const x = lax.sub(kv, l);
    const r = lax.add(sp.xlogy(x, pv), sp.xlog1py(lax.sub(1, x), lax.neg(pv)));
    return np.where(np.logicalOr(np.less(x, 0), np.greater(x, 1)), full(r, -Infinity), r);
  },
  pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(bernoulli.logpmf(k, p, loc));
  },
  cdf(k: ArrayLike, p: ArrayLike): Value {
    const [kv, pv] = floats("scipy.stats.bernoulli.cdf", k, p);
    const bad = np.logicalOr(np.logicalOr(np.isnan(kv), np.isnan(pv)), np.logicalOr(np.less(pv, 0), np.greater(pv, 1)));
    const one = np.onesLike(kv);
    const r = np.where(np.less(kv, 0), np.zerosLike(kv), np.where(np.less(kv, 1), lax.sub(one, pv), one));
    return np.where(bad, full(r, NaN), r);
  },
  ppf(q: ArrayLike, p: ArrayLike): Value {
    const [qv, pv] = floats("scipy.stats.bernoulli.ppf", q, p);
    const bad = np.logicalOr(np.logicalOr(np.isnan(qv), np.isnan(pv)), np.logicalOr(np.logicalOr(np.less(pv, 0), np.greater(pv, 1)), np.logicalOr(np.less(qv, 0), np.greater(qv, 1))));
    const r = np.where(np.lessEqual(qv, lax.sub(1, pv)), np.zerosLike(qv), np.onesLike(qv));
    return np.where(bad, full(r, NaN), r);
  },
};

// ---- multivariate --------------------------------------------------------------------------------

/**
 * The multivariate normal distribution: `x` and `mean` end in the
 * dimension d (leading axes of `x` are a batch), `cov` is d×d.
 * @example
 * scipy.stats.multivariate_normal.logpdf(np.array([0, 0]), np.array([0, 0]), np.eye(2)); // -1.837877
 */
export const multivariate_normal = {
  logpdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike): Value {
    const op = "scipy.stats.multivariate_normal.logpdf";
    const [xv, mv, cv] = promoteFloat(op, x, mean, cov);
    if (cv.ndim !== 2 || cv.shape[0] !== cv.shape[1]) throw new ShapeError(`${op}: cov must be a square matrix, got shape [${cv.shape.join(", ")}] (a batch of covariances: use vmap)`);
    const d = cv.shape[cv.ndim - 1];
    if (xv.ndim < 1 || xv.shape[xv.ndim - 1] !== d) throw new ShapeError(`${op}: x must end in the dimension ${d} of cov, got shape [${xv.shape.join(", ")}]`);
    const L = np.linalg.cholesky(cv);
    const diff = np.subtract(xv, mv);
    // z = L⁻¹·diff, batched over diff's leading axes: solve against diff as columns
    const lead = diff.shape.slice(0, -1);
    const cols = np.reshape(diff, [-1, d]);
    const z = lax.linalg.triangularSolve(L, np.transpose(cols), { leftSide: true, lower: true });
    const maha = np.reshape(np.sum(np.multiply(z, z), 0), lead);
    const logdet = np.multiply(np.sum(lax.log(np.diagonal(L, 0, -2, -1)), -1), 2);
    return np.subtract(np.multiply(np.add(maha, logdet), -0.5), d * LOG_SQRT_2PI);
  },
  pdf(x: ArrayLike, mean: ArrayLike, cov: ArrayLike): Value {
    return lax.exp(multivariate_normal.logpdf(x, mean, cov));
  },
};
export * from "./stats-extreme.js";
export * from "./stats-discrete.js";
export * from "./stats-shape.js";
export * from "./stats-rank.js";
export * from "./stats-sem.js";

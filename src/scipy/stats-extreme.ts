/**
 * More of `jax.scipy.stats`: the extreme-value and heavy-tailed families
 * (`gumbel_r`, `gumbel_l`, `pareto`) and the geometric distribution. Each
 * formula is JAX's, branch for branch, so that values outside the support
 * (−inf log-densities, NaN for a non-positive scale or a quantile outside
 * (0, 1)) and gradients at the branch points agree with JAX's.
 */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as nn from "../nn/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import * as sp from "./special.js";
import { floats, whereConst } from "./util.js";

/** `r`, NaN where the scale is not positive (JAX's `ok = scale > 0`). */
const positiveScale = (s: Value, r: Value) => whereConst(lax.gt(s, 0), r, NaN);

// ---- Gumbel, right-skewed ----------------------------------------------------------------

/**
 * The right-skewed Gumbel (extreme-value type I, maxima) distribution:
 * `cdf(x) = exp(−exp(−(x − loc)/scale))`. A non-positive `scale` gives NaN.
 * @example
 * scipy.stats.gumbel_r.cdf(np.array([0, 1])); // [0.36787945, 0.6922006]
 * scipy.stats.gumbel_r.logpdf(np.array([0, 1])); // [-1, -1.3678794]
 */
export const gumbel_r = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_r.logpdf", x, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    return positiveScale(s, lax.sub(lax.neg(lax.add(z, lax.exp(lax.neg(z)))), lax.log(s)));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gumbel_r.logpdf(x, loc, scale));
  },
  logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_r.logcdf", x, loc, scale);
    return positiveScale(s, lax.neg(lax.exp(lax.div(lax.sub(l, xv), s))));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gumbel_r.logcdf(x, loc, scale));
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_r.sf", x, loc, scale);
    return positiveScale(s, lax.sub(1, lax.exp(lax.neg(lax.exp(lax.div(lax.sub(l, xv), s))))));
  },
  logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_r.logsf", x, loc, scale);
    return positiveScale(s, nn.log1mexp(lax.exp(lax.div(lax.sub(l, xv), s))));
  },
  ppf(p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [pv, l, s] = floats("scipy.stats.gumbel_r.ppf", p, loc, scale);
    const q = lax.sub(l, lax.mul(s, lax.log(lax.neg(lax.log(pv)))));
    return whereConst(np.logicalAnd(lax.gt(pv, 0), lax.lt(pv, 1)), q, NaN);
  },
};

// ---- Gumbel, left-skewed -----------------------------------------------------------------

/**
 * The left-skewed Gumbel (extreme-value type I, minima) distribution:
 * `sf(x) = exp(−exp((x − loc)/scale))`. A non-positive `scale` gives NaN.
 * @example
 * scipy.stats.gumbel_l.cdf(np.array([0, 1])); // [0.63212055, 0.93401194]
 * scipy.stats.gumbel_l.ppf(0.5); // -0.36651292
 */
export const gumbel_l = {
  logpdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_l.logpdf", x, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    return positiveScale(s, lax.sub(lax.sub(z, lax.exp(z)), lax.log(s)));
  },
  pdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gumbel_l.logpdf(x, loc, scale));
  },
  logcdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_l.logcdf", x, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    return positiveScale(s, lax.log(lax.neg(lax.expm1(lax.neg(lax.exp(z))))));
  },
  cdf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gumbel_l.logcdf(x, loc, scale));
  },
  logsf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, l, s] = floats("scipy.stats.gumbel_l.logsf", x, loc, scale);
    return positiveScale(s, lax.neg(lax.exp(lax.div(lax.sub(xv, l), s))));
  },
  sf(x: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(gumbel_l.logsf(x, loc, scale));
  },
  ppf(p: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [pv, l, s] = floats("scipy.stats.gumbel_l.ppf", p, loc, scale);
    // loc + scale·log(−log1p(−p))
    const q = lax.add(l, lax.mul(s, lax.log(lax.neg(lax.log1p(lax.neg(pv))))));
    return whereConst(np.logicalAnd(lax.gt(pv, 0), lax.lt(pv, 1)), q, NaN);
  },
};

// ---- Pareto --------------------------------------------------------------------------------

/**
 * The Pareto distribution with shape `b`: `sf(x) = ((x − loc)/scale)^−b` for
 * `x ≥ loc + scale`; below that the log-density is −inf and the cdf 0.
 * @example
 * scipy.stats.pareto.pdf(np.array([1, 2]), 3); // [3, 0.1875]
 * scipy.stats.pareto.sf(np.array([1, 2]), 3); // [1, 0.125]
 */
export const pareto = {
  logpdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, bv, l, s] = floats("scipy.stats.pareto.logpdf", x, b, loc, scale);
    const z = lax.div(lax.sub(xv, l), s);
    const r = lax.neg(lax.add(lax.log(lax.div(s, bv)), lax.mul(lax.add(bv, 1), lax.log(z))));
    return belowSupport(xv, l, s, r, -Infinity);
  },
  pdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(pareto.logpdf(x, b, loc, scale));
  },
  cdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, bv, l, s] = floats("scipy.stats.pareto.cdf", x, b, loc, scale);
    const r = lax.sub(1, lax.pow(lax.div(lax.sub(xv, l), s), lax.neg(bv)));
    return belowSupport(xv, l, s, r, 0);
  },
  logcdf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, bv, l, s] = floats("scipy.stats.pareto.logcdf", x, b, loc, scale);
    const r = lax.log1p(lax.neg(lax.pow(lax.div(lax.sub(xv, l), s), lax.neg(bv))));
    return belowSupport(xv, l, s, r, -Infinity);
  },
  logsf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, bv, l, s] = floats("scipy.stats.pareto.logsf", x, b, loc, scale);
    const r = lax.neg(lax.mul(bv, lax.log(lax.div(lax.sub(xv, l), s))));
    return belowSupport(xv, l, s, r, 0);
  },
  sf(x: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(pareto.logsf(x, b, loc, scale));
  },
  ppf(q: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [qv, bv, l, s] = floats("scipy.stats.pareto.ppf", q, b, loc, scale);
    const r = lax.add(l, lax.mul(s, lax.pow(lax.sub(1, qv), lax.neg(lax.div(1, bv)))));
    const bad = np.logicalOr(np.isnan(qv), np.logicalOr(lax.lt(qv, 0), lax.gt(qv, 1)));
    return whereConst(np.logicalNot(bad), r, NaN);
  },
};
/** `r`, the constant `c` where x < loc + scale (below Pareto's support; a NaN x stays NaN, as JAX's). */
const belowSupport = (x: Value, l: Value, s: Value, r: Value, c: number) => whereConst(np.logicalNot(lax.lt(x, lax.add(l, s))), r, c);

// ---- geometric -----------------------------------------------------------------------------

/**
 * The geometric distribution: the number of Bernoulli(`p`) trials up to and
 * including the first success, `pmf(k) = (1 − p)^(k−1)·p` for k ≥ 1 (shifted by `loc`).
 * @example
 * scipy.stats.geom.pmf(np.array([1, 2, 3]), 0.5); // [0.5, 0.25, 0.125]
 */
export const geom = {
  logpmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, pv, l] = floats("scipy.stats.geom.logpmf", k, p, loc);
    const x = lax.sub(kv, l);
    const r = lax.add(sp.xlog1py(lax.sub(x, 1), lax.neg(pv)), lax.log(pv));
    return whereConst(lax.gt(x, 0), r, -Infinity);
  },
  pmf(k: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(geom.logpmf(k, p, loc));
  },
};

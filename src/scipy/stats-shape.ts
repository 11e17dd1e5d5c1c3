/**
 * More of `jax.scipy.stats`: `gennorm`, the circular `vonmises` and
 * `wrapcauchy`, `truncnorm` and `dirichlet`. JAX's formulas, branch for
 * branch (its parameter names, its NaN for invalid parameters, its −inf
 * outside the support).
 */
import type { ArrayLike } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import * as sp from "./special.js";
import { norm } from "./stats.js";
import { floats, promoteFloat, whereConst } from "./util.js";

/**
 * The generalized normal distribution with shape `beta` (2: a normal with
 * variance 1/2; 1: Laplace), `pdf(x) = beta/(2Γ(1/beta))·exp(−|x|^beta)`.
 * @example
 * scipy.stats.gennorm.pdf(np.array([0, 1]), 2); // [0.5641896, 0.20755376]
 * scipy.stats.gennorm.cdf(np.array([0, 1]), 2); // [0.5, 0.9213504]
 */
export const gennorm = {
  logpdf(x: ArrayLike, beta: ArrayLike): Value {
    const [xv, bv] = floats("scipy.stats.gennorm.logpdf", x, beta);
    return lax.sub(lax.sub(lax.log(lax.mul(bv, 0.5)), lax.lgamma(lax.div(1, bv))), lax.pow(lax.abs(xv), bv));
  },
  pdf(x: ArrayLike, beta: ArrayLike): Value {
    return lax.exp(gennorm.logpdf(x, beta));
  },
  cdf(x: ArrayLike, beta: ArrayLike): Value {
    const [xv, bv] = floats("scipy.stats.gennorm.cdf", x, beta);
    const g = lax.igamma(lax.div(1, bv), lax.pow(lax.abs(xv), bv));
    return lax.mul(lax.add(lax.mul(lax.sign(xv), g), 1), 0.5);
  },
};

/**
 * The von Mises distribution on the circle with concentration `kappa`
 * (no support check on `x`, as JAX; `kappa ≤ 0` gives NaN).
 * @example
 * scipy.stats.vonmises.pdf(np.array([0, 1]), 1); // [0.34171048, 0.21578145]
 */
export const vonmises = {
  logpdf(x: ArrayLike, kappa: ArrayLike): Value {
    const [xv, k] = floats("scipy.stats.vonmises.logpdf", x, kappa);
    const r = lax.sub(lax.mul(k, lax.sub(lax.cos(xv), 1)), lax.log(lax.mul(lax.besselI0e(k), 2 * Math.PI)));
    return whereConst(lax.gt(k, 0), r, NaN);
  },
  pdf(x: ArrayLike, kappa: ArrayLike): Value {
    return lax.exp(vonmises.logpdf(x, kappa));
  },
};

/**
 * The wrapped Cauchy distribution on [0, 2π] with shape `c` ∈ (0, 1)
 * (−inf outside [0, 2π], NaN for c outside (0, 1)).
 * @example
 * scipy.stats.wrapcauchy.pdf(np.array([0, 1]), 0.5); // [0.47746482, 0.16819301]
 */
export const wrapcauchy = {
  logpdf(x: ArrayLike, c: ArrayLike): Value {
    const [xv, cv] = floats("scipy.stats.wrapcauchy.logpdf", x, c);
    const c2 = lax.mul(cv, cv);
    const r = lax.sub(lax.sub(lax.log(lax.sub(1, c2)), Math.log(2 * Math.PI)), lax.log(lax.sub(lax.add(c2, 1), lax.mul(lax.mul(cv, 2), lax.cos(xv)))));
    const inside = whereConst(np.logicalAnd(lax.ge(xv, 0), lax.le(xv, 2 * Math.PI)), r, -Infinity);
    return whereConst(np.logicalAnd(lax.gt(cv, 0), lax.lt(cv, 1)), inside, NaN);
  },
  pdf(x: ArrayLike, c: ArrayLike): Value {
    return lax.exp(wrapcauchy.logpdf(x, c));
  },
};

// ---- truncated normal -----------------------------------------------------------------------

/** log(e^x − e^y), as JAX's: a signed logsumexp over the pair. */
function logDiff(x: Value, y: Value): Value {
  const ones = np.onesLike(x);
  return sp.logsumexp(np.stack([x, y]), 0, { b: np.stack([ones, lax.neg(ones)]) });
}
/** log(Φ(b) − Φ(a)), from whichever tail or the centre loses least precision (JAX's cases). */
function logGaussMass(a: Value, b: Value): Value {
  const left = lax.le(b, 0);
  const right = lax.gt(a, 0);
  const central = np.logicalNot(np.logicalOr(left, right));
  const aTail = np.where(right, lax.neg(b), a);
  const bTail = np.where(right, lax.neg(a), b);
  const tail = logDiff(sp.logNdtr(bTail), sp.logNdtr(aTail));
  const centre = lax.log1p(lax.sub(lax.neg(sp.ndtr(a)), sp.ndtr(lax.neg(b))));
  return np.where(central, centre, tail);
}
function truncnormLogcdf(op: string, x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike, scale: ArrayLike): Value {
  const [xv, av, bv, l, s] = floats(op, x, a, b, loc, scale);
  const z = lax.div(lax.sub(xv, l), s);
  const massAB = logGaussMass(av, bv);
  const logcdf = lax.sub(logGaussMass(av, z), massAB);
  const logsf = lax.sub(logGaussMass(z, bv), massAB);
  const zero = np.zerosLike(logcdf);
  // np.select in JAX's order: the first condition that holds, 0 where none does
  const r = np.where(
    lax.ge(z, bv),
    zero,
    np.where(lax.le(z, av), np.full(z.shape, -Infinity, { dtype: z.dtype }), np.where(lax.gt(logcdf, -0.1), lax.log1p(lax.neg(lax.exp(logsf))), np.where(lax.gt(z, av), logcdf, zero))),
  );
  return whereConst(lax.lt(av, bv), r, NaN);
}

/**
 * The normal distribution truncated to [a, b] (in standard units: the
 * interval is [loc + a·scale, loc + b·scale]); a ≥ b gives NaN.
 * @example
 * scipy.stats.truncnorm.pdf(np.array([0, 1]), -1, 1); // [0.5843686, 0.35443747]
 * scipy.stats.truncnorm.cdf(np.array([0, 1]), -1, 1); // [0.5, 1]
 */
export const truncnorm = {
  logpdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, bv, l, s] = floats("scipy.stats.truncnorm.logpdf", x, a, b, loc, scale);
    const r = lax.sub(norm.logpdf(xv, l, s), logGaussMass(av, bv));
    const z = lax.div(lax.sub(xv, l), s);
    const inside = whereConst(np.logicalNot(np.logicalOr(lax.lt(z, av), lax.gt(z, bv))), r, -Infinity);
    return whereConst(lax.lt(av, bv), inside, NaN);
  },
  pdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(truncnorm.logpdf(x, a, b, loc, scale));
  },
  logcdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return truncnormLogcdf("scipy.stats.truncnorm.logcdf", x, a, b, loc, scale);
  },
  cdf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(truncnormLogcdf("scipy.stats.truncnorm.cdf", x, a, b, loc, scale));
  },
  logsf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    const [xv, av, bv, l, s] = floats("scipy.stats.truncnorm.logsf", x, a, b, loc, scale);
    // the survival function is the cdf of the mirrored distribution
    return truncnormLogcdf("scipy.stats.truncnorm.logsf", lax.neg(xv), lax.neg(bv), lax.neg(av), lax.neg(l), s);
  },
  sf(x: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0, scale: ArrayLike = 1): Value {
    return lax.exp(truncnorm.logsf(x, a, b, loc, scale));
  },
};

// ---- Dirichlet ----------------------------------------------------------------------------------

/**
 * The Dirichlet distribution with concentrations `alpha` (1-D, length K).
 * `x` has K entries on its first axis (or K − 1: the last is 1 − their sum),
 * further axes are a batch; off the simplex (an entry ≤ 0, or a sum off 1 by
 * 1e-6 or more) the log-density is −inf.
 * @example
 * scipy.stats.dirichlet.pdf(np.array([0.2, 0.3, 0.5]), np.array([1, 2, 3])); // 4.5
 */
export const dirichlet = {
  logpdf(x: ArrayLike, alpha: ArrayLike): Value {
    const op = "scipy.stats.dirichlet.logpdf";
    let [xv, al] = promoteFloat(op, x, alpha);
    if (al.ndim !== 1) throw new ShapeError(`${op}: alpha must be one-dimensional, got shape [${al.shape.join(", ")}]`);
    const k = al.shape[0];
    if (xv.ndim < 1 || (xv.shape[0] !== k && xv.shape[0] !== k - 1)) {
      throw new ShapeError(`${op}: x must have ${k} (or ${k - 1}) entries on its first axis, as alpha has ${k}; got shape [${xv.shape.join(", ")}]`);
    }
    if (xv.shape[0] !== k) xv = np.concatenate([xv, lax.sub(1, np.sum(xv, 0, { keepdims: true }))], 0);
    const normalize = lax.sub(np.sum(lax.lgamma(al)), lax.lgamma(np.sum(al)));
    if (xv.ndim > 1) al = np.reshape(al, [k, ...xv.shape.slice(1).map(() => 1)]);
    const r = np.subtract(np.sum(sp.xlogy(lax.sub(al, 1), xv), 0), normalize);
    const simplex = np.logicalAnd(np.all(lax.gt(xv, 0), 0), lax.lt(lax.abs(lax.sub(np.sum(xv, 0), 1)), 1e-6));
    return whereConst(simplex, r, -Infinity);
  },
  pdf(x: ArrayLike, alpha: ArrayLike): Value {
    return lax.exp(dirichlet.logpdf(x, alpha));
  },
};

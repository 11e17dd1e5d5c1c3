/**
 * More of `jax.scipy.stats`: the binomial family (`binom`, `nbinom`,
 * `betabinom`) and `multinomial`. JAX's formulas, branch for branch: outside
 * the support the log-mass is −inf; invalid parameters of `betabinom` give NaN.
 */
import type { ArrayLike } from "../array-methods.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { asValue } from "../numpy/util.js";
import type { Value } from "../trace/core.js";
import * as sp from "./special.js";
import { floats, whereConst } from "./util.js";

/**
 * The binomial distribution: successes in `n` Bernoulli(`p`) trials.
 * @example
 * scipy.stats.binom.pmf(np.array([0, 1, 2]), 2, 0.5); // [0.25, 0.5, 0.25]
 */
export const binom = {
  logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, nv, pv, l] = floats("scipy.stats.binom.logpmf", k, n, p, loc);
    const y = lax.sub(kv, l);
    const comb = lax.sub(lax.lgamma(lax.add(nv, 1)), lax.add(lax.lgamma(lax.add(y, 1)), lax.lgamma(lax.add(lax.sub(nv, y), 1))));
    const linear = lax.add(sp.xlogy(y, pv), sp.xlog1py(lax.sub(nv, y), lax.neg(pv)));
    // certain outcomes (y = n = 0, or p ∈ {0, 1} at the matching end) are exactly log 1
    const certain = np.logicalOr(np.logicalAnd(lax.eq(y, 0), lax.eq(nv, 0)), lax.eq(linear, 0));
    const r = np.where(certain, np.zerosLike(linear), lax.add(comb, linear));
    return whereConst(np.logicalAnd(lax.ge(kv, l), lax.lt(kv, lax.add(lax.add(l, nv), 1))), r, -Infinity);
  },
  pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(binom.logpmf(k, n, p, loc));
  },
};

/**
 * The negative binomial distribution: failures before the `n`-th success of
 * Bernoulli(`p`) trials (`n` may be real).
 * @example
 * scipy.stats.nbinom.pmf(np.array([0, 1]), 2, 0.5); // [0.25, 0.25]
 */
export const nbinom = {
  logpmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, nv, pv, l] = floats("scipy.stats.nbinom.logpmf", k, n, p, loc);
    const y = lax.sub(kv, l);
    const comb = lax.sub(lax.sub(lax.lgamma(lax.add(y, nv)), lax.lgamma(nv)), lax.lgamma(lax.add(y, 1)));
    const linear = lax.add(sp.xlogy(nv, pv), sp.xlogy(y, lax.sub(1, pv)));
    return whereConst(lax.ge(kv, l), lax.add(comb, linear), -Infinity);
  },
  pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(nbinom.logpmf(k, n, p, loc));
  },
};

/**
 * The beta-binomial distribution: binomial with `n` trials and a
 * Beta(`a`, `b`) success probability. `k` is floored; n < 0, a ≤ 0 or b ≤ 0 give NaN.
 * @example
 * scipy.stats.betabinom.pmf(np.array([0, 1, 2]), 2, 1, 1); // [0.33333334, 0.33333334, 0.33333334]
 */
export const betabinom = {
  logpmf(k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0): Value {
    const [kv, nv, av, bv, l] = floats("scipy.stats.betabinom.logpmf", k, n, a, b, loc);
    const y = lax.sub(lax.floor(kv), l);
    const ny = lax.sub(nv, y);
    const combiln = lax.neg(lax.add(lax.log1p(nv), sp.betaln(lax.add(ny, 1), lax.add(y, 1))));
    const betaLns = lax.sub(sp.betaln(lax.add(y, av), lax.add(ny, bv)), sp.betaln(av, bv));
    let r = lax.add(combiln, betaLns);
    r = np.where(np.logicalAnd(lax.eq(y, 0), lax.eq(nv, 0)), np.zerosLike(r), r);
    // JAX compares y with −loc here (not with 0): kept, so that a nonzero loc agrees with JAX
    const outside = np.logicalOr(np.logicalOr(lax.lt(y, lax.neg(l)), lax.gt(y, nv)), lax.le(lax.add(y, av), 0));
    r = whereConst(np.logicalNot(outside), r, -Infinity);
    const bad = np.logicalOr(np.logicalOr(lax.lt(nv, 0), lax.le(av, 0)), lax.le(bv, 0));
    return whereConst(np.logicalNot(bad), r, NaN);
  },
  pmf(k: ArrayLike, n: ArrayLike, a: ArrayLike, b: ArrayLike, loc: ArrayLike = 0): Value {
    return lax.exp(betabinom.logpmf(k, n, a, b, loc));
  },
};

/**
 * The multinomial distribution: counts `x` (integers, last axis the
 * categories) of `n` (integer) draws with category probabilities `p`. Where
 * the counts do not sum to `n` the log-mass is −inf. (JAX compares the sum of
 * all of `x` with `n`; jaxon sums the last axis, which is the same for one
 * vector of counts and keeps a batch of them meaningful.)
 * @example
 * scipy.stats.multinomial.pmf(np.array([1, 1], { dtype: "int32" }), 2, np.array([0.5, 0.5])); // 0.5
 */
export const multinomial = {
  logpmf(x: ArrayLike, n: ArrayLike, p: ArrayLike): Value {
    const op = "scipy.stats.multinomial.logpmf";
    const xv = asValue(x, op);
    const nv = asValue(n, op);
    for (const [name, v] of [["x", xv], ["n", nv]] as const) {
      if (!/^u?int/.test(v.dtype)) throw new DTypeError(`${op}: ${name} must be of an integer dtype (counts), got ${v.dtype}; pass e.g. np.array(counts, { dtype: "int32" })`);
    }
    const [pv] = floats(op, p);
    if (xv.ndim < 1) throw new ShapeError(`${op}: x must have a category axis (at least 1-D), got shape []`);
    const xf = lax.convertElementType(xv, pv.dtype);
    const nf = lax.convertElementType(nv, pv.dtype);
    const terms = np.subtract(sp.xlogy(xf, pv), lax.lgamma(lax.add(xf, 1)));
    const r = np.add(lax.lgamma(lax.add(nf, 1)), np.sum(terms, -1));
    return whereConst(np.equal(np.sum(xf, -1), nf), np.broadcastTo(r, np.broadcastShapes(r.shape, nf.shape)), -Infinity);
  },
  pmf(x: ArrayLike, n: ArrayLike, p: ArrayLike): Value {
    return lax.exp(multinomial.logpmf(x, n, p));
  },
};

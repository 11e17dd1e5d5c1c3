/** `hyp2f1`: Gauss's hypergeometric function ₂F₁(a, b; c; x), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import { DTypeError } from "../errors.js";
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { gamma } from "./special.js";
import { convergedSeries, floats, whereConst } from "./util.js";

const MAX_TERMS = 250;
const epsOf = (x: Value) => (x.dtype === "float64" ? 2 ** -52 : 2 ** -23);
const isNonPositiveInteger = (v: Value, tol: number) => np.logicalAnd(np.lessEqual(v, 0), np.less(lax.abs(lax.sub(v, np.round(v))), tol));

// Σ (a)ₖ(b)ₖ/(c)ₖ·xᵏ/k!, until a term falls below eps of the sum (Pearson, Olver and Porter 2017, §4.1)
function taylor(a: Value, b: Value, c: Value, x: Value): Value {
  const ratio = (k: Value) => lax.mul(lax.div(lax.div(lax.mul(lax.add(a, lax.sub(k, 1)), lax.add(b, lax.sub(k, 1))), lax.add(c, lax.sub(k, 1))), k), x);
  return convergedSeries(np.zerosLike(x), np.onesLike(x), ratio, null, MAX_TERMS);
}

// a non-positive integer a or b: the series is a polynomial of degree |a|, summed in full (up to 250 terms);
// of two such parameters the one of larger degree is used, unless c is a non-positive integer between them
function terminating(a0: Value, b0: Value, c: Value, x: Value): Value {
  const tol = epsOf(x) * 50;
  const cBetween = np.logicalAnd(np.equal(np.remainder(c, 1), 0), np.logicalAnd(np.lessEqual(c, 0), np.greater(c, b0)));
  const swap = np.logicalAnd(np.less(b0, a0), np.logicalAnd(np.less(lax.abs(lax.sub(b0, np.round(b0))), tol), np.logicalNot(cBetween)));
  const a = lax.abs(np.where(swap, b0, a0));
  const b = np.where(swap, a0, b0);
  const [sum] = lax.foriLoop(1, MAX_TERMS + 1, (i: Value, [s, term]: [Value, Value]): [Value, Value] => {
    const k = lax.convert(i, x.dtype);
    const next = lax.mul(term, lax.mul(lax.div(lax.mul(lax.neg(lax.div(lax.add(lax.sub(a, k), 1), lax.add(c, lax.sub(k, 1)))), lax.add(b, lax.sub(k, 1))), k), x));
    const go = np.less(k, lax.add(a, 1));
    return [np.where(go, lax.add(s, next), s), np.where(go, next, term)];
  }, [np.onesLike(x), np.onesLike(x)] as [Value, Value]);
  return sum;
}

// near x = 1 with an integer d = c − a − b, the series in 1 − x with digamma terms (Abramowitz and Stegun 15.3.10–12)
function digammaTransform(a: Value, b: Value, c: Value, x: Value): Value {
  const eps = epsOf(x);
  const d = lax.sub(lax.sub(c, a), b);
  const s = lax.sub(1, x);
  const rd = np.round(d);
  const up = np.greaterEqual(rd, 0);
  const zero = np.zerosLike(d);
  const e = np.where(up, d, lax.neg(d));
  const d1 = np.where(up, d, zero);
  const d2 = np.where(up, zero, d);
  const ard = lax.abs(rd);
  const logS = lax.log(s);
  const psi = lax.digamma;
  const y0 = lax.div(lax.sub(lax.sub(lax.sub(lax.add(psi(np.onesLike(x)), psi(lax.add(e, 1))), psi(lax.add(a, d1))), psi(lax.add(b, d1))), logS), gamma(lax.add(e, 1)));
  const p0 = lax.div(lax.mul(lax.mul(lax.add(a, d1), lax.add(b, d1)), s), gamma(lax.add(e, 2)));
  // terms while |q| ≥ eps·|y| (a NaN stops it), at most 249
  const [y] = lax.foriLoop(1, MAX_TERMS, (i: Value, [yy, p, q, running]: [Value, Value, Value, Value]): [Value, Value, Value, Value] => {
    const t = lax.convert(i, x.dtype);
    const go = np.logicalAnd(running, np.greaterEqual(lax.abs(q), lax.mul(lax.abs(yy), eps)));
    const gains = lax.add(psi(lax.add(t, 1)), psi(lax.add(lax.add(t, 1), e)));
    const losses = lax.add(lax.add(psi(lax.add(lax.add(a, t), d1)), psi(lax.add(lax.add(b, t), d1))), logS);
    const r = lax.sub(gains, losses);
    const qn = lax.mul(p, r);
    const pn = lax.mul(lax.div(lax.mul(lax.mul(p, s), lax.add(lax.add(a, t), d1)), lax.add(t, 1)), lax.div(lax.add(lax.add(b, t), d1), lax.add(lax.add(t, 1), e)));
    return [np.where(go, lax.add(yy, qn), yy), np.where(go, pn, p), np.where(go, qn, q), go];
  }, [y0, p0, y0, np.onesLike(x).astype("bool")] as [Value, Value, Value, Value]);
  // the finite sum of |d| − 1 terms that the integer d adds (up to 250)
  const [y1] = lax.foriLoop(1, MAX_TERMS + 1, (i: Value, [acc, p]: [Value, Value]): [Value, Value] => {
    const t = lax.convert(i, x.dtype); // the loop's t after its increment
    const tm = lax.sub(t, 1);
    const go = np.less(t, ard);
    const pn = lax.div(lax.div(lax.mul(lax.mul(lax.mul(p, s), lax.add(lax.add(a, tm), d2)), lax.add(lax.add(b, tm), d2)), lax.add(lax.sub(1, e), tm)), t);
    return [np.where(go, lax.add(acc, pn), acc), np.where(go, pn, p)];
  }, [np.onesLike(x), np.onesLike(x)] as [Value, Value]);
  const gc = gamma(c);
  const y1s = lax.mul(y1, lax.div(lax.mul(gamma(e), gc), lax.mul(gamma(lax.add(a, d1)), gamma(lax.add(b, d1)))));
  let ys = lax.mul(y, lax.div(gc, lax.mul(gamma(lax.add(a, d2)), gamma(lax.add(b, d2)))));
  ys = np.where(np.equal(np.remainder(ard, 2), 1), lax.neg(ys), ys);
  const q = lax.pow(s, rd);
  const summed = np.where(np.greater(rd, 0), lax.add(lax.mul(ys, q), y1s), lax.add(ys, lax.mul(y1s, q)));
  return np.where(np.equal(rd, 0), lax.div(lax.mul(y, gc), lax.mul(gamma(a), gamma(b))), summed);
}

function taylorOrTransform(a: Value, b: Value, c: Value, x: Value): Value {
  const tol = epsOf(x) * 50;
  const d = lax.sub(lax.sub(c, a), b);
  const negInt = np.logicalOr(isNonPositiveInteger(a, tol), isNonPositiveInteger(b, tol));
  const integerD = np.less(lax.abs(lax.sub(d, np.round(d))), tol);
  const r = np.where(np.logicalAnd(np.logicalAnd(np.greater(x, 0.9), np.logicalNot(negInt)), integerD), digammaTransform(a, b, c, x), taylor(a, b, c, x));
  return np.where(np.logicalAnd(negInt, np.logicalNot(np.logicalAnd(np.greater(x, 0.9), np.logicalNot(negInt)))), terminating(a, b, c, x), r);
}

function hyp2f1Plain(a: Value, b: Value, c: Value, x: Value): Value {
  const tol = epsOf(x) * 50;
  const d = lax.sub(lax.sub(c, a), b);
  const s = lax.sub(1, x);
  const [ca, cb] = [lax.sub(c, a), lax.sub(c, b)];
  const integerD = np.less(lax.abs(lax.sub(d, np.round(d))), tol);
  const inf = np.fullLike(x, Infinity);
  const and = np.logicalAnd;
  const not = np.logicalNot;
  // JAX's cases, in its order of precedence (the first that holds decides)
  const cases: [Value, () => Value][] = [
    [np.logicalOr(np.equal(x, 0), and(np.logicalOr(np.equal(a, 0), np.equal(b, 0)), np.notEqual(c, 0))), () => np.onesLike(x)],
    [np.logicalOr(np.equal(c, 0), and(np.less(c, 0), np.equal(np.remainder(c, 1), 0))), () => inf],
    // c − a − b ≤ −1: Euler's transformation (1 − x)^{c−a−b}·₂F₁(c − a, c − b; c; x)
    [and(np.lessEqual(d, -1), not(and(not(integerD), np.less(s, 0)))), () => lax.mul(lax.pow(s, d), taylorOrTransform(ca, cb, c, x))],
    [and(np.lessEqual(d, 0), np.equal(x, 1)), () => inf],
    [and(np.less(x, 1), np.equal(b, c)), () => lax.pow(s, lax.neg(a))],
    [and(np.less(x, 1), np.equal(a, c)), () => lax.pow(s, lax.neg(b))],
    [np.greater(x, 1), () => inf],
    // Gauss's theorem at x = 1
    [np.equal(x, 1), () => lax.div(lax.mul(gamma(c), gamma(d)), lax.mul(gamma(ca), gamma(cb)))],
  ];
  let r = taylorOrTransform(a, b, c, x);
  for (const [cond, value] of cases.reverse()) r = np.where(cond, value(), r);
  return r;
}

// ∂/∂a = Σ (a)ₖ(b)ₖ/(c)ₖ·xᵏ/k!·(ψ(a + k) − ψ(a)), likewise b; ∂/∂c: ·(ψ(c) − ψ(c + k)); ∂/∂x = ab/c·₂F₁(a + 1, b + 1; c + 1; x)
function derivativeSeries(a: Value, b: Value, c: Value, x: Value, weight: (k: Value) => Value): Value {
  const ratio = (k: Value) => lax.mul(lax.div(lax.div(lax.mul(lax.add(a, k), lax.add(b, k)), lax.add(c, k)), lax.add(k, 1)), x);
  return convergedSeries(np.zerosLike(x), lax.mul(lax.div(lax.mul(a, b), c), x), ratio, weight, MAX_TERMS);
}
const hyp2f1Impl: (a: Value, b: Value, c: Value, x: Value) => Value = customJvp(hyp2f1Plain, ([a, b, c, x], [da, db, dc, dx]): [Value, Value] => {
  const psi = lax.digamma;
  const dA = derivativeSeries(a, b, c, x, (k) => lax.sub(psi(lax.add(a, k)), psi(a)));
  const dB = derivativeSeries(a, b, c, x, (k) => lax.sub(psi(lax.add(b, k)), psi(b)));
  const dC = derivativeSeries(a, b, c, x, (k) => lax.sub(psi(c), psi(lax.add(c, k))));
  const dX = lax.mul(lax.div(lax.mul(a, b), c), hyp2f1Impl(lax.add(a, 1), lax.add(b, 1), lax.add(c, 1), x));
  const tangent = lax.add(lax.add(lax.mul(da, dA), lax.mul(db, dB)), lax.add(lax.mul(dc, dC), lax.mul(dx, dX)));
  return [hyp2f1Impl(a, b, c, x), tangent];
});

/**
 * Gauss's hypergeometric function ₂F₁(a, b; c; x) = Σₖ (a)ₖ(b)ₖ/((c)ₖ·k!)·xᵏ for real arguments, as JAX's:
 * the Taylor series (a polynomial for a non-positive integer a or b), Euler's transformation for
 * c − a − b ≤ −1, the digamma series in 1 − x for x > 0.9 with an integer c − a − b, and Gauss's theorem at
 * x = 1; inf for a non-positive integer c, for x > 1, and at x = 1 when c − a − b ≤ 0. Up to 250 terms, so very
 * large parameters lose accuracy. Differentiable in a, b, c and x (the parameter derivatives by JAX's series,
 * which, as in JAX, do not follow the transformations).
 * @example
 * scipy.special.hyp2f1(1, 1, 2, np.array([0.5, -0.5])); // [1.3862944, 0.8109302]
 */
export function hyp2f1(a: ArrayLike, b: ArrayLike, c: ArrayLike, x: ArrayLike): Value {
  const op = "scipy.special.hyp2f1";
  const vs = floats(op, a, b, c, x);
  if (isComplexDType(vs[0].dtype)) throw new DTypeError(`${op}: a, b, c and x must be real, got ${vs[0].dtype} (as in JAX)`);
  return hyp2f1Impl(vs[0], vs[1], vs[2], vs[3]);
}

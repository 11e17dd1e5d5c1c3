/** `hyp1f1`: Kummer's confluent hypergeometric function ₁F₁(a; b; x), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import { DTypeError } from "../errors.js";
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { convergedSeries, floats, whereConst } from "./util.js";

const gammaRatio = (b: Value, a: Value) => lax.exp(lax.sub(lax.lgamma(b), lax.lgamma(a)));
const gammaSign = (x: Value) => {
  // Γ(x) < 0 between the poles −2k − 1 < x < −2k: the sign lgamma drops
  const fl = lax.floor(x);
  return np.where(np.logicalAnd(np.less(x, 0), np.equal(np.remainder(fl, 2), 1)), np.fullLike(x, -1), np.onesLike(x));
};

function hyp1f1Plain(a: Value, b: Value, x: Value): Value {
  // |x| < 100: the Taylor series Σ (a)ₖ/(b)ₖ·xᵏ/k! (Pearson, Olver and Porter 2017, §3.2)
  const taylor = convergedSeries(np.onesLike(x), lax.mul(lax.div(a, b), x), (k) => lax.div(lax.mul(lax.div(lax.add(a, k), lax.add(b, k)), x), lax.add(k, 1)), null);
  // |x| ≥ 100: Γ(b)/Γ(a)·eˣ·x^{a−b}·Σ (b − a)ₖ(1 − a)ₖ/(k!·xᵏ)
  const asymptoticSum = convergedSeries(
    np.onesLike(x),
    lax.div(lax.mul(lax.sub(b, a), lax.sub(1, a)), x),
    (k) => lax.div(lax.mul(lax.add(lax.sub(b, a), k), lax.add(lax.sub(1, a), k)), lax.mul(lax.add(k, 1), x)),
    null,
  );
  const gb = lax.mul(gammaRatio(b, a), lax.mul(gammaSign(b), gammaSign(a)));
  const asymptotic = lax.mul(lax.mul(lax.mul(gb, lax.exp(x)), lax.pow(x, lax.sub(a, b))), asymptoticSum);
  let r = np.where(np.less(lax.abs(x), 100), taylor, asymptotic);
  // JAX's conventions: 1 at a = 0 (also for b = 0, where SciPy differs), eˣ at a = b, inf at b = 0
  const aZero = np.equal(a, 0);
  r = np.where(np.logicalAnd(np.equal(a, b), np.logicalNot(aZero)), lax.exp(x), r);
  r = whereConst(np.logicalNot(np.logicalAnd(np.equal(b, 0), np.logicalNot(aZero))), r, Infinity);
  return whereConst(np.logicalNot(aZero), r, 1);
}

// ∂/∂a = Σ (a)ₖ/(b)ₖ·xᵏ/k!·(ψ(a + k) − ψ(a)), ∂/∂b = Σ …·(ψ(b) − ψ(b + k)), ∂/∂x = a/b·₁F₁(a + 1; b + 1; x)
function derivativeSeries(a: Value, b: Value, x: Value, weight: (k: Value) => Value): Value {
  return convergedSeries(np.zerosLike(x), lax.mul(lax.div(a, b), x), (k) => lax.div(lax.mul(lax.div(lax.add(a, k), lax.add(b, k)), x), lax.add(k, 1)), weight);
}
const hyp1f1Impl: (a: Value, b: Value, x: Value) => Value = customJvp(hyp1f1Plain, ([a, b, x], [da, db, dx]): [Value, Value] => {
  const dA = derivativeSeries(a, b, x, (k) => lax.sub(lax.digamma(lax.add(a, k)), lax.digamma(a)));
  const dB = derivativeSeries(a, b, x, (k) => lax.sub(lax.digamma(b), lax.digamma(lax.add(b, k))));
  const dX = lax.mul(lax.div(a, b), hyp1f1Impl(lax.add(a, 1), lax.add(b, 1), x));
  return [hyp1f1Impl(a, b, x), lax.add(lax.add(lax.mul(da, dA), lax.mul(db, dB)), lax.mul(dx, dX))];
});

/**
 * Kummer's confluent hypergeometric function ₁F₁(a; b; x) = Σₖ (a)ₖ/((b)ₖ·k!)·xᵏ for real a, b, x, as JAX's:
 * the Taylor series for |x| < 100 and the asymptotic series beyond (up to 250 terms each, so very large
 * parameters lose accuracy, in float32 sooner). JAX's conventions: 1 at a = 0 (also a = b = 0, unlike SciPy), eˣ at
 * a = b, inf at b = 0. Differentiable in a, b and x (JAX's series for the parameter derivatives).
 * @example
 * scipy.special.hyp1f1(np.array([1, 2]), np.array([1, 3]), np.array([2, 0.5])); // [7.3890561, 1.4051149]
 */
export function hyp1f1(a: ArrayLike, b: ArrayLike, x: ArrayLike): Value {
  const op = "scipy.special.hyp1f1";
  const vs = floats(op, a, b, x);
  if (isComplexDType(vs[0].dtype)) throw new DTypeError(`${op}: a, b and x must be real, got ${vs[0].dtype} (as in JAX)`);
  return hyp1f1Impl(vs[0], vs[1], vs[2]);
}

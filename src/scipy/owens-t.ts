/** `owensT`: Owen's T function, as JAX's `owens_t`. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { floats, whereConst } from "./util.js";

/** Gauss–Legendre nodes and weights on [0, 1], by Newton's method on the Legendre polynomial Pₙ. */
function gaussLegendre(n: number): [number[], number[]] {
  const nodes: number[] = [];
  const weights: number[] = [];
  for (let i = 1; i <= n; i++) {
    let x = Math.cos((Math.PI * (i - 0.25)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) [p0, p1] = [p1, ((2 * k - 1) * x * p1 - (k - 1) * p0) / k];
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-16) break;
    }
    nodes.push((1 - x) / 2);
    weights.push(1 / ((1 - x * x) * dp * dp));
  }
  return [nodes, weights];
}
const RULES = { float32: gaussLegendre(24), float64: gaussLegendre(64) };

// (1/2π)·∫₀ᵃ e^{−h²(1+x²)/2}/(1+x²) dx for 0 ≤ a ≤ 1, by Gauss–Legendre on x = a·u
function quadrature(h: Value, a: Value): Value {
  const [nodes, weights] = x64(h) ? RULES.float64 : RULES.float32;
  const hh = lax.mul(lax.mul(h, h), -0.5);
  let sum: Value = np.zerosLike(h);
  nodes.forEach((u, i) => {
    const q = lax.add(1, lax.mul(lax.mul(a, a), u * u));
    sum = lax.add(sum, lax.mul(weights[i], lax.div(lax.exp(lax.mul(hh, q)), q)));
  });
  return lax.mul(lax.mul(a, sum), 1 / (2 * Math.PI));
}
const x64 = (v: Value) => v.dtype === "float64";

function owensTPlain(hIn: Value, aIn: Value): Value {
  const h = lax.abs(hIn);
  const A = lax.abs(aIn);
  // |a| > 1: T(h, a) = ¼(1 − erf(h/√2)·erf(ah/√2)) − T(ah, 1/a) (Owen), in the erfc form for large ah
  const recip = np.greater(A, 1);
  const hZero = np.equal(h, 0);
  const ar = np.where(recip, lax.reciprocal(A), A);
  const hr = np.where(hZero, np.zerosLike(h), np.where(recip, lax.mul(A, h), h));
  const t = quadrature(np.where(np.isfinite(hr), hr, np.zerosLike(hr)), ar);
  const tq = np.where(np.isfinite(hr), t, np.zerosLike(t));
  const s = Math.SQRT1_2;
  const ah = lax.mul(A, h);
  const nh = lax.erfc(lax.mul(h, s));
  const nah = lax.erfc(lax.mul(ah, s));
  const near = lax.sub(0.25, lax.mul(lax.mul(lax.erf(lax.mul(h, s)), lax.erf(lax.mul(ah, s))), 0.25));
  const far = lax.mul(lax.sub(lax.add(nh, nah), lax.mul(nh, nah)), 0.25);
  let r = np.where(recip, lax.sub(np.where(np.lessEqual(ah, 0.67), near, far), tq), tq);
  r = np.where(hZero, lax.div(lax.atan(A), 2 * Math.PI), r);
  r = np.where(np.less(aIn, 0), lax.neg(r), np.where(np.equal(aIn, 0), np.zerosLike(r), r));
  return whereConst(np.logicalNot(np.logicalOr(np.isnan(hIn), np.isnan(aIn))), r, NaN);
}

// ∂T/∂h = −e^{−h²/2}·erf(ah/√2)/(2√(2π)), ∂T/∂a = e^{−(1+a²)h²/2}/(2π(1+a²)), as JAX's rule
const owensTImpl: (h: Value, a: Value) => Value = customJvp(owensTPlain, ([h, a], [dh, da]): [Value, Value] => {
  const h2 = lax.mul(h, h);
  const a2 = lax.add(lax.mul(a, a), 1);
  const dT = lax.div(lax.mul(lax.neg(lax.exp(lax.mul(h2, -0.5))), lax.erf(lax.mul(lax.mul(a, h), Math.SQRT1_2))), 2 * Math.sqrt(2 * Math.PI));
  const dA = lax.div(lax.exp(lax.mul(lax.mul(a2, h2), -0.5)), lax.mul(a2, 2 * Math.PI));
  return [owensTPlain(h, a), lax.add(lax.mul(dT, dh), lax.mul(dA, da))];
});

/**
 * Owen's T function T(h, a) = (1/2π)·∫₀ᵃ e^{−h²(1+x²)/2}/(1+x²) dx (JAX's `owens_t`): even in h,
 * odd in a, atan(a)/2π at h = 0. Differentiable in both arguments.
 * @example
 * scipy.special.owensT(np.array([0, 1]), np.array([1, 0.5])); // [0.125, 0.04306469]
 */
export function owensT(h: ArrayLike, a: ArrayLike): Value {
  const [hv, av] = floats("scipy.special.owensT", h, a);
  return owensTImpl(hv, av);
}

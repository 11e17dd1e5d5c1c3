/** `sici`: the sine and cosine integrals Si(x) and Ci(x), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { complexContinuedFraction, floats, splitAtCut, whereConst } from "./util.js";

const EULER_GAMMA = 0.5772156649015329;
const CUT = 4;

// |x| ≤ 4: Si = Σ (−1)ᵏ x^{2k+1}/((2k+1)(2k+1)!), Ci = γ + log x + Σ_{k≥1} (−1)ᵏ x^{2k}/(2k·(2k)!)
function series(x: Value, terms: number): [Value, Value] {
  let term: Value = x; // (−1)ᵏ x^{2k+1}/(2k+1)!
  let si: Value = x;
  let even: Value = np.onesLike(x); // (−1)ᵏ x^{2k}/(2k)!
  let ci: Value = np.zerosLike(x);
  for (let k = 1; k < terms; k++) {
    even = lax.mul(term, lax.div(lax.neg(x), 2 * k));
    ci = lax.add(ci, lax.div(even, 2 * k));
    term = lax.mul(even, lax.div(x, 2 * k + 1));
    si = lax.add(si, lax.div(term, 2 * k + 1));
  }
  return [si, lax.add(lax.add(ci, lax.log(x)), EULER_GAMMA)];
}

// x > 4: E₁(ix) = −Ci(x) + i(Si(x) − π/2), with E₁(z) = e^{−z}/(z+1 − 1²/(z+3 − 2²/(z+5 − …)))
// evaluated bottom-up in real and imaginary parts
function fraction(x: Value, depth: number): [Value, Value] {
  const [re, im] = complexContinuedFraction(x, (j) => 2 * j + 1, (j) => j * j, depth);
  // E₁ = (cos x − i·sin x)·conj(t)/|t|²
  const m = lax.add(lax.mul(re, re), lax.mul(im, im));
  const c = lax.cos(x);
  const s = lax.sin(x);
  const eRe = lax.div(lax.sub(lax.mul(c, re), lax.mul(s, im)), m);
  const eIm = lax.div(lax.neg(lax.add(lax.mul(c, im), lax.mul(s, re))), m);
  return [lax.add(Math.PI / 2, eIm), lax.neg(eRe)];
}

function siciPlain(x: Value): [Value, Value] {
  const f64 = x.dtype === "float64";
  const { big, finite, small: xs, large: xb } = splitAtCut(x, CUT);
  const [siS, ciS] = series(xs, f64 ? 22 : 12);
  const [siB, ciB] = fraction(xb, f64 ? 90 : 40);
  let si = np.where(big, np.where(finite, siB, np.full(x.shape, Math.PI / 2, { dtype: x.dtype })), siS);
  let ci = np.where(big, np.where(finite, ciB, np.zerosLike(x)), ciS);
  // Si is odd; Ci(−x) is Ci(|x|) (JAX's real part), Ci(0) = −inf, Ci(−inf) NaN as in JAX
  si = np.where(np.less(x, 0), lax.neg(si), np.where(np.equal(x, 0), x, si));
  ci = whereConst(np.notEqual(x, 0), ci, -Infinity);
  ci = whereConst(np.notEqual(x, -Infinity), ci, NaN);
  const nan = np.isnan(x);
  return [np.where(nan, x, si), np.where(nan, x, ci)];
}

// Si′ = sin x/x (1 at 0), Ci′ = cos x/x
const siciImpl: (x: Value) => [Value, Value] = customJvp(siciPlain, ([x], [dx]): [[Value, Value], [Value, Value]] => {
  const zero = np.equal(x, 0);
  const safe = np.where(zero, np.onesLike(x), x);
  const sinc = np.where(zero, np.onesLike(x), lax.div(lax.sin(safe), safe));
  return [siciPlain(x), [lax.mul(dx, sinc), lax.mul(dx, lax.div(lax.cos(x), x))]];
});

/**
 * The sine and cosine integrals `[Si(x), Ci(x)]`: Si(x) = ∫₀ˣ sin t/t dt,
 * Ci(x) = γ + log x + ∫₀ˣ (cos t − 1)/t dt. As in JAX, Ci(−x) = Ci(x) (the real part), Ci(−inf) is NaN.
 * @example
 * const [si, ci] = scipy.special.sici(np.array([1, 2])); // si [0.9460831, 1.6054130], ci [0.3374039, 0.4229808]
 */
export function sici(x: ArrayLike): [Value, Value] {
  return siciImpl(floats("scipy.special.sici", x)[0]);
}

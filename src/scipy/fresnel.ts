/** `fresnel`: the Fresnel integrals S(x) and C(x), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { complexContinuedFraction, floats, splitAtCut } from "./util.js";

const CUT = 1.6;

// |x| ≤ 1.6, with t = πx²/2: C = x·Σ (−1)ᵏ t^{2k}/((2k)!(4k+1)), S = x·Σ (−1)ᵏ t^{2k+1}/((2k+1)!(4k+3))
function series(x: Value, terms: number): [Value, Value] {
  const t = lax.mul(lax.mul(x, x), Math.PI / 2);
  let p: Value = np.onesLike(x); // (−1)^⌊j/2⌋ tʲ/j!
  let c: Value = np.onesLike(x);
  let s: Value = np.zerosLike(x);
  for (let j = 1; j < 2 * terms; j++) {
    p = lax.mul(p, lax.div(t, j));
    if (j % 2 === 1) {
      const signed = (j - 1) / 2 % 2 === 0 ? p : lax.neg(p);
      s = lax.add(s, lax.div(signed, 2 * j + 1));
    } else {
      const signed = (j / 2) % 2 === 0 ? p : lax.neg(p);
      c = lax.add(c, lax.div(signed, 2 * j + 1));
    }
  }
  return [lax.mul(x, s), lax.mul(x, c)];
}

// x > 1.6: C + iS = (1+i)/2·erf(z), z = (√π/2)(1−i)x, and erfc(z) = (2z/√π)·e^{−z²}/T with the even
// continued fraction T = 2z²+1 − 1·2/(2z²+5 − 3·4/(2z²+9 − …)); here 2z² = −2it, e^{−z²} = e^{it},
// so C + iS = ½(1+i) − x·e^{it}/T
function fraction(x: Value, depth: number): [Value, Value] {
  const t = lax.mul(lax.mul(x, x), Math.PI / 2);
  const im0 = lax.mul(t, -2);
  const [re, im] = complexContinuedFraction(im0, (j) => 4 * j + 1, (j) => (2 * j - 1) * (2 * j), depth);
  // e^{it}/T = (cos t + i sin t)·conj(T)/|T|²
  const m = lax.add(lax.mul(re, re), lax.mul(im, im));
  const c = lax.cos(t);
  const s = lax.sin(t);
  const qRe = lax.div(lax.add(lax.mul(c, re), lax.mul(s, im)), m);
  const qIm = lax.div(lax.sub(lax.mul(s, re), lax.mul(c, im)), m);
  return [lax.sub(0.5, lax.mul(x, qIm)), lax.sub(0.5, lax.mul(x, qRe))];
}

function fresnelPlain(x: Value): [Value, Value] {
  const f64 = x.dtype === "float64";
  const { big, finite, small: xs, large: xb } = splitAtCut(x, CUT);
  const [sS, cS] = series(xs, f64 ? 16 : 9);
  const [sB, cB] = fraction(xb, f64 ? 120 : 50);
  const half = np.full(x.shape, 0.5, { dtype: x.dtype });
  const odd = (small: Value, large: Value) => {
    const r = np.where(big, np.where(finite, large, half), small);
    return np.where(np.less(x, 0), lax.neg(r), np.where(np.isnan(x), x, np.where(np.equal(x, 0), x, r)));
  };
  return [odd(sS, sB), odd(cS, cB)];
}

// S′ = sin(πx²/2), C′ = cos(πx²/2)
const fresnelImpl: (x: Value) => [Value, Value] = customJvp(fresnelPlain, ([x], [dx]): [[Value, Value], [Value, Value]] => {
  const t = lax.mul(lax.mul(x, x), Math.PI / 2);
  return [fresnelPlain(x), [lax.mul(dx, lax.sin(t)), lax.mul(dx, lax.cos(t))]];
});

/**
 * The Fresnel integrals `[S(x), C(x)]` = [∫₀ˣ sin(πt²/2) dt, ∫₀ˣ cos(πt²/2) dt] (odd; ½ at inf).
 * @example
 * const [s, c] = scipy.special.fresnel(np.array([1, 2])); // s [0.43825915, 0.34341568], c [0.7798934, 0.48825341]
 */
export function fresnel(x: ArrayLike): [Value, Value] {
  return fresnelImpl(floats("scipy.special.fresnel", x)[0]);
}

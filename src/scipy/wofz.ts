/** `wofz`: the Faddeeva function w(z) = e^{−z²}·erfc(−iz), as JAX's (Weideman's rational approximation). */
import type { ArrayLike } from "../array-methods.js";
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { promoteInexact } from "../numpy/util.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";

// Weideman (SIAM J. Numer. Anal. 31, 1994): for Im z ≥ 0, w(z) ≈ 2·p(Z)/(L − iz)² + 1/(√π·(L − iz)) with
// Z = (L + iz)/(L − iz) and p a polynomial of degree N − 1 whose coefficients are the Fourier coefficients of
// (L² + t²)·e^{−t²} under t = L·tan(θ/2). They are computed here, once, by a discrete Fourier transform on
// 4N points, rather than pasted from a table.
const N = 32;
const L = Math.sqrt(N / Math.SQRT2);

/** p's coefficients, highest degree first (for Horner's rule). */
function weidemanCoefficients(): number[] {
  const M = 2 * N;
  const points = 2 * M;
  // f(θ_k) at θ_k = kπ/M for k = −M+1 … M−1, preceded by a 0 for k = −M (where t is infinite), then shifted so
  // that k = 0 comes first (the transform's origin)
  const f: number[] = [0];
  for (let k = -M + 1; k < M; k++) {
    const t = L * Math.tan((k * Math.PI) / M / 2);
    f.push(Math.exp(-t * t) * (L * L + t * t));
  }
  const shifted = f.map((_, j) => f[(j + M) % points]);
  const coefficients: number[] = [];
  for (let q = 1; q <= N; q++) {
    let re = 0;
    for (let j = 0; j < points; j++) re += shifted[j] * Math.cos((2 * Math.PI * j * q) / points);
    coefficients.push(re / points);
  }
  return coefficients.reverse();
}
const COEFFICIENTS = weidemanCoefficients();

// Complex arithmetic on [re, im] pairs of real arrays: the fused kernels then share each part, where complex
// operations inlined into one another would copy their operands at every one of Horner's 32 steps.
type Pair = [Value, Value];
const mul = ([a, b]: Pair, [c, d]: Pair): Pair => [lax.sub(lax.mul(a, c), lax.mul(b, d)), lax.add(lax.mul(a, d), lax.mul(b, c))];
const div = ([a, b]: Pair, [c, d]: Pair): Pair => {
  const m = lax.add(lax.mul(c, c), lax.mul(d, d));
  return [lax.div(lax.add(lax.mul(a, c), lax.mul(b, d)), m), lax.div(lax.sub(lax.mul(b, c), lax.mul(a, d)), m)];
};

// the upper half-plane: Im z ≥ 0
function wofzUpper([re, im]: Pair): Pair {
  const denom: Pair = [lax.add(im, L), lax.neg(re)]; // L − iz
  const big = div([lax.sub(L, im), re], denom); // (L + iz)/(L − iz)
  let p: Pair = [np.fullLike(re, COEFFICIENTS[0]), np.zerosLike(re)];
  for (let j = 1; j < COEFFICIENTS.length; j++) {
    const [a, b] = mul(p, big);
    p = [lax.add(a, COEFFICIENTS[j]), b];
  }
  const [a, b] = div(p, mul(denom, denom));
  const [c, d] = div([np.fullLike(re, 1 / Math.sqrt(Math.PI)), np.zerosLike(re)], denom);
  return [lax.add(lax.mul(a, 2), c), lax.add(lax.mul(b, 2), d)];
}

// the lower half-plane by the reflection w(z) = 2e^{−z²} − w(−z)
function wofzPlain(z: Value): Value {
  const [re, im] = [lax.real(z), lax.imag(z)];
  const upper = np.greaterEqual(im, 0);
  const flip = (v: Value) => np.where(upper, v, lax.neg(v));
  const [wr, wi] = wofzUpper([flip(re), flip(im)]);
  // 2e^{−z²} = 2e^{y² − x²}·(cos(−2xy) + i sin(−2xy))
  const scale = lax.mul(lax.exp(lax.sub(lax.mul(im, im), lax.mul(re, re))), 2);
  const angle = lax.mul(lax.mul(re, im), -2);
  const lower: Pair = [lax.sub(lax.mul(scale, lax.cos(angle)), wr), lax.sub(lax.mul(scale, lax.sin(angle)), wi)];
  return lax.complex(np.where(upper, wr, lower[0]), np.where(upper, wi, lower[1]));
}

// w′(z) = −2z·w(z) + 2i/√π
const wofzImpl: (z: Value) => Value = customJvp(wofzPlain, ([z], [dz]): [Value, Value] => {
  const w = wofzPlain(z);
  const re = lax.real(z);
  const twoIOverSqrtPi = lax.complex(np.zerosLike(re), np.fullLike(re, 2 / Math.sqrt(Math.PI)));
  return [w, lax.mul(dz, lax.add(lax.mul(lax.mul(z, w), -2), twoIOverSqrtPi))];
});

/**
 * The Faddeeva function w(z) = e^{−z²}·erfc(−iz), complex in and out (a real input becomes complex:
 * float32 → complex64, float64 → complex128), as JAX's: Weideman's rational approximation in the upper
 * half-plane and the reflection 2e^{−z²} − w(−z) below it. Holomorphic: jvp and grad follow w′ = −2zw + 2i/√π.
 * @example
 * scipy.special.wofz(lax.complex(np.array([0, 1]), np.array([0, 1]))); // [1+0j, 0.30474420+0.20821894j]
 */
export function wofz(z: ArrayLike): Value {
  const [v] = promoteInexact("scipy.special.wofz", [z]);
  return wofzImpl(isComplexDType(v.dtype) ? v : lax.complex(v, np.zerosLike(v)));
}

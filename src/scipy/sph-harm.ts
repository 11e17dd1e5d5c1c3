/** `sphHarmY`: the spherical harmonics Yₙᵐ(θ, φ), as JAX's `sph_harm_y`. */
import { optionsArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError } from "../errors.js";
import { complexOf } from "../dtype.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { concreteValues } from "../numpy/concrete.js";
import { asValue, broadcastAll, promoteInexact } from "../numpy/util.js";
import type { Value } from "../trace/core.js";

/** The static option of {@link sphHarmY}. */
export interface SphHarmYOptions {
  /** The highest degree, max(n) (JAX's `n_max`): static, so required where n is traced (under jit or vmap). */
  nMax?: number;
}

/**
 * The normalized associated Legendre function P̄ₙᵐ(x) (with the Condon–Shortley phase and the 1/√(4π) of
 * the harmonics) for integer-valued order `order` ≥ 0 and degree `degree`, both already within [0, nMax]:
 * the diagonal P̄ₘᵐ = (1/(2√π))·Π_{i ≤ m} (−√(1 + 1/(2i)))·(1 − x²)^{m/2}, then the degree recurrence
 * P̄ₗᵐ = d₀·x·P̄ₗ₋₁ᵐ − d₁·P̄ₗ₋₂ᵐ, run for every element up to the static nMax and read off at l = degree.
 */
function normalizedLegendre(order: Value, degree: Value, x: Value, nMax: number): Value {
  const y = lax.sqrt(lax.sub(1, lax.mul(x, x)));
  const m2 = lax.mul(order, order);
  let diagonal: Value = np.fullLike(x, 0.5 / Math.sqrt(Math.PI));
  let [prev2, prev1]: Value[] = [np.zerosLike(x), np.zerosLike(x)];
  let result: Value = np.zerosLike(x);
  for (let l = 0; l <= nMax; l++) {
    if (l > 0) diagonal = lax.mul(diagonal, lax.mul(y, -Math.sqrt(1 + 0.5 / l)));
    const above = np.greater(order, l + 0.5); // l < m: P̄ₗᵐ = 0 below the diagonal
    const onDiagonal = np.equal(order, l);
    // l > m: d₀ = √((4l² − 1)/(l² − m²)), d₁ = √((2l + 1)((l − 1)² − m²)/((2l − 3)(l² − m²)))
    const gap = np.where(np.logicalOr(above, onDiagonal), np.onesLike(x), lax.sub(l * l, m2));
    const d0 = lax.sqrt(lax.div(Math.max(4 * l * l - 1, 0), gap));
    const d1sq = lax.div(lax.mul(lax.sub((l - 1) * (l - 1), m2), 2 * l + 1), lax.mul(gap, 2 * l - 3));
    const d1 = lax.sqrt(lax.max(d1sq, np.zerosLike(x))); // 0 at l = m + 1, where (l − 1)² = m²
    const recurred = lax.sub(lax.mul(lax.mul(d0, x), prev1), lax.mul(d1, prev2));
    const value = np.where(above, np.zerosLike(x), np.where(onDiagonal, diagonal, recurred));
    result = np.where(np.equal(degree, l), value, result);
    [prev2, prev1] = [prev1, value];
  }
  return result;
}

/**
 * The spherical harmonics Yₙᵐ(θ, φ) = √((2n + 1)(n − m)!/(4π(n + m)!))·Pₙᵐ(cos θ)·e^{imφ} of degree n and
 * order m (integer arrays) at colatitude θ ∈ [0, π] and longitude φ, as JAX's `sph_harm_y(n, m, theta, phi,
 * n_max=…)`: complex64 (complex128 for float64 angles); the four arguments broadcast together. As in JAX,
 * |m| > n gives 0, and degrees and orders are read from a table of size nMax + 1 (a negative n counts from its
 * end, anything beyond is clipped), so results for n < 0 or n > nMax are JAX's, not mathematical ones.
 * Differentiable in θ and φ. `nMax` defaults to max(n), which must then be concrete.
 * @example
 * scipy.special.sphHarmY(np.array([1, 2]), np.array([1, -1]), np.array([1, 2]), np.array([0.5, 1.5]));
 * // [-0.25513370-0.13938018j, -0.02067884+0.29160098j]
 */
export function sphHarmY(n: ArrayLike, m: ArrayLike, theta: ArrayLike, phi: ArrayLike, options: SphHarmYOptions = {}): Value {
  const op = "scipy.special.sphHarmY";
  const nv = asValue(n, op);
  const mv = asValue(m, op);
  let nMax = optionsArg(op, options).nMax;
  if (nMax === undefined) {
    const ns = concreteValues(op, "n", nv, "pass the highest degree as a static option: sphHarmY(n, m, theta, phi, { nMax: 4 })");
    nMax = ns.length ? Math.max(...Array.from(ns)) : 0;
  }
  if (!Number.isInteger(nMax) || nMax < 0) throw new ArgumentError(`${op}: nMax must be a non-negative integer, got ${nMax}; pass the highest degree in n`);
  const [t, p] = promoteInexact(op, [theta, phi]);
  const [nb, mb, tb, pb] = broadcastAll(op, [nv, mv, t, p]);
  const dtype = tb.dtype;
  const absM = lax.abs(lax.convert(mb, dtype));
  const nf = lax.convert(nb, dtype);
  // table indices as JAX reads them: a negative degree counts from the end, then both are clipped to [0, nMax]
  const degree = np.clip(np.where(np.less(nf, 0), lax.add(nf, nMax + 1), nf), 0, nMax);
  const order = np.clip(absM, 0, nMax);
  const legendre = normalizedLegendre(order, degree, lax.cos(tb), nMax);
  const angle = lax.mul(absM, pb);
  const harmonic = lax.complex(lax.mul(legendre, lax.cos(angle)), lax.mul(legendre, lax.sin(angle)));
  // negative orders: Yₙ⁻ᵐ = (−1)ᵐ·conj(Yₙᵐ)
  const sign = np.where(np.equal(np.remainder(absM, 2), 1), np.fullLike(absM, -1), np.onesLike(absM));
  const negative = lax.mul(lax.conj(harmonic), lax.complex(sign, np.zerosLike(sign)));
  const out = np.where(np.less(mb, 0), negative, harmonic);
  return out.dtype === complexOf(dtype) ? out : lax.convert(out, complexOf(dtype));
}

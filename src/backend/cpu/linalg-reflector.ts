/**
 * The Householder reflector the CPU's QR routines (unblocked and blocked) share: making one, and applying it.
 * Float64 storage, or float32 for the blocked float32 QR (the arithmetic is JavaScript's double either way;
 * float32 storage rounds each stored element, as LAPACK's sgeqrf).
 */
import type { Work } from "./linalg-blocked.js";

/**
 * Makes column j of `a` (column-major, m rows, the column at offset cj) a
 * Householder reflector in place, as LAPACK's larfg: β on the diagonal and v
 * below it (v's leading 1 implicit); returns τ of H = I − τ·v·vᵀ, 0 where
 * there is nothing to reflect. `xnorm` = ‖a[j+1.., j]‖, computed by the caller.
 */
export function householderReflector(a: Work, cj: number, j: number, m: number, xnorm: number): number {
  if (xnorm === 0) return 0;
  const alpha = a[cj + j];
  const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
  const scale = 1 / (alpha - beta);
  for (let i = j + 1; i < m; i++) a[cj + i] *= scale;
  a[cj + j] = beta;
  return (beta - alpha) / beta;
}

/**
 * Applies H = I − τ·v·vᵀ (the reflector stored in column j at offset cj, as
 * `householderReflector` left it) to columns c0 … c1 − 1 of `a`, rows j … m − 1.
 */
export function applyReflector(a: Work, cj: number, j: number, m: number, tau: number, c0: number, c1: number): void {
  for (let c = c0; c < c1; c++) {
    const cc = c * m;
    let s = a[cc + j];
    for (let i = j + 1; i < m; i++) s += a[cj + i] * a[cc + i];
    s *= tau;
    a[cc + j] -= s;
    for (let i = j + 1; i < m; i++) a[cc + i] -= s * a[cj + i];
  }
}

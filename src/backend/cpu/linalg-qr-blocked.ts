/**
 * Blocked Householder QR for large matrices on the CPU (linalg.ts's qr
 * routine takes it from QR_BLOCKED_MIN_K on): panels of NB columns are
 * factored with plain reflectors, and each panel's NB reflectors are applied
 * to the rest of the matrix at once in the compact WY form
 * H_0 ⋯ H_{nb−1} = I − V·T·Vᵀ (T upper triangular, nb×nb), as three matrix
 * products where the unblocked algorithm makes nb passes over the trailing
 * matrix. Q is formed the same way, panel by panel, last panel first.
 *
 * The same factors as householderQr (linalg.ts): the same reflectors, LAPACK's
 * sign convention, column-major (element (i, j) at a[j·m + i]), with the
 * products through gemmSub (linalg-blocked.ts). A column-major matrix is the
 * row-major view of its transpose, so every product is written on transposes:
 * X ← X·(I − V·T·Vᵀ)ᵀ for X = Aᵀ.
 *
 * Float64 storage keeps float64's rounding (the products are JavaScript
 * loops). Float32 storage (a float32 input) stays in float32 as LAPACK's
 * sgeqrf does: A, Q, V and the products' W live in Float32Arrays, so the two
 * products per panel that carry almost all the work go through the Wasm SIMD
 * float32 matmul; the panels, T (nb×nb, kept in float64) and W·T are
 * JavaScript loops over the float32 values.
 */
import { gemmSub, type Work } from "./linalg-blocked.js";
import { applyReflector, householderReflector } from "./linalg-reflector.js";

/** Panel width. */
export const QR_NB = 32;

/** How many of the blocked QR's products the Wasm SIMD kernel computed (float32 only): the tests' proof that it ran. */
export const qrBlockedCounts = { simdProducts: 0 };

const like = (a: Work, length: number): Work => (a instanceof Float32Array ? new Float32Array(length) : new Float64Array(length));

/**
 * Householder QR of the column-major m×n `a`, blocked: as householderQr
 * (linalg.ts), `a` ends holding R in its upper triangle (and the reflectors
 * below), and `q` (column-major, m × cols) Q's first `cols` columns.
 */
export function householderQrBlocked(a: Work, m: number, n: number, cols: number, q: Work): void {
  const k = Math.min(m, n);
  const taus = new Float64Array(k);
  const nb = QR_NB;
  const panels: { k0: number; kb: number; t: Float64Array }[] = [];
  const w = like(a, Math.max(n, cols) * nb);
  for (let k0 = 0; k0 < k; k0 += nb) {
    const kb = Math.min(nb, k - k0);
    const end = k0 + kb;
    // the panel, unblocked: reflectors reach the panel's own columns only
    for (let j = k0; j < end; j++) {
      const cj = j * m;
      // ‖a[j+1.., j]‖, scaled against overflow (one division per element, where hypot costs far more)
      let big = 0;
      for (let i = j + 1; i < m; i++) big = Math.max(big, Math.abs(a[cj + i]));
      let xnorm = big;
      if (big > 0 && Number.isFinite(big)) {
        let ss = 0;
        for (let i = j + 1; i < m; i++) {
          const r = a[cj + i] / big;
          ss += r * r;
        }
        xnorm = big * Math.sqrt(ss);
      }
      const tau = (taus[j] = householderReflector(a, cj, j, m, xnorm));
      if (tau === 0) continue;
      applyReflector(a, cj, j, m, tau, j + 1, end);
    }
    const t = formT(a, m, k0, kb, taus);
    panels.push({ k0, kb, t });
    if (end < n) applyBlock(a, m, k0, kb, t, end, n, true, w);
  }
  // Q = (I − V₀T₀V₀ᵀ)⋯ applied to [I; 0], last panel first; columns c < k0 are still e_c then and stay so
  q.fill(0);
  for (let i = 0; i < Math.min(m, cols); i++) q[i * m + i] = 1;
  for (let p = panels.length - 1; p >= 0; p--) {
    const { k0, kb, t } = panels[p];
    if (k0 < cols) applyBlock(a, m, k0, kb, t, k0, cols, false, w, q);
  }
}

/** The panel's reflectors as V (explicit: unit diagonal, zeros above) in rows of length r = m − k0: V's columns, i.e. Vᵀ row-major. */
function panelVt(a: Work, m: number, k0: number, kb: number): Work {
  const r = m - k0;
  const vt = like(a, kb * r);
  for (let j = 0; j < kb; j++) {
    const cj = (k0 + j) * m + k0;
    vt[j * r + j] = 1;
    for (let i = j + 1; i < r; i++) vt[j * r + i] = a[cj + i];
  }
  return vt;
}

/** T (kb×kb upper triangular, row-major) with H_{k0} ⋯ H_{k0+kb−1} = I − V·T·Vᵀ: T[:j, j] = −τ_j·T[:j, :j]·(V[:, :j]ᵀ·v_j). */
function formT(a: Work, m: number, k0: number, kb: number, taus: Float64Array): Float64Array {
  const vt = panelVt(a, m, k0, kb);
  const r = m - k0;
  const t = new Float64Array(kb * kb);
  const z = new Float64Array(kb);
  for (let j = 0; j < kb; j++) {
    const tau = taus[k0 + j];
    t[j * kb + j] = tau;
    if (tau === 0) continue;
    for (let i = 0; i < j; i++) {
      let s = 0;
      for (let p = j; p < r; p++) s += vt[i * r + p] * vt[j * r + p]; // v_j is zero above row j
      z[i] = s;
    }
    for (let i = 0; i < j; i++) {
      let s = 0;
      for (let p = i; p < j; p++) s += t[i * kb + p] * z[p];
      t[i * kb + j] = -tau * s;
    }
  }
  return t;
}

/**
 * Columns [c0, c1) of X (column-major, rows k0.. of leading dimension m: `dst`, or `a` itself) ←
 * Hᵀ·X for H = H_{k0} ⋯ H_{k0+kb−1} = I − V·T·Vᵀ when `forward` (the factorization: the reflectors first
 * to last), or H·X (forming Q: last to first). On transposes, where the rows are contiguous:
 * Xᵀ ← Xᵀ·H = Xᵀ − (Xᵀ·V)·T·Vᵀ (forward), Xᵀ ← Xᵀ·Hᵀ = Xᵀ − (Xᵀ·V)·Tᵀ·Vᵀ.
 */
function applyBlock(a: Work, m: number, k0: number, kb: number, t: Float64Array, c0: number, c1: number, forward: boolean, w: Work, dst: Work = a): void {
  const r = m - k0;
  const nc = c1 - c0;
  const vt = panelVt(a, m, k0, kb);
  // V row-major (r × kb)
  const v = like(a, r * kb);
  for (let j = 0; j < kb; j++) for (let i = 0; i < r; i++) v[i * kb + j] = vt[j * r + i];
  // W = −Xᵀ·V (nc × kb): gemmSub subtracts from zero
  w.fill(0, 0, nc * kb);
  if (gemmSub(w, 0, kb, dst, c0 * m + k0, m, v, 0, kb, nc, kb, r)) qrBlockedCounts.simdProducts++;
  // W ← W·T (forward) or W·Tᵀ, row by row (T upper triangular)
  const row = new Float64Array(kb);
  for (let i = 0; i < nc; i++) {
    const o = i * kb;
    for (let j = 0; j < kb; j++) {
      let s = 0;
      if (forward) for (let p = 0; p <= j; p++) s += w[o + p] * t[p * kb + j]; // Σ_{p ≤ j} W[p]·T[p][j]
      else for (let p = j; p < kb; p++) s += w[o + p] * t[j * kb + p]; // Σ_{p ≥ j} W[p]·T[j][p]
      row[j] = s;
    }
    for (let j = 0; j < kb; j++) w[o + j] = row[j];
  }
  // Xᵀ −= (−W)·Vᵀ: W negated, then gemmSub
  for (let i = 0; i < nc * kb; i++) w[i] = -w[i];
  if (gemmSub(dst, c0 * m + k0, m, w, 0, kb, vt, 0, r, nc, r, kb)) qrBlockedCounts.simdProducts++;
}

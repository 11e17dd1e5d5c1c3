/**
 * LAPACK's balancing of a general matrix before its eigendecomposition, as
 * geev does (gebal with job "B", and gebak for the eigenvectors): used by
 * the real and the complex eig routines (linalg-eig.ts,
 * linalg-complex-spectral.ts). Balancing leaves the eigenvalues alone but
 * improves their accuracy for badly scaled matrices, and the permutations
 * decide where isolated eigenvalues come in LAPACK's order.
 */
import type { CMat } from "./linalg-eig.js";

const EPS = 2 ** -52;

/**
 * LAPACK's gebal ("B": permute and scale) on the n×n row-major complex `a`
 * (im may be all zero), in place. Returns [ilo, ihi] (the rows and columns
 * outside ilo..ihi hold isolated eigenvalues) and `scale`: for i outside,
 * the index it was swapped with; inside, the power-of-2 factor d_i with
 * a ← D⁻¹·a·D. An eigenvector y of the balanced matrix maps back by
 * `unbalance`.
 */
export function balance(a: CMat, n: number): { ilo: number; ihi: number; scale: Float64Array } {
  const { re, im } = a;
  const scale = new Float64Array(n).fill(1);
  const abs1 = (i: number) => Math.abs(re[i]) + Math.abs(im[i]);
  const swap = (j: number, m: number, ilo: number, ihi: number) => {
    scale[m] = j;
    if (j === m) return;
    for (const p of [re, im]) {
      for (let i = 0; i <= ihi; i++) {
        const t = p[i * n + j];
        p[i * n + j] = p[i * n + m];
        p[i * n + m] = t;
      }
      for (let i = ilo; i < n; i++) {
        const t = p[j * n + i];
        p[j * n + i] = p[m * n + i];
        p[m * n + i] = t;
      }
    }
  };
  let ilo = 0;
  let ihi = n - 1;
  // rows isolating an eigenvalue go to the bottom
  for (let found = true; found && ihi >= 0; ) {
    found = false;
    for (let i = ihi; i >= 0; i--) {
      let zero = true;
      for (let j = 0; j <= ihi; j++) if (j !== i && (re[i * n + j] !== 0 || im[i * n + j] !== 0)) zero = false;
      if (zero) {
        swap(i, ihi, ilo, ihi);
        if (ihi === 0) {
          scale[0] = 1;
          return { ilo: 0, ihi: 0, scale };
        }
        ihi--;
        found = true;
        break;
      }
    }
  }
  // columns isolating an eigenvalue go to the left
  for (let found = true; found; ) {
    found = false;
    for (let j = ilo; j <= ihi; j++) {
      let zero = true;
      for (let i = ilo; i <= ihi; i++) if (i !== j && (re[i * n + j] !== 0 || im[i * n + j] !== 0)) zero = false;
      if (zero) {
        swap(j, ilo, ilo, ihi);
        ilo++;
        found = true;
        break;
      }
    }
  }
  for (let i = ilo; i <= ihi; i++) scale[i] = 1;
  // scaling by powers of 2 until the row and column norms are close (gebal's loop, 2-norms as LAPACK 3.5+)
  const SCLFAC = 2;
  const FACTOR = 0.95;
  const SFMIN1 = 2 ** -1022 / EPS * SCLFAC;
  const SFMAX1 = 1 / SFMIN1;
  for (let noconv = true, guard = 0; noconv && guard < 1000; guard++) {
    noconv = false;
    for (let i = ilo; i <= ihi; i++) {
      let c = 0;
      let r = 0;
      for (let k = ilo; k <= ihi; k++) {
        c = Math.hypot(c, re[k * n + i], im[k * n + i]);
        r = Math.hypot(r, re[i * n + k], im[i * n + k]);
      }
      let ica = 0;
      for (let k = 0; k <= ihi; k++) if (abs1(k * n + i) > abs1(ica * n + i)) ica = k;
      let ca = Math.hypot(re[ica * n + i], im[ica * n + i]);
      let ira = ilo;
      for (let k = ilo; k < n; k++) if (abs1(i * n + k) > abs1(i * n + ira)) ira = k;
      let ra = Math.hypot(re[i * n + ira], im[i * n + ira]);
      if (c === 0 || r === 0) continue;
      if (!Number.isFinite(c + r + ca + ra)) return { ilo, ihi, scale };
      let g = r / SCLFAC;
      let f = 1;
      const s = c + r;
      while (c < g && Math.max(f, c, ca) < SFMAX1 && Math.min(r, g, ra) > SFMIN1) {
        f *= SCLFAC;
        c *= SCLFAC;
        ca *= SCLFAC;
        r /= SCLFAC;
        g /= SCLFAC;
        ra /= SCLFAC;
      }
      g = c / SCLFAC;
      while (g >= r && Math.max(r, ra) < SFMAX1 && Math.min(f, c, g, ca) > SFMIN1) {
        f /= SCLFAC;
        c /= SCLFAC;
        g /= SCLFAC;
        ca /= SCLFAC;
        r *= SCLFAC;
        ra *= SCLFAC;
      }
      if (c + r >= FACTOR * s) continue;
      if (f < 1 && scale[i] < 1 && f * scale[i] <= SFMIN1) continue;
      if (f > 1 && scale[i] > 1 && scale[i] >= SFMAX1 / f) continue;
      scale[i] *= f;
      noconv = true;
      for (const p of [re, im]) {
        for (let k = ilo; k < n; k++) p[i * n + k] /= f;
        for (let k = 0; k <= ihi; k++) p[k * n + i] *= f;
      }
    }
  }
  return { ilo, ihi, scale };
}

/** Maps right eigenvectors (columns of `v`) of the balanced matrix back to the original's: v ← P·D·v (gebak). */
export function unbalance(v: CMat, n: number, cols: number, ilo: number, ihi: number, scale: Float64Array): void {
  for (let i = ilo; i <= ihi; i++) {
    for (let j = 0; j < cols; j++) {
      v.re[i * cols + j] *= scale[i];
      v.im[i * cols + j] *= scale[i];
    }
  }
  const swapRows = (i: number, k: number) => {
    if (i === k) return;
    for (const p of [v.re, v.im]) {
      for (let j = 0; j < cols; j++) {
        const t = p[i * cols + j];
        p[i * cols + j] = p[k * cols + j];
        p[k * cols + j] = t;
      }
    }
  };
  for (let i = ilo - 1; i >= 0; i--) swapRows(i, scale[i]);
  for (let i = ihi + 1; i < n; i++) swapRows(i, scale[i]);
}


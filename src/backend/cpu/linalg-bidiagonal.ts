/**
 * SVD for larger matrices on the CPU (linalg.ts's svd routine takes this
 * path from BIDIAGONAL_MIN_K on; one-sided Jacobi stays for small ones):
 * the Golub–Kahan method.
 *
 * 1. Householder bidiagonalization of a tall m×n matrix (m ≥ n),
 *    B = Uᵀ·A·V upper bidiagonal, reflectors alternately from the left
 *    (zeroing a column below the diagonal) and the right (a row right of the
 *    superdiagonal).
 * 2. Implicit-shift QR on B (Golub–Kahan steps: a bulge chased by Givens
 *    rotations from the right and the left, the shift the eigenvalue of the
 *    trailing 2×2 of BᵀB closer to its last entry), every rotation also
 *    applied to U and V. A negligible diagonal entry is chased out with
 *    rotations first, so that the matrix splits (rank-deficient inputs).
 *
 * Everything is in float64 (the caller rounds once, on store). U and V are
 * kept transposed (a singular vector per contiguous row) so that every
 * reflector and rotation streams through contiguous rows.
 */

/** ‖x‖ of `len` elements from `o` on with stride 1, scaled against overflow and underflow. */
function norm2(x: Float64Array, o: number, len: number): number {
  let scale = 0;
  for (let i = 0; i < len; i++) scale = Math.max(scale, Math.abs(x[o + i]));
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let ss = 0;
  for (let i = 0; i < len; i++) {
    const r = x[o + i] / scale;
    ss += r * r;
  }
  return scale * Math.sqrt(ss);
}

/**
 * Householder bidiagonalization of the tall m×n (m ≥ n) row-major `a`, in
 * place (overwritten). On return d (n) and e (n − 1) hold B's diagonal and
 * superdiagonal, `ut` (uCols×m, row-major) holds the first uCols columns of
 * U as its rows, and `vt` (n×n) holds Vᵀ, with A = U·B·Vᵀ.
 */
export function bidiagonalize(a: Float64Array, m: number, n: number, uCols: number, d: Float64Array, e: Float64Array, ut: Float64Array | null, vt: Float64Array | null): void {
  const vl = new Float64Array(n * m); // left reflector k at vl[k·m + k..]
  const tl = new Float64Array(n);
  const vr = new Float64Array(n * n); // right reflector k at vr[k·n + k+1..]
  const tr = new Float64Array(n);
  const w = new Float64Array(Math.max(m, n));
  for (let k = 0; k < n; k++) {
    // left: column k from row k on
    const lo = k * m;
    for (let i = k; i < m; i++) vl[lo + i] = a[i * n + k];
    const alpha = vl[lo + k];
    const xnorm = norm2(vl, lo + k + 1, m - k - 1);
    if (xnorm === 0) {
      tl[k] = 0;
      d[k] = alpha;
    } else {
      const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      const tau = (beta - alpha) / beta;
      tl[k] = tau;
      d[k] = beta;
      const inv = 1 / (alpha - beta);
      vl[lo + k] = 1;
      for (let i = k + 1; i < m; i++) vl[lo + i] *= inv;
      // A[k.., k+1..] −= τ·v·(vᵀ·A[k.., k+1..])
      w.fill(0, k + 1, n);
      for (let i = k; i < m; i++) {
        const vi = vl[lo + i];
        const ri = i * n;
        for (let c = k + 1; c < n; c++) w[c] += vi * a[ri + c];
      }
      for (let i = k; i < m; i++) {
        const f = tau * vl[lo + i];
        const ri = i * n;
        for (let c = k + 1; c < n; c++) a[ri + c] -= f * w[c];
      }
    }
    if (k >= n - 1) continue;
    const rk = k * n;
    if (k === n - 2) {
      e[k] = a[rk + k + 1];
      continue;
    }
    // right: row k from column k+1 on
    const ro = k * n;
    for (let c = k + 1; c < n; c++) vr[ro + c] = a[rk + c];
    const ralpha = vr[ro + k + 1];
    const rnorm = norm2(vr, ro + k + 2, n - k - 2);
    if (rnorm === 0) {
      tr[k] = 0;
      e[k] = ralpha;
      continue;
    }
    const rbeta = -(ralpha >= 0 ? 1 : -1) * Math.hypot(ralpha, rnorm);
    const rtau = (rbeta - ralpha) / rbeta;
    tr[k] = rtau;
    e[k] = rbeta;
    const rinv = 1 / (ralpha - rbeta);
    vr[ro + k + 1] = 1;
    for (let c = k + 2; c < n; c++) vr[ro + c] *= rinv;
    // A[k+1.., k+1..] −= τ·(A·u)·uᵀ, row by row
    for (let i = k + 1; i < m; i++) {
      const ri = i * n;
      let s = 0;
      for (let c = k + 1; c < n; c++) s += a[ri + c] * vr[ro + c];
      s *= rtau;
      for (let c = k + 1; c < n; c++) a[ri + c] -= s * vr[ro + c];
    }
  }
  if (!ut || !vt) return; // singular values only
  // U = H_0 ⋯ H_{n−1}·[I; 0] (m × uCols), last reflector first; its columns are ut's rows. Column c < k is still
  // e_c when H_k comes (H_k acts on rows ≥ k), so H_k touches columns ≥ k only.
  ut.fill(0);
  for (let c = 0; c < uCols; c++) ut[c * m + c] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const tau = tl[k];
    if (tau === 0) continue;
    const lo = k * m;
    for (let c = k; c < uCols; c++) {
      const uc = c * m;
      let s = 0;
      for (let i = k; i < m; i++) s += vl[lo + i] * ut[uc + i];
      s *= tau;
      for (let i = k; i < m; i++) ut[uc + i] -= s * vl[lo + i];
    }
  }
  // V = G_0 ⋯ G_{n−3} (G_k acts on indices ≥ k+1), the same way; its columns are vt's rows
  vt.fill(0);
  for (let c = 0; c < n; c++) vt[c * n + c] = 1;
  for (let k = n - 3; k >= 0; k--) {
    const tau = tr[k];
    if (tau === 0) continue;
    const ro = k * n;
    for (let c = k + 1; c < n; c++) {
      const vc = c * n;
      let s = 0;
      for (let i = k + 1; i < n; i++) s += vr[ro + i] * vt[vc + i];
      s *= tau;
      for (let i = k + 1; i < n; i++) vt[vc + i] -= s * vr[ro + i];
    }
  }
}

/** Rows p and q of x (each `len` long from row·len): p ← c·p + s·q, q ← c·q − s·p. */
function rotateRows(x: Float64Array | null, len: number, p: number, q: number, c: number, s: number): void {
  if (!x) return; // singular values only
  const po = p * len;
  const qo = q * len;
  for (let j = 0; j < len; j++) {
    const a0 = x[po + j];
    const a1 = x[qo + j];
    x[po + j] = c * a0 + s * a1;
    x[qo + j] = c * a1 - s * a0;
  }
}

/**
 * Implicit-shift QR on the upper bidiagonal (d, e) of order n, in place: on
 * return d holds the singular values (unordered, of either sign), every
 * rotation applied to the rows of ut (n rows of length m: U's columns) and vt
 * (n rows of length n: V's columns), unless they are null. Returns false if it did not converge
 * within 40·n steps.
 */
export function bidiagonalQr(d: Float64Array, e: Float64Array, n: number, ut: Float64Array | null, m: number, vt: Float64Array | null): boolean {
  const eps = Number.EPSILON;
  let bnorm = 0;
  for (let i = 0; i < n; i++) bnorm = Math.max(bnorm, Math.abs(d[i]), i < n - 1 ? Math.abs(e[i]) : 0);
  const tiny = eps * bnorm;
  const negligibleE = (i: number) => Math.abs(e[i]) <= eps * (Math.abs(d[i]) + Math.abs(d[i + 1])) || Math.abs(e[i]) <= 0.5 * tiny;
  let steps = 0;
  let h = n - 1;
  outer: while (h > 0) {
    if (negligibleE(h - 1)) {
      e[h - 1] = 0;
      h--;
      continue;
    }
    let l = h - 1;
    while (l > 0 && !negligibleE(l - 1)) l--;
    if (l > 0) e[l - 1] = 0;
    if (++steps > 40 * n) return false;
    // a negligible diagonal entry in [l, h]: zero it and rotate its row's superdiagonal away, so B splits there
    for (let i = l; i <= h; i++) {
      if (Math.abs(d[i]) > tiny) continue;
      d[i] = 0;
      if (i < h) {
        // row i holds f at (i, j); rotations of rows (j, i) from the left push it right until it falls off
        let f = e[i];
        e[i] = 0;
        for (let j = i + 1; j <= h; j++) {
          const r = Math.hypot(d[j], f);
          const c = d[j] / r;
          const s = f / r;
          d[j] = r;
          if (j < h) {
            f = -s * e[j];
            e[j] *= c;
          }
          rotateRows(ut, m, j, i, c, s);
          if (f === 0) break;
        }
      } else {
        // the last diagonal entry: column h holds f at (j, h); rotations of columns (j, h) from the right push it up
        let f = e[h - 1];
        e[h - 1] = 0;
        for (let j = h - 1; j >= l; j--) {
          const r = Math.hypot(d[j], f);
          const c = d[j] / r;
          const s = f / r;
          d[j] = r;
          if (j > l) {
            f = -s * e[j - 1];
            e[j - 1] *= c;
          }
          rotateRows(vt, n, j, h, c, s);
          if (f === 0) break;
        }
      }
      continue outer;
    }
    // the shift: the eigenvalue of the trailing 2×2 of BᵀB closer to its last diagonal entry
    const dm = d[h - 1];
    const em = e[h - 1];
    const dh = d[h];
    const t11 = dm * dm + (h - 1 > l ? e[h - 2] * e[h - 2] : 0);
    const t12 = dm * em;
    const t22 = dh * dh + em * em;
    const g = (t11 - t22) / 2;
    const rg = Math.hypot(g, t12);
    const mu = t22 - (t12 / (g + (g >= 0 ? rg : -rg))) * t12;
    let y = d[l] * d[l] - mu;
    let z = d[l] * e[l];
    for (let k = l; k < h; k++) {
      // from the right, columns (k, k+1): [y, z] → [r, 0]
      let r = Math.hypot(y, z);
      let c = r === 0 ? 1 : y / r;
      let s = r === 0 ? 0 : z / r;
      if (k > l) e[k - 1] = r;
      const dk = d[k];
      const ek = e[k];
      const dk1 = d[k + 1];
      d[k] = c * dk + s * ek;
      e[k] = c * ek - s * dk;
      let bulge = s * dk1; // at (k+1, k)
      d[k + 1] = c * dk1;
      rotateRows(vt, n, k, k + 1, c, s);
      // from the left, rows (k, k+1): [d[k], bulge] → [r, 0]
      y = d[k];
      z = bulge;
      r = Math.hypot(y, z);
      c = r === 0 ? 1 : y / r;
      s = r === 0 ? 0 : z / r;
      d[k] = r;
      const ek2 = e[k];
      const dk2 = d[k + 1];
      e[k] = c * ek2 + s * dk2;
      d[k + 1] = c * dk2 - s * ek2;
      if (k + 1 < h) {
        bulge = s * e[k + 1]; // at (k, k+2)
        e[k + 1] *= c;
        y = e[k];
        z = bulge;
      }
      rotateRows(ut, m, k, k + 1, c, s);
    }
  }
  return true;
}

/**
 * SVD of the tall m×n (m ≥ n) row-major `a` (overwritten): s (n, descending,
 * ≥ 0), ut (uCols×m: U's first uCols columns as rows, orthonormal) and vt
 * (n×n: Vᵀ), with A = U·diag(s)·Vᵀ. NaN everywhere if the iteration failed.
 * Without `vectors`, ut and vt are empty and neither reflectors nor rotations
 * are accumulated (about a third of the work for a square matrix).
 */
export function bidiagonalSvdTall(a: Float64Array, m: number, n: number, uCols: number, vectors = true): { s: Float64Array; ut: Float64Array; vt: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 1));
  const ut = new Float64Array(vectors ? uCols * m : 0);
  const vt = new Float64Array(vectors ? n * n : 0);
  // scaled by a power of two (exact) to a largest entry near 1: the shifts square entries of B
  let big = 0;
  for (let i = 0; i < m * n; i++) big = Math.max(big, Math.abs(a[i]));
  const scale = big > 0 && Number.isFinite(big) ? 2 ** -Math.round(Math.log2(big)) : 1;
  if (scale !== 1) for (let i = 0; i < m * n; i++) a[i] *= scale;
  bidiagonalize(a, m, n, uCols, d, e, vectors ? ut : null, vectors ? vt : null);
  const s = new Float64Array(n);
  if (!bidiagonalQr(d, e, n, vectors ? ut : null, m, vectors ? vt : null)) {
    s.fill(NaN);
    ut.fill(NaN);
    vt.fill(NaN);
    return { s, ut, vt };
  }
  for (let i = 0; i < n; i++) {
    if (d[i] < 0) {
      d[i] = -d[i];
      if (vectors) for (let j = 0; j < n; j++) vt[i * n + j] = -vt[i * n + j];
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  if (!vectors) {
    order.forEach((src, c) => (s[c] = d[src] / scale));
    return { s, ut, vt };
  }
  const ut2 = new Float64Array(uCols * m);
  const vt2 = new Float64Array(n * n);
  order.forEach((src, c) => {
    s[c] = d[src] / scale;
    ut2.set(ut.subarray(src * m, src * m + m), c * m);
    vt2.set(vt.subarray(src * n, src * n + n), c * n);
  });
  // the columns beyond n (full matrices) complete the basis; the bidiagonal rotations never touch them
  ut2.set(ut.subarray(n * m), n * m);
  return { s, ut: ut2, vt: vt2 };
}

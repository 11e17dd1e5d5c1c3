/**
 * Symmetric eigendecomposition for larger matrices on the CPU (linalg.ts's
 * eigh routine takes this path from TRIDIAGONAL_MIN_N on; the cyclic Jacobi
 * iteration stays for small ones): the classic two-phase method.
 *
 * 1. Householder reduction to tridiagonal form, T = Qᵀ·A·Q (n − 2 reflectors,
 *    each a symmetric rank-2 update of the trailing block: ~(4/3)·n³ flops for
 *    the reduction, where Jacobi spends ~4·n³ per sweep and needs 6 to 10).
 * 2. Implicit symmetric QR with Wilkinson's shift on T (one bulge-chasing
 *    sweep of Givens rotations per step, ~2 steps per eigenvalue), every
 *    rotation also applied to the eigenvector basis.
 *
 * Everything is row-major and in float64 whatever the storage dtype (the
 * caller rounds once, on store). The eigenvector basis is kept transposed
 * (Z = Qᵀ, one eigenvector per contiguous row) so that each rotation streams
 * through two contiguous rows. Backward stable: ‖A·V − V·diag(w)‖ and
 * ‖VᵀV − I‖ are a few ulps of ‖A‖ and of 1.
 */

/**
 * Householder tridiagonalization of the symmetric n×n row-major `a` (both
 * triangles filled), in place: on return d (n) and e (n − 1) hold T's
 * diagonal and off-diagonal, and `z` (n×n, row-major) holds Qᵀ with
 * T = Qᵀ·A·Q. `a` is overwritten (its rows keep the reflectors).
 */
export function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array, z: Float64Array): void {
  const taus = new Float64Array(Math.max(n - 2, 0));
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const rk = k * n;
    // x = A[k+1.., k] = A[k, k+1..] (symmetric): its row is contiguous
    const alpha = a[rk + k + 1];
    let scale = 0;
    for (let i = k + 2; i < n; i++) scale = Math.max(scale, Math.abs(a[rk + i]));
    let xnorm = 0;
    if (scale > 0) {
      let ss = 0;
      for (let i = k + 2; i < n; i++) {
        const r = a[rk + i] / scale;
        ss += r * r;
      }
      xnorm = scale * Math.sqrt(ss);
    }
    d[k] = a[rk + k];
    if (xnorm === 0) {
      // already tridiagonal in this column: H = I
      taus[k] = 0;
      e[k] = alpha;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    taus[k] = tau;
    e[k] = beta;
    // v = [1, x[1..] / (alpha − beta)], kept in row k from column k+1 on
    const inv = 1 / (alpha - beta);
    a[rk + k + 1] = 1;
    for (let i = k + 2; i < n; i++) a[rk + i] *= inv;
    // trailing block B = A[k+1.., k+1..]: p = τ·B·v, w = p − (τ/2)(pᵀv)·v, B −= v·wᵀ + w·vᵀ
    const k1 = k + 1;
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      let s = 0;
      for (let j = k1; j < n; j++) s += a[ri + j] * a[rk + j];
      p[i] = tau * s;
    }
    let pv = 0;
    for (let i = k1; i < n; i++) pv += p[i] * a[rk + i];
    const half = 0.5 * tau * pv;
    for (let i = k1; i < n; i++) p[i] -= half * a[rk + i];
    for (let i = k1; i < n; i++) {
      const ri = i * n;
      const vi = a[rk + i];
      const wi = p[i];
      for (let j = k1; j < n; j++) a[ri + j] -= vi * p[j] + wi * a[rk + j];
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 2) * n + n - 1];
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1];
  // Q = H_0 ⋯ H_{n−3} (H_k acts on rows/columns k+1..), built last reflector first: when H_k comes, the
  // product so far is the identity outside rows and columns ≥ k+2, so only columns ≥ k+1 change
  const q = z;
  q.fill(0);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  const w = p;
  for (let k = n - 3; k >= 0; k--) {
    const tau = taus[k];
    if (tau === 0) continue;
    const rk = k * n;
    const k1 = k + 1;
    w.fill(0, k1, n);
    for (let i = k1; i < n; i++) {
      const vi = a[rk + i];
      const ri = i * n;
      for (let c = k1; c < n; c++) w[c] += vi * q[ri + c];
    }
    for (let i = k1; i < n; i++) {
      const f = tau * a[rk + i];
      const ri = i * n;
      for (let c = k1; c < n; c++) q[ri + c] -= f * w[c];
    }
  }
  // z = Qᵀ, in place
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const t = q[i * n + j];
      q[i * n + j] = q[j * n + i];
      q[j * n + i] = t;
    }
  }
}

/**
 * Implicit symmetric QR with Wilkinson's shift on the tridiagonal (d, e),
 * in place: on return d holds the eigenvalues (unordered) and every rotation
 * has been applied to the rows of `z` (n×n row-major, an eigenvector per
 * row). Returns false if it did not converge within 30·n steps.
 */
export function tridiagonalQr(d: Float64Array, e: Float64Array, n: number, z: Float64Array): boolean {
  const eps = Number.EPSILON;
  let steps = 0;
  let h = n - 1;
  while (h > 0) {
    // deflate at the bottom
    if (Math.abs(e[h - 1]) <= eps * (Math.abs(d[h - 1]) + Math.abs(d[h])) || e[h - 1] === 0) {
      e[h - 1] = 0;
      h--;
      continue;
    }
    // the unreduced block [l, h]
    let l = h - 1;
    while (l > 0) {
      if (Math.abs(e[l - 1]) <= eps * (Math.abs(d[l - 1]) + Math.abs(d[l]))) {
        e[l - 1] = 0;
        break;
      }
      l--;
    }
    if (++steps > 30 * n) return false;
    // Wilkinson's shift: the eigenvalue of the trailing 2×2 closer to d[h]
    const g = (d[h - 1] - d[h]) / 2;
    const eh = e[h - 1];
    const r0 = Math.hypot(g, eh);
    const mu = d[h] - (eh / (g + (g >= 0 ? r0 : -r0))) * eh;
    let x = d[l] - mu;
    let y = e[l];
    for (let k = l; k < h; k++) {
      // rotation in the (k, k+1) plane taking [x, y] to [r, 0]
      const r = Math.hypot(x, y);
      const c = r === 0 ? 1 : x / r;
      const s = r === 0 ? 0 : y / r;
      if (k > l) e[k - 1] = r;
      const dk = d[k];
      const dk1 = d[k + 1];
      const ek = e[k];
      // the 2×2 block [[dk, ek], [ek, dk1]] → R·B·Rᵀ with R = [[c, s], [−s, c]]
      const cs = c * s;
      d[k] = c * c * dk + 2 * cs * ek + s * s * dk1;
      d[k + 1] = s * s * dk - 2 * cs * ek + c * c * dk1;
      e[k] = cs * (dk1 - dk) + (c * c - s * s) * ek;
      if (k + 1 < h) {
        // the bulge at (k, k+2), chased down by the next rotation
        x = e[k];
        y = s * e[k + 1];
        e[k + 1] *= c;
      }
      // Z ← R·Z on rows k, k+1
      const rk = k * n;
      const rk1 = rk + n;
      for (let j = 0; j < n; j++) {
        const a0 = z[rk + j];
        const a1 = z[rk1 + j];
        z[rk + j] = c * a0 + s * a1;
        z[rk1 + j] = c * a1 - s * a0;
      }
    }
  }
  return true;
}

/**
 * Eigenvalues (ascending, into w) and eigenvectors (into v, row-major n×n,
 * one per column, in w's order) of the symmetric n×n row-major `a` (both
 * triangles filled, overwritten). NaN everywhere if the iteration failed.
 */
export function tridiagonalEigh(a: Float64Array, n: number, w: Float64Array, v: Float64Array): void {
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 1));
  const z = new Float64Array(n * n);
  tridiagonalize(a, n, d, e, z);
  if (!tridiagonalQr(d, e, n, z)) {
    w.fill(NaN);
    v.fill(NaN);
    return;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j]);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    w[c] = d[src];
    const rs = src * n;
    for (let r = 0; r < n; r++) v[r * n + c] = z[rs + r];
  }
}

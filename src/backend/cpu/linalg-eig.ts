/**
 * The CPU's general (nonsymmetric) eigendecomposition, lax.linalg.eig's
 * routine: per matrix, in float64 whatever the storage dtype,
 *   0. balancing as LAPACK's gebal (linalg-balance.ts), undone on the eigenvectors;
 *   1. reduction to upper Hessenberg form by Householder reflections, the
 *      orthogonal transform accumulated (A = Z·H·Zᵀ);
 *   2. Francis double-shift QR iterations on H down to the real quasi-upper
 *      triangular Schur form T (1×1 blocks for real eigenvalues, 2×2 blocks
 *      for complex-conjugate pairs), the rotations accumulated into Z;
 *   3. eigenvectors of T by back-substitution (a 2×2 complex solve per pair),
 *      mapped back through Z;
 *   4. LAPACK geev's normalization: unit 2-norm, the largest component real.
 * Left eigenvectors (vlᴴ·A = λ·vlᴴ) are the conjugated rows of V⁻¹ (a
 * complex Gauss-Jordan inverse), normalized alike. Eigenvalues come in the
 * order LAPACK's dlahqr gives on the same Hessenberg matrix
 * (linalg-eig-order.ts; the Schur form's values matched to it), a complex
 * pair with the positive imaginary part first. A non-finite input, or QR iterations that do not
 * converge, give NaNs everywhere, never a plausible-looking answer.
 *
 * Complex outputs are interleaved (re, im) pairs in the part dtype's buffer.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate, storageLength } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BufferType } from "../device.js";
import { balance, unbalance } from "./linalg-balance.js";
import { lapackHessenbergEigenvalues } from "./linalg-eig-order.js";

const EPS = 2 ** -52;

/** Householder reduction of the n×n row-major `h` to upper Hessenberg form in place; `z` receives the accumulated orthogonal Z. */
function hessenberg(h: Float64Array, z: Float64Array, n: number): void {
  const u = new Float64Array(n);
  z.fill(0);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let k = 1; k < n - 1; k++) {
    // the reflection that zeros column k-1 below row k
    let scale = 0;
    for (let i = k; i < n; i++) scale += Math.abs(h[i * n + k - 1]);
    if (scale === 0) continue;
    let sq = 0;
    for (let i = k; i < n; i++) {
      u[i] = h[i * n + k - 1] / scale;
      sq += u[i] * u[i];
    }
    const alpha = u[k] > 0 ? -Math.sqrt(sq) : Math.sqrt(sq);
    const beta = sq - u[k] * alpha; // ‖u‖²/2 after u[k] -= alpha
    u[k] -= alpha;
    // H ← (I - u·uᵀ/β)·H
    for (let j = 0; j < n; j++) {
      let f = 0;
      for (let i = k; i < n; i++) f += u[i] * h[i * n + j];
      f /= beta;
      for (let i = k; i < n; i++) h[i * n + j] -= f * u[i];
    }
    // H ← H·(I - u·uᵀ/β), Z ← Z·(I - u·uᵀ/β)
    for (const m of [h, z]) {
      for (let i = 0; i < n; i++) {
        let f = 0;
        for (let j = k; j < n; j++) f += m[i * n + j] * u[j];
        f /= beta;
        for (let j = k; j < n; j++) m[i * n + j] -= f * u[j];
      }
    }
    for (let i = k + 1; i < n; i++) h[i * n + k - 1] = 0;
  }
}

/** Complex division (a + bi)/(c + di), scaled against overflow. */
export function cdiv(a: number, b: number, c: number, d: number): [number, number] {
  if (Math.abs(c) >= Math.abs(d)) {
    const r = d / c;
    const den = c + r * d;
    return [(a + r * b) / den, (b - r * a) / den];
  }
  const r = c / d;
  const den = d + r * c;
  return [(r * a + b) / den, (r * b - a) / den];
}

/**
 * Francis double-shift QR on the Hessenberg `h` (n×n, row-major) with `z`
 * accumulating, then back-substitution for the eigenvectors of the Schur
 * form, mapped back through z. Writes eigenvalues to (wr, wi) and leaves in
 * z the real eigenvector representation: column j for a real eigenvalue,
 * columns (j, j+1) as the real and imaginary parts of the eigenvector of
 * wr[j] + i·wi[j] (wi[j] > 0). Returns false when the iterations did not converge.
 */
function schurEigen(h: Float64Array, z: Float64Array, n: number, wr: Float64Array, wi: Float64Array, vectors: boolean): boolean {
  const H = (i: number, j: number) => h[i * n + j];
  const set = (i: number, j: number, v: number) => {
    h[i * n + j] = v;
  };
  let norm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) norm += Math.abs(H(i, j));
  if (norm === 0) {
    // the zero matrix: every eigenvalue 0, eigenvectors the identity (z, untouched by the reduction)
    wr.fill(0);
    wi.fill(0);
    return true;
  }
  let hi = n - 1;
  let shiftSum = 0;
  let iter = 0;
  let total = 0;
  let p = 0, q = 0, r = 0, s = 0, w = 0, x = 0, y = 0, zz = 0;
  while (hi >= 0) {
    // the lowest negligible subdiagonal element splits off an active block [l, hi]
    let l = hi;
    while (l > 0) {
      let sc = Math.abs(H(l - 1, l - 1)) + Math.abs(H(l, l));
      if (sc === 0) sc = norm;
      if (Math.abs(H(l, l - 1)) < EPS * sc) break;
      l--;
    }
    if (l === hi) {
      // one real eigenvalue deflated
      set(hi, hi, H(hi, hi) + shiftSum);
      wr[hi] = H(hi, hi);
      wi[hi] = 0;
      hi--;
      iter = 0;
    } else if (l === hi - 1) {
      // a 2×2 block: a real pair (then rotated to upper triangular) or a complex pair
      w = H(hi, hi - 1) * H(hi - 1, hi);
      p = (H(hi - 1, hi - 1) - H(hi, hi)) / 2;
      q = p * p + w;
      zz = Math.sqrt(Math.abs(q));
      set(hi, hi, H(hi, hi) + shiftSum);
      set(hi - 1, hi - 1, H(hi - 1, hi - 1) + shiftSum);
      x = H(hi, hi);
      if (q >= 0) {
        zz = p >= 0 ? p + zz : p - zz;
        wr[hi - 1] = x + zz;
        wr[hi] = zz !== 0 ? x - w / zz : x + zz;
        wi[hi - 1] = 0;
        wi[hi] = 0;
        // the Givens rotation that makes the block upper triangular
        x = H(hi, hi - 1);
        s = Math.abs(x) + Math.abs(zz);
        p = x / s;
        q = zz / s;
        r = Math.sqrt(p * p + q * q);
        p /= r;
        q /= r;
        for (let j = hi - 1; j < n; j++) {
          const t = H(hi - 1, j);
          set(hi - 1, j, q * t + p * H(hi, j));
          set(hi, j, q * H(hi, j) - p * t);
        }
        for (let i = 0; i <= hi; i++) {
          const t = H(i, hi - 1);
          set(i, hi - 1, q * t + p * H(i, hi));
          set(i, hi, q * H(i, hi) - p * t);
        }
        for (let i = 0; i < n; i++) {
          const t = z[i * n + hi - 1];
          z[i * n + hi - 1] = q * t + p * z[i * n + hi];
          z[i * n + hi] = q * z[i * n + hi] - p * t;
        }
      } else {
        wr[hi - 1] = x + p;
        wr[hi] = x + p;
        wi[hi - 1] = zz;
        wi[hi] = -zz;
      }
      hi -= 2;
      iter = 0;
    } else {
      // a Francis double-shift step on [l, hi], shifts from the trailing 2×2 block
      x = H(hi, hi);
      y = H(hi - 1, hi - 1);
      w = H(hi, hi - 1) * H(hi - 1, hi);
      if (iter === 10 || iter === 20) {
        // exceptional shift (Wilkinson's ad hoc one) when convergence stalls
        shiftSum += x;
        for (let i = 0; i <= hi; i++) set(i, i, H(i, i) - x);
        s = Math.abs(H(hi, hi - 1)) + Math.abs(H(hi - 1, hi - 2));
        x = y = 0.75 * s;
        w = -0.4375 * s * s;
      }
      if (++total > 40 * n) return false;
      iter++;
      // where to start: two consecutive small subdiagonal elements
      let m = hi - 2;
      for (;;) {
        zz = H(m, m);
        r = x - zz;
        s = y - zz;
        p = (r * s - w) / H(m + 1, m) + H(m, m + 1);
        q = H(m + 1, m + 1) - zz - r - s;
        r = H(m + 2, m + 1);
        s = Math.abs(p) + Math.abs(q) + Math.abs(r);
        p /= s;
        q /= s;
        r /= s;
        if (m === l) break;
        if (Math.abs(H(m, m - 1)) * (Math.abs(q) + Math.abs(r)) < EPS * (Math.abs(p) * (Math.abs(H(m - 1, m - 1)) + Math.abs(zz) + Math.abs(H(m + 1, m + 1))))) break;
        m--;
      }
      for (let i = m + 2; i <= hi; i++) {
        set(i, i - 2, 0);
        if (i > m + 2) set(i, i - 3, 0);
      }
      // chase the bulge with 3×3 (2×2 at the end) Householder reflections
      for (let k = m; k <= hi - 1; k++) {
        const notLast = k !== hi - 1;
        if (k !== m) {
          p = H(k, k - 1);
          q = H(k + 1, k - 1);
          r = notLast ? H(k + 2, k - 1) : 0;
          x = Math.abs(p) + Math.abs(q) + Math.abs(r);
          if (x === 0) continue;
          p /= x;
          q /= x;
          r /= x;
        }
        s = Math.sqrt(p * p + q * q + r * r);
        if (p < 0) s = -s;
        if (s === 0) continue;
        if (k !== m) set(k, k - 1, -s * x);
        else if (l !== m) set(k, k - 1, -H(k, k - 1));
        p += s;
        x = p / s;
        y = q / s;
        zz = r / s;
        q /= p;
        r /= p;
        for (let j = k; j < n; j++) {
          let t = H(k, j) + q * H(k + 1, j);
          if (notLast) {
            t += r * H(k + 2, j);
            set(k + 2, j, H(k + 2, j) - t * zz);
          }
          set(k, j, H(k, j) - t * x);
          set(k + 1, j, H(k + 1, j) - t * y);
        }
        for (let i = 0; i <= Math.min(hi, k + 3); i++) {
          let t = x * H(i, k) + y * H(i, k + 1);
          if (notLast) {
            t += zz * H(i, k + 2);
            set(i, k + 2, H(i, k + 2) - t * r);
          }
          set(i, k, H(i, k) - t);
          set(i, k + 1, H(i, k + 1) - t * q);
        }
        for (let i = 0; i < n; i++) {
          let t = x * z[i * n + k] + y * z[i * n + k + 1];
          if (notLast) {
            t += zz * z[i * n + k + 2];
            z[i * n + k + 2] -= t * r;
          }
          z[i * n + k] -= t;
          z[i * n + k + 1] -= t * q;
        }
      }
    }
  }
  if (!vectors) return true;

  // back-substitution: the eigenvectors of the quasi-triangular T, stored in T's upper part
  for (let c = n - 1; c >= 0; c--) {
    p = wr[c];
    q = wi[c];
    if (q === 0) {
      let l = c;
      set(c, c, 1);
      for (let i = c - 1; i >= 0; i--) {
        w = H(i, i) - p;
        r = 0;
        for (let j = l; j <= c; j++) r += H(i, j) * H(j, c);
        if (wi[i] < 0) {
          zz = w;
          s = r;
        } else {
          l = i;
          if (wi[i] === 0) {
            set(i, c, w !== 0 ? -r / w : -r / (EPS * norm));
          } else {
            // rows (i, i+1) are a 2×2 block: a real 2×2 solve
            x = H(i, i + 1);
            y = H(i + 1, i);
            const den = (wr[i] - p) * (wr[i] - p) + wi[i] * wi[i];
            const t = (x * s - zz * r) / den;
            set(i, c, t);
            set(i + 1, c, Math.abs(x) > Math.abs(zz) ? (-r - w * t) / x : (-s - y * t) / zz);
          }
          const t = Math.abs(H(i, c));
          if (EPS * t * t > 1) for (let j = i; j <= c; j++) set(j, c, H(j, c) / t);
        }
      }
    } else if (q < 0) {
      // the second of a complex pair: the vector of p - i·|q|, real part in column c-1, imaginary in c
      let l = c - 1;
      if (Math.abs(H(c, c - 1)) > Math.abs(H(c - 1, c))) {
        set(c - 1, c - 1, q / H(c, c - 1));
        set(c - 1, c, -(H(c, c) - p) / H(c, c - 1));
      } else {
        const [re, im] = cdiv(0, -H(c - 1, c), H(c - 1, c - 1) - p, q);
        set(c - 1, c - 1, re);
        set(c - 1, c, im);
      }
      set(c, c - 1, 0);
      set(c, c, 1);
      for (let i = c - 2; i >= 0; i--) {
        let ra = 0;
        let sa = 0;
        for (let j = l; j <= c; j++) {
          ra += H(i, j) * H(j, c - 1);
          sa += H(i, j) * H(j, c);
        }
        w = H(i, i) - p;
        if (wi[i] < 0) {
          zz = w;
          r = ra;
          s = sa;
        } else {
          l = i;
          if (wi[i] === 0) {
            const [re, im] = cdiv(-ra, -sa, w, q);
            set(i, c - 1, re);
            set(i, c, im);
          } else {
            x = H(i, i + 1);
            y = H(i + 1, i);
            let vr = (wr[i] - p) * (wr[i] - p) + wi[i] * wi[i] - q * q;
            const vi = (wr[i] - p) * 2 * q;
            if (vr === 0 && vi === 0) vr = EPS * norm * (Math.abs(w) + Math.abs(q) + Math.abs(x) + Math.abs(y) + Math.abs(zz));
            const [re, im] = cdiv(x * r - zz * ra + q * sa, x * s - zz * sa - q * ra, vr, vi);
            set(i, c - 1, re);
            set(i, c, im);
            if (Math.abs(x) > Math.abs(zz) + Math.abs(q)) {
              set(i + 1, c - 1, (-ra - w * H(i, c - 1) + q * H(i, c)) / x);
              set(i + 1, c, (-sa - w * H(i, c) - q * H(i, c - 1)) / x);
            } else {
              const [re2, im2] = cdiv(-r - y * H(i, c - 1), -s - y * H(i, c), zz, q);
              set(i + 1, c - 1, re2);
              set(i + 1, c, im2);
            }
          }
          const t = Math.max(Math.abs(H(i, c - 1)), Math.abs(H(i, c)));
          if (EPS * t * t > 1) {
            for (let j = i; j <= c; j++) {
              set(j, c - 1, H(j, c - 1) / t);
              set(j, c, H(j, c) / t);
            }
          }
        }
      }
    }
  }
  // back to A's basis: V = Z·X (X upper triangular, in h's upper part)
  const col = new Float64Array(n);
  for (let j = n - 1; j >= 0; j--) {
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let k = 0; k <= j; k++) t += z[i * n + k] * H(k, j);
      col[i] = t;
    }
    for (let i = 0; i < n; i++) z[i * n + j] = col[i];
  }
  return true;
}

/** Complex n×n matrices as separate real and imaginary row-major planes. */
export type CMat = { re: Float64Array; im: Float64Array };

/** The complex eigenvectors (columns) from the real representation schurEigen leaves in z. */
function complexVectors(z: Float64Array, wi: Float64Array, n: number): CMat {
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    if (wi[j] === 0) {
      for (let i = 0; i < n; i++) re[i * n + j] = z[i * n + j];
    } else if (wi[j] > 0 && j + 1 < n) {
      // columns j, j+1 hold the vector of wr + i·|wi| as (re, im); its conjugate is that of wr - i·|wi|
      for (let i = 0; i < n; i++) {
        const a = z[i * n + j];
        const b = z[i * n + j + 1];
        re[i * n + j] = a;
        im[i * n + j] = b;
        re[i * n + j + 1] = a;
        im[i * n + j + 1] = -b;
      }
      j++;
    }
  }
  return { re, im };
}

/** LAPACK geev's normalization of each column: unit 2-norm, then a phase that makes the largest component real. */
export function normalizeColumns(v: CMat, n: number): void {
  for (let j = 0; j < n; j++) {
    let nrm = 0;
    let big = -1;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const m2 = v.re[i * n + j] ** 2 + v.im[i * n + j] ** 2;
      nrm += m2;
      if (m2 > big) {
        big = m2;
        at = i;
      }
    }
    nrm = Math.sqrt(nrm);
    if (!(nrm > 0)) continue;
    // multiply by conj(v_at)/|v_at| / nrm: v_at becomes |v_at|/nrm, real and positive
    const mag = Math.sqrt(big);
    const cr = v.re[at * n + j] / mag / nrm;
    const ci = -v.im[at * n + j] / mag / nrm;
    for (let i = 0; i < n; i++) {
      const a = v.re[i * n + j];
      const b = v.im[i * n + j];
      v.re[i * n + j] = a * cr - b * ci;
      v.im[i * n + j] = a * ci + b * cr;
    }
    v.im[at * n + j] = 0;
  }
}

/** Left eigenvectors from the right ones: the rows of V⁻¹ satisfy u·A = λ·u, so vl = uᴴ, normalized as geev's. */
export function leftEigenvectors(v: CMat, n: number): CMat {
  const inv = complexInverse(v, n);
  const vl: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      vl.re[j * n + i] = inv.re[i * n + j];
      vl.im[j * n + i] = -inv.im[i * n + j];
    }
  }
  normalizeColumns(vl, n);
  return vl;
}

/** The inverse of a complex matrix by Gauss-Jordan elimination with partial pivoting (NaNs when singular). */
export function complexInverse(v: CMat, n: number): CMat {
  const n2 = 2 * n;
  const are = new Float64Array(n * n2);
  const aim = new Float64Array(n * n2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      are[i * n2 + j] = v.re[i * n + j];
      aim[i * n2 + j] = v.im[i * n + j];
    }
    are[i * n2 + n + i] = 1;
  }
  for (let k = 0; k < n; k++) {
    let piv = k;
    let best = -1;
    for (let i = k; i < n; i++) {
      const m2 = are[i * n2 + k] ** 2 + aim[i * n2 + k] ** 2;
      if (m2 > best) {
        best = m2;
        piv = i;
      }
    }
    if (piv !== k) {
      for (let j = 0; j < n2; j++) {
        let t = are[k * n2 + j];
        are[k * n2 + j] = are[piv * n2 + j];
        are[piv * n2 + j] = t;
        t = aim[k * n2 + j];
        aim[k * n2 + j] = aim[piv * n2 + j];
        aim[piv * n2 + j] = t;
      }
    }
    const [ir, ii] = cdiv(1, 0, are[k * n2 + k], aim[k * n2 + k]);
    for (let j = 0; j < n2; j++) {
      const a = are[k * n2 + j];
      const b = aim[k * n2 + j];
      are[k * n2 + j] = a * ir - b * ii;
      aim[k * n2 + j] = a * ii + b * ir;
    }
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const fr = are[i * n2 + k];
      const fi = aim[i * n2 + k];
      if (fr === 0 && fi === 0) continue;
      for (let j = 0; j < n2; j++) {
        const a = are[k * n2 + j];
        const b = aim[k * n2 + j];
        are[i * n2 + j] -= fr * a - fi * b;
        aim[i * n2 + j] -= fr * b + fi * a;
      }
    }
  }
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      re[i * n + j] = are[i * n2 + n + j];
      im[i * n + j] = aim[i * n2 + n + j];
    }
  }
  return { re, im };
}

/** For each of LAPACK's eigenvalues (wr2, wi2) in order, the nearest unused one of (wr, wi). */
function matchOrder(wr: Float64Array, wi: Float64Array, wr2: Float64Array, wi2: Float64Array, n: number): number[] {
  const used = new Uint8Array(n);
  const order: number[] = [];
  for (let j = 0; j < n; j++) {
    let best = -1;
    let bd = Infinity;
    for (let k = 0; k < n; k++) {
      const d = Math.hypot(wr[k] - wr2[j], wi[k] - wi2[j]);
      if (!used[k] && d < bd) {
        bd = d;
        best = k;
      }
    }
    if (best < 0) return Array.from({ length: n }, (_, i) => i);
    used[best] = 1;
    order.push(best);
  }
  return order;
}

/** The columns of v in `order` (v itself without one). */
function permuteColumns(v: CMat, n: number, order: number[] | null): CMat {
  if (!order) return v;
  const out: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      out.re[i * n + j] = v.re[i * n + order[j]];
      out.im[i * n + j] = v.im[i * n + order[j]];
    }
  }
  return out;
}

/** The linalg_eig routine: outputs [w, vl?, vr?] (complex, interleaved), as lax.linalg.eig's abstract eval. */
export function eigRoutine(inputs: TypedArray[], _in: BufferType[], outTypes: BufferType[], params: Record<string, unknown>): TypedArray[] {
  const [x] = inputs;
  const { batch, n, left, right } = params as { batch: number; n: number; left: boolean; right: boolean };
  // complex outputs: (re, im) pairs, two part-dtype elements per value
  const outs = outTypes.map((t) => allocate(t.dtype, storageLength(t.dtype, sizeOf(t.shape))));
  const [wOut] = outs;
  const vlOut = left ? outs[1] : null;
  const vrOut = right ? outs[left ? 2 : 1] : null;
  const h = new Float64Array(n * n);
  const z = new Float64Array(n * n);
  const wr = new Float64Array(n);
  const wi = new Float64Array(n);
  const zeros = new Float64Array(n * n);
  const h2 = new Float64Array(n * n);
  const wr2 = new Float64Array(n);
  const wi2 = new Float64Array(n);
  const putMatrix = (out: TypedArray, b: number, m: CMat) => {
    const o = 2 * b * n * n;
    for (let i = 0; i < n * n; i++) {
      out[o + 2 * i] = m.re[i];
      out[o + 2 * i + 1] = m.im[i];
    }
  };
  for (let b = 0; b < batch; b++) {
    const o = b * n * n;
    for (let i = 0; i < n * n; i++) h[i] = x[o + i];
    let ok = h.every(Number.isFinite);
    // LAPACK geev's balancing (permutations and powers-of-2 scaling), undone on the eigenvectors below
    const bal = ok ? balance({ re: h, im: zeros }, n) : null;
    let order: number[] | null = null;
    if (ok) {
      hessenberg(h, z, n);
      h2.set(h);
      ok = schurEigen(h, z, n, wr, wi, left || right);
      // the order of LAPACK's dlahqr on the same Hessenberg matrix; the values and vectors above follow it
      if (ok && n > 1 && lapackHessenbergEigenvalues(h2, n, bal!.ilo, bal!.ihi, wr2, wi2)) order = matchOrder(wr, wi, wr2, wi2, n);
    }
    if (!ok) {
      // as JAX (LAPACK): a NaN or inf, or no convergence, makes every output NaN
      wOut.fill(NaN, 2 * b * n, 2 * (b + 1) * n);
      if (vlOut) vlOut.fill(NaN, 2 * o, 2 * (o + n * n));
      if (vrOut) vrOut.fill(NaN, 2 * o, 2 * (o + n * n));
      continue;
    }
    for (let i = 0; i < n; i++) {
      const k = order ? order[i] : i;
      wOut[2 * (b * n + i)] = wr[k];
      wOut[2 * (b * n + i) + 1] = wi[k];
    }
    if (!left && !right) continue;
    const v = permuteColumns(complexVectors(z, wi, n), n, order);
    unbalance(v, n, n, bal!.ilo, bal!.ihi, bal!.scale);
    normalizeColumns(v, n);
    if (vrOut) putMatrix(vrOut, b, v);
    if (vlOut) {
      const vl = leftEigenvectors(v, n);
      putMatrix(vlOut, b, vl);
    }
  }
  return outs;
}

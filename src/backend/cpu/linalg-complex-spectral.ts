/**
 * The CPU's complex spectral routines, for complex64/complex128 operands of
 * lax.linalg's qr, eigh, svd and eig (src/lax/linalg.ts, linalg-eig.ts):
 *   - qr: Householder reflections with LAPACK zgeqrf's convention (each
 *     reflector H = I − τ·v·vᴴ makes the diagonal of R real);
 *   - eigh: cyclic Jacobi on a Hermitian matrix (each rotation a phase that
 *     makes the pivot real, then a real rotation), eigenvalues ascending,
 *     each eigenvector's first component made real and non-negative (the
 *     phase LAPACK's zheevd gives with the lower triangle: its tridiagonal
 *     reduction leaves the first row alone);
 *   - svd: one-sided (Hestenes) Jacobi with the same phase-then-rotation
 *     step, singular values descending, U completed to a unitary basis;
 *   - eig: balancing as LAPACK's gebal (permutations that isolate
 *     eigenvalues, then powers-of-2 scaling), complex Householder reduction
 *     to Hessenberg form, complex single-shift QR following LAPACK's zlahqr
 *     to the Schur form T, eigenvectors
 *     of T by back-substitution mapped back, geev's normalization. The
 *     eigenvalues come in the order of T's diagonal, as LAPACK's.
 * Every routine works in float64 whatever the storage dtype; complex values
 * are interleaved (re, im) pairs in the part dtype's buffer, as everywhere.
 * A non-finite input makes every output NaN, as JAX (LAPACK).
 */
import type { TypedArray } from "../../dtype.js";
import { allocate, storageLength } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BufferType } from "../device.js";
import type { CMat } from "./linalg-eig.js";
import { cdiv, leftEigenvectors, normalizeColumns } from "./linalg-eig.js";
import { balance, unbalance } from "./linalg-balance.js";

type Routine = (inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[], params: Record<string, unknown>) => TypedArray[];

const EPS = 2 ** -52;

/** Fresh output buffers: complex ones hold two part-dtype elements per value. */
const allocateOuts = (outTypes: BufferType[]) => outTypes.map((t) => allocate(t.dtype, storageLength(t.dtype, sizeOf(t.shape))));

/** Matrix `b` of an interleaved complex buffer as an (re, im) pair of length `size`. */
function readComplex(x: TypedArray, b: number, size: number): CMat {
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  const o = 2 * b * size;
  for (let i = 0; i < size; i++) {
    re[i] = x[o + 2 * i];
    im[i] = x[o + 2 * i + 1];
  }
  return { re, im };
}

function writeComplex(out: TypedArray, b: number, size: number, m: CMat): void {
  const o = 2 * b * size;
  for (let i = 0; i < size; i++) {
    out[o + 2 * i] = m.re[i];
    out[o + 2 * i + 1] = m.im[i];
  }
}

const allFinite = (m: CMat) => m.re.every(Number.isFinite) && m.im.every(Number.isFinite);

// ---- qr ------------------------------------------------------------------------------------------

/**
 * Complex Householder QR of the m×n row-major `a` (in place: R in its upper
 * triangle on return); `q` receives Q's first `cols` columns, row-major m×cols.
 * Reflector j is zlarfg's: β = −sign(Re α)·‖(α, x)‖ real, τ = (β − α)/β,
 * v = (1, x/(α − β)); Hᴴ = I − conj(τ)·v·vᴴ maps (α, x) to (β, 0).
 */
export function complexHouseholderQr(a: CMat, m: number, n: number, cols: number, q: CMat): void {
  const { re: ar, im: ai } = a;
  const k = Math.min(m, n);
  const tr = new Float64Array(k);
  const ti = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const alr = ar[j * n + j];
    const ali = ai[j * n + j];
    let xnorm = 0;
    for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, ar[i * n + j], ai[i * n + j]);
    if (xnorm === 0 && ali === 0) continue; // H = I (τ = 0)
    const beta = -(alr >= 0 ? 1 : -1) * Math.hypot(alr, ali, xnorm);
    tr[j] = (beta - alr) / beta;
    ti[j] = -ali / beta;
    const [sr, si] = cdiv(1, 0, alr - beta, ali);
    for (let i = j + 1; i < m; i++) {
      const xr = ar[i * n + j];
      const xi = ai[i * n + j];
      ar[i * n + j] = xr * sr - xi * si;
      ai[i * n + j] = xr * si + xi * sr;
    }
    ar[j * n + j] = beta;
    ai[j * n + j] = 0;
    // the remaining columns: c ← c − conj(τ)·v·(vᴴ·c)
    for (let c = j + 1; c < n; c++) {
      let s0 = ar[j * n + c];
      let s1 = ai[j * n + c];
      for (let i = j + 1; i < m; i++) {
        const vr = ar[i * n + j];
        const vi = ai[i * n + j];
        const cr = ar[i * n + c];
        const ci = ai[i * n + c];
        s0 += vr * cr + vi * ci;
        s1 += vr * ci - vi * cr;
      }
      // f = conj(τ)·s
      const f0 = tr[j] * s0 + ti[j] * s1;
      const f1 = tr[j] * s1 - ti[j] * s0;
      ar[j * n + c] -= f0;
      ai[j * n + c] -= f1;
      for (let i = j + 1; i < m; i++) {
        const vr = ar[i * n + j];
        const vi = ai[i * n + j];
        ar[i * n + c] -= f0 * vr - f1 * vi;
        ai[i * n + c] -= f0 * vi + f1 * vr;
      }
    }
  }
  // Q = H_0 ⋯ H_{k−1} applied to the identity's first `cols` columns, the last reflector first
  q.re.fill(0);
  q.im.fill(0);
  for (let i = 0; i < Math.min(m, cols); i++) q.re[i * cols + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    if (tr[j] === 0 && ti[j] === 0) continue;
    for (let c = Math.min(j, cols); c < cols; c++) {
      let s0 = q.re[j * cols + c];
      let s1 = q.im[j * cols + c];
      for (let i = j + 1; i < m; i++) {
        const vr = ar[i * n + j];
        const vi = ai[i * n + j];
        const cr = q.re[i * cols + c];
        const ci = q.im[i * cols + c];
        s0 += vr * cr + vi * ci;
        s1 += vr * ci - vi * cr;
      }
      // f = τ·s
      const f0 = tr[j] * s0 - ti[j] * s1;
      const f1 = tr[j] * s1 + ti[j] * s0;
      q.re[j * cols + c] -= f0;
      q.im[j * cols + c] -= f1;
      for (let i = j + 1; i < m; i++) {
        const vr = ar[i * n + j];
        const vi = ai[i * n + j];
        q.re[i * cols + c] -= f0 * vr - f1 * vi;
        q.im[i * cols + c] -= f0 * vi + f1 * vr;
      }
    }
  }
}

const qr: Routine = ([x], _in, outTypes, params) => {
  const { batch, m, n, fullMatrices } = params as { batch: number; m: number; n: number; fullMatrices: boolean };
  const [qOut, rOut] = allocateOuts(outTypes);
  const cols = fullMatrices ? m : Math.min(m, n);
  const q: CMat = { re: new Float64Array(m * cols), im: new Float64Array(m * cols) };
  const r: CMat = { re: new Float64Array(cols * n), im: new Float64Array(cols * n) };
  for (let b = 0; b < batch; b++) {
    const a = readComplex(x, b, m * n);
    complexHouseholderQr(a, m, n, cols, q);
    writeComplex(qOut, b, m * cols, q);
    r.re.fill(0);
    r.im.fill(0);
    for (let i = 0; i < Math.min(cols, m); i++) {
      for (let j = i; j < n; j++) {
        r.re[i * n + j] = a.re[i * n + j];
        r.im[i * n + j] = a.im[i * n + j];
      }
    }
    writeComplex(rOut, b, cols * n, r);
  }
  return [qOut, rOut];
};

// ---- eigh ----------------------------------------------------------------------------------------

/**
 * Cyclic Jacobi on the Hermitian n×n `a` (both triangles filled, row-major):
 * for each pivot a_pq = |a_pq|·e^{iφ}, column and row q take the phase e^{−iφ}
 * (making the pivot real), then a real rotation zeroes it. On return a's
 * diagonal holds the eigenvalues and `v` the eigenvectors in its columns.
 */
export function complexJacobiEigh(a: CMat, n: number, v: CMat): void {
  const { re, im } = a;
  v.re.fill(0);
  v.im.fill(0);
  for (let i = 0; i < n; i++) v.re[i * n + i] = 1;
  // multiplies column `c` of the n-column matrix m by (er + i·ei)
  const scaleCol = (m: CMat, rows: number, c: number, er: number, ei: number) => {
    for (let k = 0; k < rows; k++) {
      const x = m.re[k * n + c];
      const y = m.im[k * n + c];
      m.re[k * n + c] = x * er - y * ei;
      m.im[k * n + c] = x * ei + y * er;
    }
  };
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const e = re[i * n + j] ** 2 + im[i * n + j] ** 2;
        total += e;
        if (i !== j) off += e;
      }
    }
    if (!(off > 1e-32 * total) || !Number.isFinite(total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const mag = Math.hypot(re[p * n + q], im[p * n + q]);
        if (mag === 0) continue;
        // D = diag(…, e at q, …) with e = conj(a_pq)/|a_pq|: A ← Dᴴ·A·D makes a_pq = |a_pq|
        const er = re[p * n + q] / mag;
        const ei = -im[p * n + q] / mag;
        scaleCol(a, n, q, er, ei);
        for (let k = 0; k < n; k++) {
          const x = re[q * n + k];
          const y = im[q * n + k];
          re[q * n + k] = x * er + y * ei;
          im[q * n + k] = y * er - x * ei;
        }
        scaleCol(v, n, q, er, ei);
        const app = re[p * n + p];
        const aqq = re[q * n + q];
        const theta = (aqq - app) / (2 * mag);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (const part of [re, im]) {
          for (let k = 0; k < n; k++) {
            const akp = part[k * n + p];
            const akq = part[k * n + q];
            part[k * n + p] = c * akp - s * akq;
            part[k * n + q] = s * akp + c * akq;
          }
          for (let k = 0; k < n; k++) {
            const apk = part[p * n + k];
            const aqk = part[q * n + k];
            part[p * n + k] = c * apk - s * aqk;
            part[q * n + k] = s * apk + c * aqk;
          }
          part[p * n + q] = 0;
          part[q * n + p] = 0;
        }
        im[p * n + p] = 0;
        im[q * n + q] = 0;
        for (const part of [v.re, v.im]) {
          for (let k = 0; k < n; k++) {
            const vkp = part[k * n + p];
            const vkq = part[k * n + q];
            part[k * n + p] = c * vkp - s * vkq;
            part[k * n + q] = s * vkp + c * vkq;
          }
        }
      }
    }
  }
}

const eigh: Routine = ([x], _in, outTypes, params) => {
  const { batch, n, lower, sortEigenvalues } = params as { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  const [vOut, wOut] = allocateOuts(outTypes);
  const a: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  const v: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  const sorted: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let b = 0; b < batch; b++) {
    const src = readComplex(x, b, n * n);
    // the matrix is the chosen triangle mirrored (conjugated), its diagonal real
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const at = lower ? i * n + j : j * n + i;
        const er = src.re[at];
        const ei = lower ? src.im[at] : -src.im[at];
        a.re[i * n + j] = er;
        a.im[i * n + j] = i === j ? 0 : ei;
        a.re[j * n + i] = er;
        a.im[j * n + i] = i === j ? 0 : -ei;
      }
    }
    if (!allFinite(a)) {
      vOut.fill(NaN, 2 * b * n * n, 2 * (b + 1) * n * n);
      wOut.fill(NaN, b * n, (b + 1) * n);
      continue;
    }
    complexJacobiEigh(a, n, v);
    for (let i = 0; i < n; i++) order[i] = i;
    if (sortEigenvalues) order.sort((i, j) => a.re[i * n + i] - a.re[j * n + j]);
    for (let c = 0; c < n; c++) {
      const s = order[c];
      wOut[b * n + c] = a.re[s * n + s];
      // the phase that makes the first component real and non-negative
      const mag = Math.hypot(v.re[s], v.im[s]);
      const pr = mag > 0 ? v.re[s] / mag : 1;
      const pi = mag > 0 ? -v.im[s] / mag : 0;
      for (let r = 0; r < n; r++) {
        const xr = v.re[r * n + s];
        const xi = v.im[r * n + s];
        sorted.re[r * n + c] = xr * pr - xi * pi;
        sorted.im[r * n + c] = xr * pi + xi * pr;
      }
      sorted.im[c] = 0;
    }
    writeComplex(vOut, b, n * n, sorted);
  }
  return [vOut, wOut];
};

// ---- svd -----------------------------------------------------------------------------------------

/**
 * Makes the columns of `u` (rows × cols, row-major) orthonormal in order
 * (complex Gram–Schmidt, twice); a vanishing column is replaced by the unit
 * vector least covered by the columns before it.
 */
function orthonormalizeComplex(u: CMat, rows: number, cols: number): void {
  const cr = new Float64Array(rows);
  const ci = new Float64Array(rows);
  const norm = () => {
    let s = 0;
    for (let i = 0; i < rows; i++) s = Math.hypot(s, cr[i], ci[i]);
    return s;
  };
  const project = (c: number) => {
    for (let pass = 0; pass < 2; pass++) {
      for (let d = 0; d < c; d++) {
        // s = u_dᴴ·col
        let s0 = 0;
        let s1 = 0;
        for (let i = 0; i < rows; i++) {
          const ur = u.re[i * cols + d];
          const ui = u.im[i * cols + d];
          s0 += ur * cr[i] + ui * ci[i];
          s1 += ur * ci[i] - ui * cr[i];
        }
        for (let i = 0; i < rows; i++) {
          const ur = u.re[i * cols + d];
          const ui = u.im[i * cols + d];
          cr[i] -= s0 * ur - s1 * ui;
          ci[i] -= s0 * ui + s1 * ur;
        }
      }
    }
    return norm();
  };
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < rows; i++) {
      cr[i] = u.re[i * cols + c];
      ci[i] = u.im[i * cols + c];
    }
    const norm0 = norm();
    let nrm = norm0 > 0 ? project(c) : 0;
    if (!(nrm > 0.5 * norm0) || norm0 === 0) {
      let bestI = 0;
      let best = -1;
      for (let i = 0; i < rows; i++) {
        let covered = 0;
        for (let d = 0; d < c; d++) covered += u.re[i * cols + d] ** 2 + u.im[i * cols + d] ** 2;
        if (1 - covered > best) {
          best = 1 - covered;
          bestI = i;
        }
      }
      cr.fill(0);
      ci.fill(0);
      cr[bestI] = 1;
      nrm = project(c);
    }
    for (let i = 0; i < rows; i++) {
      u.re[i * cols + c] = cr[i] / nrm;
      u.im[i * cols + c] = ci[i] / nrm;
    }
  }
}

/**
 * One-sided Jacobi SVD of the tall complex m×n `w` (m ≥ n, row-major, in
 * place): for each column pair, γ = w_pᴴ·w_q; column q takes the phase
 * conj(γ)/|γ| (making γ real), then a real rotation orthogonalizes the pair.
 * Returns s (descending), U (m × uCols, completed to orthonormal) and V (n × n).
 */
export function complexJacobiSvdTall(w: CMat, m: number, n: number, uCols: number): { s: Float64Array; u: CMat; v: CMat } {
  const v: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) v.re[i * n + i] = 1;
  const colPhase = (mat: CMat, rows: number, stride: number, c: number, er: number, ei: number) => {
    for (let k = 0; k < rows; k++) {
      const x = mat.re[k * stride + c];
      const y = mat.im[k * stride + c];
      mat.re[k * stride + c] = x * er - y * ei;
      mat.im[k * stride + c] = x * ei + y * er;
    }
  };
  const rotate = (mat: CMat, rows: number, stride: number, p: number, q: number, c: number, s: number) => {
    for (const part of [mat.re, mat.im]) {
      for (let k = 0; k < rows; k++) {
        const x = part[k * stride + p];
        const y = part[k * stride + q];
        part[k * stride + p] = c * x - s * y;
        part[k * stride + q] = s * x + c * y;
      }
    }
  };
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let g0 = 0;
        let g1 = 0;
        for (let i = 0; i < m; i++) {
          const pr = w.re[i * n + p];
          const pi = w.im[i * n + p];
          const qr = w.re[i * n + q];
          const qi = w.im[i * n + q];
          alpha += pr * pr + pi * pi;
          beta += qr * qr + qi * qi;
          g0 += pr * qr + pi * qi;
          g1 += pr * qi - pi * qr;
        }
        const gamma = Math.hypot(g0, g1);
        if (!(gamma > 1e-15 * Math.sqrt(alpha * beta)) || gamma === 0) continue;
        rotated = true;
        const er = g0 / gamma;
        const ei = -g1 / gamma;
        colPhase(w, m, n, q, er, ei);
        colPhase(v, n, n, q, er, ei);
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        rotate(w, m, n, p, q, c, s);
        rotate(v, n, n, p, q, c, s);
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let t = 0;
    for (let i = 0; i < m; i++) t = Math.hypot(t, w.re[i * n + j], w.im[i * n + j]);
    norms[j] = t;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => norms[j] - norms[i]);
  const s = new Float64Array(n);
  const u: CMat = { re: new Float64Array(m * uCols), im: new Float64Array(m * uCols) };
  const vs: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  order.forEach((src, c) => {
    s[c] = norms[src];
    const inv = norms[src] > 0 ? 1 / norms[src] : 0;
    for (let i = 0; i < m; i++) {
      u.re[i * uCols + c] = w.re[i * n + src] * inv;
      u.im[i * uCols + c] = w.im[i * n + src] * inv;
    }
    for (let i = 0; i < n; i++) {
      vs.re[i * n + c] = v.re[i * n + src];
      vs.im[i * n + c] = v.im[i * n + src];
    }
  });
  orthonormalizeComplex(u, m, uCols);
  return { s, u, v: vs };
}

const svd: Routine = ([x], _in, outTypes, params) => {
  const { batch, m, n, fullMatrices, computeUv } = params as { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  const outs = allocateOuts(outTypes);
  const k = Math.min(m, n);
  const tall = m >= n;
  const [rows, cols] = tall ? [m, n] : [n, m];
  const uCols = fullMatrices ? rows : k;
  const uSize = m * (fullMatrices ? m : k);
  const vtSize = (fullMatrices ? n : k) * n;
  for (let b = 0; b < batch; b++) {
    const src = readComplex(x, b, m * n);
    if (!allFinite(src)) {
      outs[0].fill(NaN, b * k, (b + 1) * k);
      if (computeUv) {
        outs[1].fill(NaN, 2 * b * uSize, 2 * (b + 1) * uSize);
        outs[2].fill(NaN, 2 * b * vtSize, 2 * (b + 1) * vtSize);
      }
      continue;
    }
    // the tall matrix: a itself, or aᴴ (then aᴴ = V·S·Uᴴ)
    const a: CMat = tall ? src : { re: new Float64Array(m * n), im: new Float64Array(m * n) };
    if (!tall) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          a.re[j * m + i] = src.re[i * n + j];
          a.im[j * m + i] = -src.im[i * n + j];
        }
      }
    }
    const r = complexJacobiSvdTall(a, rows, cols, uCols);
    outs[0].set(r.s, b * k);
    if (!computeUv) continue;
    const u: CMat = { re: new Float64Array(uSize), im: new Float64Array(uSize) };
    const vt: CMat = { re: new Float64Array(vtSize), im: new Float64Array(vtSize) };
    if (tall) {
      u.re.set(r.u.re);
      u.im.set(r.u.im);
      // Vᴴ
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          vt.re[i * n + j] = r.v.re[j * n + i];
          vt.im[i * n + j] = -r.v.im[j * n + i];
        }
      }
    } else {
      // U = r.v (m × m); Vᴴ = r.uᴴ (uCols × n)
      u.re.set(r.v.re);
      u.im.set(r.v.im);
      for (let i = 0; i < uCols; i++) {
        for (let j = 0; j < n; j++) {
          vt.re[i * n + j] = r.u.re[j * uCols + i];
          vt.im[i * n + j] = -r.u.im[j * uCols + i];
        }
      }
    }
    writeComplex(outs[1], b, uSize, u);
    writeComplex(outs[2], b, vtSize, vt);
  }
  return outs;
};

// ---- eig -----------------------------------------------------------------------------------------

/** Complex Householder reduction of `h` (n×n) to upper Hessenberg form in place, `z` accumulating the unitary transform. */
function complexHessenberg(h: CMat, z: CMat, n: number, ilo: number, ihi: number): void {
  const vr = new Float64Array(n);
  const vi = new Float64Array(n);
  z.re.fill(0);
  z.im.fill(0);
  for (let i = 0; i < n; i++) z.re[i * n + i] = 1;
  for (let k = ilo + 1; k < ihi; k++) {
    const alr = h.re[k * n + k - 1];
    const ali = h.im[k * n + k - 1];
    let xnorm = 0;
    for (let i = k + 1; i <= ihi; i++) xnorm = Math.hypot(xnorm, h.re[i * n + k - 1], h.im[i * n + k - 1]);
    if (xnorm === 0 && ali === 0) continue;
    const beta = -(alr >= 0 ? 1 : -1) * Math.hypot(alr, ali, xnorm);
    const tr = (beta - alr) / beta;
    const ti = -ali / beta;
    const [sr, si] = cdiv(1, 0, alr - beta, ali);
    vr[k] = 1;
    vi[k] = 0;
    for (let i = k + 1; i <= ihi; i++) {
      const xr = h.re[i * n + k - 1];
      const xi = h.im[i * n + k - 1];
      vr[i] = xr * sr - xi * si;
      vi[i] = xr * si + xi * sr;
    }
    // from the left: H ← (I − conj(τ)·v·vᴴ)·H on rows k..ihi
    for (let j = 0; j < n; j++) {
      let s0 = 0;
      let s1 = 0;
      for (let i = k; i <= ihi; i++) {
        s0 += vr[i] * h.re[i * n + j] + vi[i] * h.im[i * n + j];
        s1 += vr[i] * h.im[i * n + j] - vi[i] * h.re[i * n + j];
      }
      const f0 = tr * s0 + ti * s1;
      const f1 = tr * s1 - ti * s0;
      for (let i = k; i <= ihi; i++) {
        h.re[i * n + j] -= f0 * vr[i] - f1 * vi[i];
        h.im[i * n + j] -= f0 * vi[i] + f1 * vr[i];
      }
    }
    // from the right: M ← M·(I − τ·v·vᴴ) for H and Z
    for (const mat of [h, z]) {
      for (let i = 0; i < n; i++) {
        let s0 = 0;
        let s1 = 0;
        for (let j = k; j <= ihi; j++) {
          s0 += mat.re[i * n + j] * vr[j] - mat.im[i * n + j] * vi[j];
          s1 += mat.re[i * n + j] * vi[j] + mat.im[i * n + j] * vr[j];
        }
        const f0 = tr * s0 - ti * s1;
        const f1 = tr * s1 + ti * s0;
        // M_ij −= f·conj(v_j)
        for (let j = k; j <= ihi; j++) {
          mat.re[i * n + j] -= f0 * vr[j] + f1 * vi[j];
          mat.im[i * n + j] -= f1 * vr[j] - f0 * vi[j];
        }
      }
    }
    h.re[k * n + k - 1] = beta;
    h.im[k * n + k - 1] = 0;
    for (let i = k + 1; i <= ihi; i++) {
      h.re[i * n + k - 1] = 0;
      h.im[i * n + k - 1] = 0;
    }
  }
}

/**
 * Complex single-shift QR on the Hessenberg `h` down to upper triangular T
 * (the Schur form, the transforms applied to the whole of h and accumulated
 * into z), as LAPACK's zlahqr (what zhseqr runs for small matrices), written
 * from its published description: subdiagonal kept real, deflation by the
 * Ahues–Tisseur test, Wilkinson shifts, exceptional shifts every 10
 * iterations without deflation, the step started at two consecutive small
 * subdiagonals. Following its steps gives LAPACK's order of the eigenvalues
 * on T's diagonal. Returns false when it did not converge.
 */
function complexSchur(h: CMat, z: CMat, n: number, ilo: number, ihi: number): boolean {
  const { re, im } = h;
  const cabs1 = (r: number, i: number) => Math.abs(r) + Math.abs(i);
  const hr = (i: number, j: number) => re[i * n + j];
  const hi_ = (i: number, j: number) => im[i * n + j];
  // row i, columns j0..j1, times (sr + i·si)
  const scaleRow = (m: CMat, i: number, j0: number, j1: number, sr: number, si: number) => {
    for (let j = j0; j <= j1; j++) {
      const a = m.re[i * n + j];
      const b = m.im[i * n + j];
      m.re[i * n + j] = a * sr - b * si;
      m.im[i * n + j] = a * si + b * sr;
    }
  };
  const scaleCol = (m: CMat, j: number, i0: number, i1: number, sr: number, si: number) => {
    for (let i = i0; i <= i1; i++) {
      const a = m.re[i * n + j];
      const b = m.im[i * n + j];
      m.re[i * n + j] = a * sr - b * si;
      m.im[i * n + j] = a * si + b * sr;
    }
  };
  if (ilo === ihi) return true;
  for (let j = ilo; j <= ihi - 3; j++) {
    for (const r of [j + 2, j + 3]) {
      re[r * n + j] = 0;
      im[r * n + j] = 0;
    }
  }
  if (ilo <= ihi - 2) {
    re[ihi * n + ihi - 2] = 0;
    im[ihi * n + ihi - 2] = 0;
  }
  // make the subdiagonal real
  for (let i = ilo + 1; i <= ihi; i++) {
    if (hi_(i, i - 1) !== 0) {
      const a = Math.hypot(hr(i, i - 1), hi_(i, i - 1));
      const sr = hr(i, i - 1) / a;
      const si = -hi_(i, i - 1) / a; // sc = conj(h)/|h|
      re[i * n + i - 1] = a;
      im[i * n + i - 1] = 0;
      scaleRow(h, i, i, n - 1, sr, si);
      scaleCol(h, i, 0, Math.min(n - 1, i + 1), sr, -si);
      scaleCol(z, i, 0, n - 1, sr, -si);
    }
  }
  const nh = ihi - ilo + 1;
  const smlnum = 2 ** -1022 * (nh / EPS);
  const itmax = 30 * Math.max(10, nh);
  let kdefl = 0;
  let i = ihi;
  while (i >= ilo) {
    let l = ilo;
    let converged = false;
    for (let its = 0; its <= itmax; its++) {
      let k = i;
      for (; k > l; k--) {
        if (cabs1(hr(k, k - 1), hi_(k, k - 1)) <= smlnum) break;
        let tst = cabs1(hr(k - 1, k - 1), hi_(k - 1, k - 1)) + cabs1(hr(k, k), hi_(k, k));
        if (tst === 0) {
          if (k - 2 >= ilo) tst += Math.abs(hr(k - 1, k - 2));
          if (k + 1 <= ihi) tst += Math.abs(hr(k + 1, k));
        }
        if (Math.abs(hr(k, k - 1)) <= EPS * tst) {
          const ab = Math.max(cabs1(hr(k, k - 1), hi_(k, k - 1)), cabs1(hr(k - 1, k), hi_(k - 1, k)));
          const ba = Math.min(cabs1(hr(k, k - 1), hi_(k, k - 1)), cabs1(hr(k - 1, k), hi_(k - 1, k)));
          const dr = hr(k - 1, k - 1) - hr(k, k);
          const di = hi_(k - 1, k - 1) - hi_(k, k);
          const aa = Math.max(cabs1(hr(k, k), hi_(k, k)), cabs1(dr, di));
          const bb = Math.min(cabs1(hr(k, k), hi_(k, k)), cabs1(dr, di));
          const s = aa + ab;
          if (ba * (ab / s) <= Math.max(smlnum, EPS * (bb * (aa / s)))) break;
        }
      }
      l = k;
      if (l > ilo) {
        re[l * n + l - 1] = 0;
        im[l * n + l - 1] = 0;
      }
      if (l >= i) {
        converged = true;
        break;
      }
      kdefl++;
      // the shift t
      let tr: number, ti: number;
      if (kdefl % 20 === 0) {
        const s = 0.75 * Math.abs(hr(i, i - 1));
        tr = s + hr(i, i);
        ti = hi_(i, i);
      } else if (kdefl % 10 === 0) {
        const s = 0.75 * Math.abs(hr(l + 1, l));
        tr = s + hr(l, l);
        ti = hi_(l, l);
      } else {
        tr = hr(i, i);
        ti = hi_(i, i);
        // u = sqrt(h(i−1, i))·sqrt(h(i, i−1))
        const [ar, ai] = csqrt(hr(i - 1, i), hi_(i - 1, i));
        const [br, bi] = csqrt(hr(i, i - 1), hi_(i, i - 1));
        const ur = ar * br - ai * bi;
        const ui = ar * bi + ai * br;
        let s = cabs1(ur, ui);
        if (s !== 0) {
          const xr = 0.5 * (hr(i - 1, i - 1) - tr);
          const xi = 0.5 * (hi_(i - 1, i - 1) - ti);
          const sx = cabs1(xr, xi);
          s = Math.max(s, sx);
          // y = s·sqrt((x/s)² + (u/s)²)
          const qr = (xr / s) ** 2 - (xi / s) ** 2 + (ur / s) ** 2 - (ui / s) ** 2;
          const qi = 2 * (xr / s) * (xi / s) + 2 * (ur / s) * (ui / s);
          let [yr, yi] = csqrt(qr, qi);
          yr *= s;
          yi *= s;
          if (sx > 0 && (xr / sx) * yr + (xi / sx) * yi < 0) {
            yr = -yr;
            yi = -yi;
          }
          // t −= u·(u/(x + y))
          const [dr, di] = cdiv(ur, ui, xr + yr, xi + yi);
          tr -= ur * dr - ui * di;
          ti -= ur * di + ui * dr;
        }
      }
      // two consecutive small subdiagonals: where the step starts
      let m = i - 1;
      let v1r = 0, v1i = 0, v2 = 0;
      for (; ; m--) {
        const h11r = hr(m, m);
        const h11i = hi_(m, m);
        const h22r = hr(m + 1, m + 1);
        const h22i = hi_(m + 1, m + 1);
        let sr = h11r - tr;
        let si = h11i - ti;
        let h21 = hr(m + 1, m);
        const s = cabs1(sr, si) + Math.abs(h21);
        sr /= s;
        si /= s;
        h21 /= s;
        v1r = sr;
        v1i = si;
        v2 = h21;
        if (m === l) break;
        const h10 = hr(m, m - 1);
        if (Math.abs(h10) * Math.abs(h21) <= EPS * (cabs1(sr, si) * (cabs1(h11r, h11i) + cabs1(h22r, h22i)))) break;
      }
      // the single-shift QR step
      let vr0 = v1r, vi0 = v1i, vr1 = v2, vi1 = 0;
      for (let kk = m; kk <= i - 1; kk++) {
        if (kk > m) {
          vr0 = hr(kk, kk - 1);
          vi0 = hi_(kk, kk - 1);
          vr1 = hr(kk + 1, kk - 1);
          vi1 = hi_(kk + 1, kk - 1);
        }
        // zlarfg on (v0, v1)
        let t1r = 0, t1i = 0;
        const xnorm = Math.hypot(vr1, vi1);
        if (!(xnorm === 0 && vi0 === 0)) {
          const beta = -(vr0 >= 0 ? 1 : -1) * Math.hypot(vr0, vi0, xnorm);
          t1r = (beta - vr0) / beta;
          t1i = -vi0 / beta;
          const [sr, si] = cdiv(1, 0, vr0 - beta, vi0);
          const a = vr1;
          vr1 = a * sr - vi1 * si;
          vi1 = a * si + vi1 * sr;
          vr0 = beta;
          vi0 = 0;
        }
        if (kk > m) {
          re[kk * n + kk - 1] = vr0;
          im[kk * n + kk - 1] = vi0;
          re[(kk + 1) * n + kk - 1] = 0;
          im[(kk + 1) * n + kk - 1] = 0;
        }
        // t2 = Re(t1·v2)
        const t2 = t1r * vr1 - t1i * vi1;
        for (let j = kk; j < n; j++) {
          // sum = conj(t1)·h(k, j) + t2·h(k+1, j)
          const ar = hr(kk, j), ai = hi_(kk, j), br = hr(kk + 1, j), bi = hi_(kk + 1, j);
          const sr = t1r * ar + t1i * ai + t2 * br;
          const si = t1r * ai - t1i * ar + t2 * bi;
          re[kk * n + j] = ar - sr;
          im[kk * n + j] = ai - si;
          // h(k+1, j) −= sum·v2
          re[(kk + 1) * n + j] = br - (sr * vr1 - si * vi1);
          im[(kk + 1) * n + j] = bi - (sr * vi1 + si * vr1);
        }
        for (const [mat, rows] of [[h, Math.min(kk + 2, i)], [z, n - 1]] as [CMat, number][]) {
          for (let j = 0; j <= rows; j++) {
            // sum = t1·m(j, k) + t2·m(j, k+1); m(j, k) −= sum; m(j, k+1) −= sum·conj(v2)
            const ar = mat.re[j * n + kk], ai = mat.im[j * n + kk], br = mat.re[j * n + kk + 1], bi = mat.im[j * n + kk + 1];
            const sr = t1r * ar - t1i * ai + t2 * br;
            const si = t1r * ai + t1i * ar + t2 * bi;
            mat.re[j * n + kk] = ar - sr;
            mat.im[j * n + kk] = ai - si;
            mat.re[j * n + kk + 1] = br - (sr * vr1 + si * vi1);
            mat.im[j * n + kk + 1] = bi - (si * vr1 - sr * vi1);
          }
        }
        if (kk === m && m > l) {
          // the step began below a small subdiagonal: rescale so that h(m, m−1) stays real
          let pr = 1 - t1r;
          let pi = -t1i;
          const pa = Math.hypot(pr, pi);
          pr /= pa;
          pi /= pa;
          {
            const a = hr(m + 1, m), b = hi_(m + 1, m);
            re[(m + 1) * n + m] = a * pr + b * pi;
            im[(m + 1) * n + m] = b * pr - a * pi;
          }
          if (m + 2 <= i) {
            const a = hr(m + 2, m + 1), b = hi_(m + 2, m + 1);
            re[(m + 2) * n + m + 1] = a * pr - b * pi;
            im[(m + 2) * n + m + 1] = a * pi + b * pr;
          }
          for (let j = m; j <= i; j++) {
            if (j === m + 1) continue;
            if (n - 1 > j) scaleRow(h, j, j + 1, n - 1, pr, pi);
            scaleCol(h, j, 0, j - 1, pr, -pi);
            scaleCol(z, j, 0, n - 1, pr, -pi);
          }
        }
      }
      // h(i, i−1) real again
      if (hi_(i, i - 1) !== 0) {
        const a = Math.hypot(hr(i, i - 1), hi_(i, i - 1));
        const pr = hr(i, i - 1) / a;
        const pi = hi_(i, i - 1) / a;
        re[i * n + i - 1] = a;
        im[i * n + i - 1] = 0;
        if (n - 1 > i) scaleRow(h, i, i + 1, n - 1, pr, -pi);
        scaleCol(h, i, 0, i - 1, pr, pi);
        scaleCol(z, i, 0, n - 1, pr, pi);
      }
    }
    if (!converged) return false;
    kdefl = 0;
    i = l - 1;
  }
  return true;
}

/** The principal square root of a + b·i. */
function csqrt(a: number, b: number): [number, number] {
  const m = Math.hypot(a, b);
  if (m === 0) return [0, 0];
  const r = Math.sqrt((m + Math.abs(a)) / 2);
  return a >= 0 ? [r, b / (2 * r)] : [Math.abs(b) / (2 * r), b >= 0 ? r : -r];
}

/** Eigenvectors of the upper triangular T (n×n) by back-substitution, mapped back through z: V = Z·Y. */
function triangularEigenvectors(t: CMat, z: CMat, n: number): CMat {
  let norm = 0;
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) norm = Math.max(norm, Math.abs(t.re[i * n + j]) + Math.abs(t.im[i * n + j]));
  const small = Math.max(EPS * norm, Number.MIN_VALUE);
  const yr = new Float64Array(n);
  const yi = new Float64Array(n);
  const v: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let k = 0; k < n; k++) {
    yr.fill(0);
    yi.fill(0);
    yr[k] = 1;
    const lr = t.re[k * n + k];
    const li = t.im[k * n + k];
    for (let i = k - 1; i >= 0; i--) {
      let sr = 0;
      let si = 0;
      for (let j = i + 1; j <= k; j++) {
        sr += t.re[i * n + j] * yr[j] - t.im[i * n + j] * yi[j];
        si += t.re[i * n + j] * yi[j] + t.im[i * n + j] * yr[j];
      }
      let dr = t.re[i * n + i] - lr;
      let di = t.im[i * n + i] - li;
      if (Math.abs(dr) + Math.abs(di) < small) {
        dr = small;
        di = 0;
      }
      [yr[i], yi[i]] = cdiv(-sr, -si, dr, di);
      // rescale against overflow
      const big = Math.abs(yr[i]) + Math.abs(yi[i]);
      if (big > 1e100) for (let j = i; j <= k; j++) {
        yr[j] /= big;
        yi[j] /= big;
      }
    }
    for (let i = 0; i < n; i++) {
      let sr = 0;
      let si = 0;
      for (let j = 0; j <= k; j++) {
        sr += z.re[i * n + j] * yr[j] - z.im[i * n + j] * yi[j];
        si += z.re[i * n + j] * yi[j] + z.im[i * n + j] * yr[j];
      }
      v.re[i * n + k] = sr;
      v.im[i * n + k] = si;
    }
  }
  return v;
}

/**
 * The eigendecomposition of one complex n×n matrix `a` (destroyed): the
 * eigenvalues in LAPACK's order and, when asked, the right eigenvectors
 * (geev's normalization); null when the QR iterations did not converge.
 */
export function complexEig(a: CMat, n: number, vectors: boolean): { w: CMat; v: CMat | null } | null {
  const { ilo, ihi, scale } = balance(a, n);
  const z: CMat = { re: new Float64Array(n * n), im: new Float64Array(n * n) };
  complexHessenberg(a, z, n, ilo, ihi);
  if (!complexSchur(a, z, n, ilo, ihi)) return null;
  const w: CMat = { re: new Float64Array(n), im: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    w.re[i] = a.re[i * n + i];
    w.im[i] = a.im[i * n + i];
  }
  if (!vectors) return { w, v: null };
  const v = triangularEigenvectors(a, z, n);
  unbalance(v, n, n, ilo, ihi, scale);
  normalizeColumns(v, n);
  return { w, v };
}

/** The linalg_eig_complex routine: outputs [w, vl?, vr?] (complex), as lax.linalg.eig's abstract eval for a complex operand. */
const eig: Routine = ([x], _in, outTypes, params) => {
  const { batch, n, left, right } = params as { batch: number; n: number; left: boolean; right: boolean };
  const outs = allocateOuts(outTypes);
  const [wOut] = outs;
  const vlOut = left ? outs[1] : null;
  const vrOut = right ? outs[left ? 2 : 1] : null;
  for (let b = 0; b < batch; b++) {
    const a = readComplex(x, b, n * n);
    const r = allFinite(a) ? complexEig(a, n, left || right) : null;
    if (!r) {
      wOut.fill(NaN, 2 * b * n, 2 * (b + 1) * n);
      for (const o of [vlOut, vrOut]) if (o) o.fill(NaN, 2 * b * n * n, 2 * (b + 1) * n * n);
      continue;
    }
    writeComplex(wOut, b, n, r.w);
    if (!r.v) continue;
    if (vrOut) writeComplex(vrOut, b, n * n, r.v);
    if (vlOut) {
      const vl = leftEigenvectors(r.v, n);
      writeComplex(vlOut, b, n * n, vl);
    }
  }
  return outs;
};

/** The complex spectral routines by the names src/lax/linalg.ts and linalg-eig.ts lower complex operands to. */
export const cpuComplexSpectralRoutines = {
  linalg_qr_complex: qr,
  linalg_eigh_complex: eigh,
  linalg_svd_complex: svd,
  linalg_eig_complex: eig,
};

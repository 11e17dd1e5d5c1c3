/**
 * The CPU's linear-algebra routines (src/lax/linalg.ts lowers to them): one
 * call factors a whole batch of matrices, each row-major in the last two axes.
 * Every routine copies a matrix into a Float64Array, works in double
 * precision whatever the storage dtype (float32 results are then rounded
 * once, on store), and writes fresh outputs. Plain loops for small
 * matrices; from BLOCKED_MIN_N on, LU and Cholesky are blocked
 * (linalg-blocked.ts: trailing updates through the Wasm SIMD matmul, in
 * float32 storage for float32 as LAPACK's sgetrf/spotrf), and so is QR from
 * linalgPaths' sizes on (linalg-qr-blocked.ts; float32 as sgeqrf).
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BufferType } from "../device.js";
import { BLOCKED_MIN_N, choleskyBlocked, luBlocked, luColumns } from "./linalg-blocked.js";
import { eigRoutine } from "./linalg-eig.js";
import { tridiagonalEigh } from "./linalg-tridiagonal.js";
import { bidiagonalSvdTall } from "./linalg-bidiagonal.js";
import { householderQrBlocked } from "./linalg-qr-blocked.js";
import { applyReflector, householderReflector } from "./linalg-reflector.js";
import { cpuComplexLuRoutines } from "./linalg-complex-lu.js";

type LinalgRoutine = (inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[], params: Record<string, unknown>) => TypedArray[];

const allocateOut = (t: BufferType) => allocate(t.dtype, sizeOf(t.shape));

/**
 * The sizes from which eigh, svd and qr leave the small-matrix algorithms:
 * eigh from n = eighMinN on reduces to tridiagonal form (linalg-tridiagonal.ts)
 * instead of cyclic Jacobi; svd from min(m, n) = svdMinK on bidiagonalizes
 * (linalg-bidiagonal.ts) instead of one-sided Jacobi; qr from min(m, n) =
 * qrMinK on is blocked (linalg-qr-blocked.ts, the same factors; in float64
 * JavaScript products it wins only from a few hundred on: bench/linalg-micro.ts
 * measured 0.1× at 128, ~0.9× at 256, ~1.5× at 512). A float32 input is
 * blocked from qrMinKFloat32 on instead, in float32 storage with the Wasm SIMD
 * products (as sgeqrf, JAX's float32 accuracy), which wins much sooner:
 * `bench/linalg-micro.ts qr32` measured it against the unblocked float64 loops
 * (ratios on a loaded machine): 1.0–1.1× at 48, 1.4–1.6× at 64 when warm but
 * 0.84–0.97× in the benchmark's colder default mode, ~2× at 96–128 in both,
 * 4–8× at 384–512. 96, as LU's and Cholesky's BLOCKED_MIN_N: a clear win
 * from the first call on. Mutable for the tests and benchmarks that compare
 * the paths (Infinity: always the small path).
 */
export const linalgPaths = { eighMinN: 32, svdMinK: 32, qrMinK: 384, qrMinKFloat32: 96 };

/** Cholesky of the lower triangle: L with L·Lᵀ = A; NaNs everywhere for a matrix that is not positive definite (as JAX). */
export function choleskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
    for (let c = j + 1; c < n; c++) a[j * n + c] = 0;
  }
  return true;
}

const cholesky: LinalgRoutine = ([x], _in, [outType], params) => {
  const { batch, n } = params as { batch: number; n: number };
  const out = allocateOut(outType);
  // large matrices: blocked, in the storage's precision (linalg-blocked.ts)
  const blocked = n >= BLOCKED_MIN_N;
  const a = blocked && x instanceof Float32Array ? new Float32Array(n * n) : new Float64Array(n * n);
  for (let b = 0; b < batch; b++) {
    const o = b * n * n;
    for (let i = 0; i < n * n; i++) a[i] = x[o + i];
    if (blocked ? choleskyBlocked(a, n) : choleskyInPlace(a as Float64Array, n)) for (let i = 0; i < n * n; i++) out[o + i] = a[i];
    else for (let i = 0; i < n * n; i++) out[o + i] = NaN;
  }
  return [out];
};

/**
 * op(A)·X = B (left) or X·op(A) = B (right) for a triangular A (m×m; only
 * its triangle is read), B of m×n (left) or n×m (right). Every case reduces
 * to substitution with a matrix T (= op(A) or op(A)ᵀ) that is lower or upper
 * triangular, applied to each right-hand-side vector.
 */
const triangularSolve: LinalgRoutine = ([A, B], _in, [outType], params) => {
  const { batch, m, n, leftSide, lower, transposeA, unitDiagonal } = params as {
    batch: number; m: number; n: number; leftSide: boolean; lower: boolean; transposeA: boolean; unitDiagonal: boolean;
  };
  const out = allocateOut(outType);
  // T = op(A) for the left side; op(A)ᵀ for the right (x·op(A) = b ⇔ op(A)ᵀ·xᵀ = bᵀ)
  const transposeT = leftSide ? transposeA : !transposeA;
  const tLower = transposeT ? !lower : lower;
  const a = new Float64Array(m * m);
  // the right-hand sides as the n columns of an m×n matrix: substitution works on its rows, contiguous
  const x = new Float64Array(m * n);
  for (let bi = 0; bi < batch; bi++) {
    const ao = bi * m * m;
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) a[i * m + j] = transposeT ? A[ao + j * m + i] : A[ao + i * m + j];
    const bo = bi * m * n;
    if (leftSide) for (let i = 0; i < m * n; i++) x[i] = B[bo + i];
    else for (let r = 0; r < n; r++) for (let i = 0; i < m; i++) x[i * n + r] = B[bo + r * m + i];
    for (let s = 0; s < m; s++) {
      const i = tLower ? s : m - 1 - s;
      const xi = i * n;
      const [k0, k1] = tLower ? [0, i] : [i + 1, m];
      for (let k = k0; k < k1; k++) {
        const t = a[i * m + k]; // no skipping t = 0: 0·inf and 0·NaN stay NaN, as substitution gave before
        const xk = k * n;
        for (let r = 0; r < n; r++) x[xi + r] -= t * x[xk + r];
      }
      if (!unitDiagonal) {
        const d = a[i * m + i];
        for (let r = 0; r < n; r++) x[xi + r] /= d;
      }
    }
    if (leftSide) for (let i = 0; i < m * n; i++) out[bo + i] = x[i];
    else for (let r = 0; r < n; r++) for (let i = 0; i < m; i++) out[bo + r * m + i] = x[i * n + r];
  }
  return [out];
};

/** LU with partial pivoting (LAPACK getrf's choice: the first largest |pivot|); fills `pivots` (k) and `perm` (m). */
export function luInPlace(a: Float64Array, m: number, n: number, pivots: Int32Array | number[], perm: Int32Array | number[]): void {
  const k = Math.min(m, n);
  for (let i = 0; i < m; i++) perm[i] = i;
  luColumns(a, m, n, 0, k, n, pivots, perm);
}

const lu: LinalgRoutine = ([x], _in, outTypes, params) => {
  const { batch, m, n } = params as { batch: number; m: number; n: number };
  const [out, piv, perm] = outTypes.map(allocateOut);
  const k = Math.min(m, n);
  const blocked = Math.min(m, n) >= BLOCKED_MIN_N;
  const a = blocked && x instanceof Float32Array ? new Float32Array(m * n) : new Float64Array(m * n);
  const p = new Int32Array(k);
  const q = new Int32Array(m);
  for (let b = 0; b < batch; b++) {
    const o = b * m * n;
    for (let i = 0; i < m * n; i++) a[i] = x[o + i];
    if (blocked) luBlocked(a, m, n, p, q);
    else luInPlace(a as Float64Array, m, n, p, q);
    for (let i = 0; i < m * n; i++) out[o + i] = a[i];
    piv.set(p, b * k);
    perm.set(q, b * m);
  }
  return [out, piv, perm];
};

/**
 * Householder QR of an m×n matrix, LAPACK's convention (geqrf + orgqr):
 * reflector j maps column j below the diagonal to β·e_j with
 * β = -sign(α)·‖x‖ (α the diagonal entry, sign(0) = +), and is the identity
 * (τ = 0) where the column below the diagonal is already zero.
 * Column-major (element (i, j) of `a` at a[j·m + i]), so that every reflector
 * streams through contiguous columns. On return `a` holds R in its upper
 * triangle, and `q` (column-major, m × cols) Q for cols = m (full) or min(m, n).
 */
export function householderQr(a: Float64Array, m: number, n: number, cols: number, q: Float64Array): void {
  const k = Math.min(m, n);
  const taus = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const cj = j * m;
    let xnorm = 0;
    for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, a[cj + i]);
    const tau = (taus[j] = householderReflector(a, cj, j, m, xnorm));
    if (tau === 0) continue;
    applyReflector(a, cj, j, m, tau, j + 1, n); // to the remaining columns
  }
  // Q = H_0 ⋯ H_{k-1} applied to the first `cols` columns of the identity, last reflector first;
  // columns c < j are still e_c when H_j comes (zero in rows ≥ j): H_j leaves them alone
  q.fill(0);
  for (let i = 0; i < Math.min(m, cols); i++) q[i * m + i] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const tau = taus[j];
    if (tau === 0) continue;
    const cj = j * m;
    for (let c = Math.min(j, cols); c < cols; c++) {
      const cc = c * m;
      let s = q[cc + j];
      for (let i = j + 1; i < m; i++) s += a[cj + i] * q[cc + i];
      s *= tau;
      q[cc + j] -= s;
      for (let i = j + 1; i < m; i++) q[cc + i] -= s * a[cj + i];
    }
  }
}

const qr: LinalgRoutine = ([x], _in, [qType, rType], params) => {
  const { batch, m, n, fullMatrices } = params as { batch: number; m: number; n: number; fullMatrices: boolean };
  const qOut = allocateOut(qType);
  const rOut = allocateOut(rType);
  const cols = fullMatrices ? m : Math.min(m, n);
  // a float32 input from qrMinKFloat32 on: blocked in float32 storage, the products through the Wasm SIMD matmul
  // (as sgeqrf); every other one in float64, blocked from qrMinK on
  const isF32 = x instanceof Float32Array;
  const blocked = Math.min(m, n) >= (isF32 ? linalgPaths.qrMinKFloat32 : linalgPaths.qrMinK);
  const f32 = isF32 && blocked;
  const a = f32 ? new Float32Array(m * n) : new Float64Array(m * n);
  const q = f32 ? new Float32Array(m * cols) : new Float64Array(m * cols);
  for (let b = 0; b < batch; b++) {
    const o = b * m * n;
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[j * m + i] = x[o + i * n + j];
    if (blocked) householderQrBlocked(a, m, n, cols, q);
    else householderQr(a as Float64Array, m, n, cols, q as Float64Array);
    const qo = b * m * cols;
    for (let i = 0; i < m; i++) for (let c = 0; c < cols; c++) qOut[qo + i * cols + c] = q[c * m + i];
    const ro = b * cols * n;
    for (let i = 0; i < cols; i++) for (let j = 0; j < n; j++) rOut[ro + i * n + j] = j >= i && i < m ? a[j * m + i] : 0;
  }
  return [qOut, rOut];
};

/**
 * Cyclic Jacobi eigenvalue iteration on a symmetric n×n matrix (both
 * triangles filled): rotations zero one off-diagonal pair at a time until
 * the off-diagonal part is negligible. Slow for large n, but accurate to
 * the last bits for small ones (relative accuracy of the eigenvalues).
 * On return `a`'s diagonal holds the eigenvalues and `v` (row-major)
 * the eigenvectors in its columns.
 */
export function jacobiEigh(a: Float64Array, n: number, v: Float64Array): void {
  v.fill(0);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const e = a[i * n + j] * a[i * n + j];
        total += e;
        if (i !== j) off += e;
      }
    }
    if (!(off > 1e-32 * total) || !Number.isFinite(total)) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const app = a[p * n + p];
        const aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J with J the rotation in the (p, q) plane
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        a[p * n + q] = 0;
        a[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
}

const eigh: LinalgRoutine = ([x], _in, [vType, wType], params) => {
  const { batch, n, lower, sortEigenvalues } = params as { batch: number; n: number; lower: boolean; sortEigenvalues: boolean };
  const vOut = allocateOut(vType);
  const wOut = allocateOut(wType);
  const a = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let b = 0; b < batch; b++) {
    const o = b * n * n;
    // the matrix is the chosen triangle mirrored
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) {
        const e = lower ? x[o + i * n + j] : x[o + j * n + i];
        a[i * n + j] = e;
        a[j * n + i] = e;
      }
    }
    if (!a.every(Number.isFinite)) {
      // as JAX (LAPACK): a NaN or inf anywhere makes every output NaN, never a plausible-looking answer
      vOut.fill(NaN, o, o + n * n);
      wOut.fill(NaN, b * n, (b + 1) * n);
      continue;
    }
    if (n >= linalgPaths.eighMinN) {
      // Householder tridiagonalization + implicit QR: ascending eigenvalues, eigenvectors in v's columns
      const w = new Float64Array(n);
      tridiagonalEigh(a, n, w, v);
      wOut.set(w, b * n);
      for (let i = 0; i < n * n; i++) vOut[o + i] = v[i];
      continue;
    }
    jacobiEigh(a, n, v);
    for (let i = 0; i < n; i++) order[i] = i;
    // NaNs (from a non-finite input) last, as a sort puts them
    if (sortEigenvalues) order.sort((i, j) => a[i * n + i] - a[j * n + j] || (Number.isNaN(a[i * n + i]) ? 1 : 0) - (Number.isNaN(a[j * n + j]) ? 1 : 0));
    for (let c = 0; c < n; c++) {
      const src = order[c];
      wOut[b * n + c] = a[src * n + src];
      for (let r = 0; r < n; r++) vOut[o + r * n + c] = v[r * n + src];
    }
  }
  return [vOut, wOut];
};

/**
 * Makes the columns of `u` (rows × cols, row-major) orthonormal, in order,
 * keeping the first `keep` columns' directions: each column is
 * orthogonalized against the previous ones twice (Gram–Schmidt with
 * re-orthogonalization); a column that vanishes (a zero singular value, or
 * a column beyond the data) is replaced by the unit vector e_i whose
 * remainder is largest.
 */
function orthonormalize(u: Float64Array, rows: number, cols: number): void {
  const col = new Float64Array(rows);
  for (let c = 0; c < cols; c++) {
    for (let i = 0; i < rows; i++) col[i] = u[i * cols + c];
    let norm0 = 0;
    for (let i = 0; i < rows; i++) norm0 = Math.hypot(norm0, col[i]);
    const project = () => {
      for (let pass = 0; pass < 2; pass++) {
        for (let d = 0; d < c; d++) {
          let s = 0;
          for (let i = 0; i < rows; i++) s += u[i * cols + d] * col[i];
          for (let i = 0; i < rows; i++) col[i] -= s * u[i * cols + d];
        }
      }
      let nrm = 0;
      for (let i = 0; i < rows; i++) nrm = Math.hypot(nrm, col[i]);
      return nrm;
    };
    let nrm = norm0 > 0 ? project() : 0;
    if (!(nrm > 0.5 * norm0) || norm0 === 0) {
      // a fresh direction: the unit vector least covered by the columns so far
      let bestI = 0;
      let best = -1;
      for (let i = 0; i < rows; i++) {
        let covered = 0;
        for (let d = 0; d < c; d++) covered += u[i * cols + d] * u[i * cols + d];
        if (1 - covered > best) {
          best = 1 - covered;
          bestI = i;
        }
      }
      col.fill(0);
      col[bestI] = 1;
      nrm = project();
    }
    for (let i = 0; i < rows; i++) u[i * cols + c] = col[i] / nrm;
  }
}

/**
 * One-sided Jacobi SVD (Hestenes) of a tall m×n matrix (m ≥ n), given
 * column-major (element (i, j) at a[j·m + i], so that the rotations stream
 * through contiguous columns): plane rotations from the right make the
 * columns of A·V mutually orthogonal; their norms are the singular values.
 * Accurate (high relative accuracy), O(n²·m) per sweep. Returns s
 * (descending), U (m × uCols, orthonormal, completed beyond the rank) and
 * V (n × n) row-major.
 */
export function jacobiSvdTall(a: Float64Array, m: number, n: number, uCols: number): { s: Float64Array; u: Float64Array; v: Float64Array } {
  const w = a; // columns rotate in place
  const v = new Float64Array(n * n); // column-major too: column j at v[j·n]
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  // the squared column norms, recomputed each sweep and carried through each rotation exactly as
  // it changes them (‖p‖² − t·γ, ‖q‖² + t·γ): one dot product per pair instead of three
  const sq = new Float64Array(n);
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let j = 0; j < n; j++) {
      let t = 0;
      for (let i = 0; i < m; i++) t += w[j * m + i] * w[j * m + i];
      sq[j] = t;
    }
    for (let p = 0; p < n - 1; p++) {
      const cp = p * m;
      for (let q = p + 1; q < n; q++) {
        const cq = q * m;
        const alpha = sq[p];
        const beta = sq[q];
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += w[cp + i] * w[cq + i];
        if (!(Math.abs(gamma) > 1e-15 * Math.sqrt(alpha * beta)) || gamma === 0) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        sq[p] = alpha - t * gamma;
        sq[q] = beta + t * gamma;
        for (let i = 0; i < m; i++) {
          const x = w[cp + i];
          const y = w[cq + i];
          w[cp + i] = c * x - s * y;
          w[cq + i] = s * x + c * y;
        }
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = v[vp + i];
          const y = v[vq + i];
          v[vp + i] = c * x - s * y;
          v[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // scaled sum of squares (as hypot, without its cost per element)
    let big = 0;
    for (let i = 0; i < m; i++) big = Math.max(big, Math.abs(w[j * m + i]));
    if (big === 0 || !Number.isFinite(big)) {
      norms[j] = big === 0 ? 0 : Math.abs(big);
      continue;
    }
    let ss = 0;
    for (let i = 0; i < m; i++) {
      const r = w[j * m + i] / big;
      ss += r * r;
    }
    norms[j] = big * Math.sqrt(ss);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => norms[j] - norms[i] || (Number.isNaN(norms[i]) ? 1 : 0) - (Number.isNaN(norms[j]) ? 1 : 0));
  const s = new Float64Array(n);
  const u = new Float64Array(m * uCols);
  const vs = new Float64Array(n * n);
  order.forEach((src, c) => {
    s[c] = norms[src];
    const inv = norms[src] > 0 ? 1 / norms[src] : 0;
    for (let i = 0; i < m; i++) u[i * uCols + c] = w[src * m + i] * inv;
    for (let i = 0; i < n; i++) vs[i * n + c] = v[src * n + i];
  });
  orthonormalize(u, m, uCols);
  return { s, u, v: vs };
}

const svd: LinalgRoutine = ([x], _in, outTypes, params) => {
  const { batch, m, n, fullMatrices, computeUv } = params as { batch: number; m: number; n: number; fullMatrices: boolean; computeUv: boolean };
  const outs = outTypes.map(allocateOut);
  const k = Math.min(m, n);
  const tall = m >= n;
  // a wide matrix is done as its transpose: Aᵀ = V·S·Uᵀ
  const [rows, cols] = tall ? [m, n] : [n, m];
  const uCols = fullMatrices ? rows : k;
  const a = new Float64Array(m * n);
  for (let b = 0; b < batch; b++) {
    const o = b * m * n;
    // column-major rows×cols: the matrix (tall) or its transpose (wide)
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) a[tall ? j * m + i : i * n + j] = x[o + i * n + j];
    if (!a.every(Number.isFinite)) {
      // as JAX: a NaN or inf anywhere makes every output NaN
      outs[0].fill(NaN, b * k, (b + 1) * k);
      if (computeUv) {
        outs[1].fill(NaN, b * m * (tall ? uCols : m), (b + 1) * m * (tall ? uCols : m));
        outs[2].fill(NaN, b * (tall ? n : uCols) * n, (b + 1) * (tall ? n : uCols) * n);
      }
      continue;
    }
    if (k >= linalgPaths.svdMinK) {
      // Householder bidiagonalization + Golub–Kahan QR, on the row-major rows×cols matrix (A or Aᵀ)
      const t = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) t[tall ? i * n + j : j * m + i] = x[o + i * n + j];
      const r = bidiagonalSvdTall(t, rows, cols, uCols, computeUv);
      outs[0].set(r.s, b * k);
      if (!computeUv) continue;
      const [uOut, vtOut] = [outs[1], outs[2]];
      if (tall) {
        // U (m × uCols) from its columns r.ut; Vᵀ = r.vt
        const uo = b * m * uCols;
        for (let c = 0; c < uCols; c++) for (let i = 0; i < m; i++) uOut[uo + i * uCols + c] = r.ut[c * m + i];
        vtOut.set(r.vt, b * n * n);
      } else {
        // Aᵀ = U'·S·V'ᵀ: U = V' = r.vtᵀ (m × m), Vᵀ = U'ᵀ = r.ut (uCols × n)
        const uo = b * m * m;
        for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) uOut[uo + i * m + j] = r.vt[j * m + i];
        vtOut.set(r.ut, b * uCols * n);
      }
      continue;
    }
    const r = jacobiSvdTall(a, rows, cols, uCols);
    outs[0].set(r.s, b * k);
    if (!computeUv) continue;
    const [uOut, vtOut] = [outs[1], outs[2]];
    if (tall) {
      // U = r.u (m × uCols); Vᵀ = r.vᵀ (n × n, k = n)
      uOut.set(r.u, b * m * uCols);
      const vo = b * n * n;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vtOut[vo + i * n + j] = r.v[j * n + i];
    } else {
      // U = r.v (m × m, k = m); Vᵀ = r.uᵀ (uCols × n)
      uOut.set(r.v, b * m * m);
      const vo = b * uCols * n;
      for (let i = 0; i < uCols; i++) for (let j = 0; j < n; j++) vtOut[vo + i * n + j] = r.u[j * uCols + i];
    }
  }
  return outs;
};

/**
 * The complex routine (linalg-complex-lu.ts) for complex operands, the real one otherwise. Buffers
 * reach routines as their storage (a complex array as float pairs, a trailing axis of 2), so a complex
 * first operand is one of twice the elements its matrix parameters give.
 */
const complexOr = (c: LinalgRoutine, r: LinalgRoutine, elements: (p: Record<string, unknown>) => number): LinalgRoutine => (inputs, inTypes, outTypes, params) =>
  (elements(params) > 0 && sizeOf(inTypes[0].shape) === 2 * elements(params) ? c : r)(inputs, inTypes, outTypes, params);
type Dims = { batch: number; m: number; n: number };

/** The routines by the names src/lax/linalg.ts lowers to. */
export const cpuLinalgRoutines = {
  linalg_cholesky: complexOr(cpuComplexLuRoutines.cholesky, cholesky, (p) => (p as Dims).batch * (p as Dims).n ** 2),
  linalg_triangular_solve: complexOr(cpuComplexLuRoutines.triangularSolve, triangularSolve, (p) => (p as Dims).batch * (p as Dims).m ** 2),
  linalg_lu: complexOr(cpuComplexLuRoutines.lu, lu, (p) => (p as Dims).batch * (p as Dims).m * (p as Dims).n),
  linalg_qr: qr,
  linalg_eigh: eigh,
  linalg_svd: svd,
  linalg_eig: eigRoutine,
};

/**
 * Blocked right-looking LU and Cholesky for large matrices on the CPU (the
 * routines of linalg.ts call them from BLOCKED_MIN_N on): a narrow panel of
 * NB columns is factored with the plain loops, and the trailing matrix is
 * updated with one matrix product per panel, where almost all the work is.
 *
 * The product is WebAssembly SIMD's (matmul-wasm.ts, the kernel dot_general
 * uses) when the matrix is float32: the factorization then works in float32
 * storage as LAPACK's sgetrf/spotrf do, with JAX's float32 accuracy. A
 * float64 matrix stays in float64 and the product is a cache-friendly
 * JavaScript loop (rows of C and B contiguous), so float64 keeps its ~1e-15
 * relative rounding.
 */
import { matmulWasm, wasmMatmulEligible } from "./matmul-wasm.js";

export type Work = Float32Array | Float64Array;

/** Panel width: the trailing update's inner dimension. */
export const NB = 32;
/** Matrices at least this big take the blocked path. */
export const BLOCKED_MIN_N = 96;

/**
 * C[m×n] −= A[m×k]·B[k×n] on row-major views: element (i, j) of X is
 * x[xo + i·ldx + j]. C may share its buffer with A and B (disjoint regions).
 * Returns whether the product was the Wasm SIMD kernel's (float32 only).
 */
export function gemmSub(
  c: Work, co: number, ldc: number,
  a: Work, ao: number, lda: number,
  b: Work, bo: number, ldb: number,
  m: number, n: number, k: number,
): boolean {
  if (m === 0 || n === 0 || k === 0) return false;
  if (c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array && wasmMatmulEligible(m, n, k)) {
    const t = new Float32Array(m * n); // per call: nothing the size of the largest matrix stays allocated
    const args = { batch: 1, m, n, k, lhsStrides: [0, lda, 1], rhsStrides: [0, ldb, 1], lhsOffset: ao, rhsOffset: bo };
    if (matmulWasm(a, b, t, args)) {
      for (let i = 0; i < m; i++) {
        const r = co + i * ldc;
        const s = i * n;
        for (let j = 0; j < n; j++) c[r + j] -= t[s + j];
      }
      return true;
    }
  }
  // i-p-j: a row of C and a row of B stream contiguously; four p at a time
  for (let i = 0; i < m; i++) {
    const r = co + i * ldc;
    const ar = ao + i * lda;
    let p = 0;
    for (; p + 3 < k; p += 4) {
      const a0 = a[ar + p], a1 = a[ar + p + 1], a2 = a[ar + p + 2], a3 = a[ar + p + 3];
      const b0 = bo + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
      for (let j = 0; j < n; j++) c[r + j] -= a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
    }
    for (; p < k; p++) {
      const av = a[ar + p];
      const b0 = bo + p * ldb;
      for (let j = 0; j < n; j++) c[r + j] -= av * b[b0 + j];
    }
  }
  return false;
}

/**
 * Partial-pivot LU (LAPACK getrf's choice: the first largest |pivot|) of
 * columns [j0, j1) of the m×n row-major `a`: whole rows are swapped, `pivots`
 * and `perm` record it, and the rank-1 updates reach column `cols` (n for an
 * unblocked factorization, the panel's end for a blocked one). A zero pivot (a
 * singular matrix) leaves its column as is, as LAPACK: no division, no NaN.
 */
export function luColumns(a: Work, m: number, n: number, j0: number, j1: number, cols: number, pivots: Int32Array | number[], perm: Int32Array | number[]): void {
  for (let j = j0; j < j1; j++) {
    let p = j;
    let best = Math.abs(a[j * n + j]);
    for (let i = j + 1; i < m; i++) {
      const v = Math.abs(a[i * n + j]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    pivots[j] = p;
    if (p !== j) {
      for (let c = 0; c < n; c++) {
        const t = a[j * n + c];
        a[j * n + c] = a[p * n + c];
        a[p * n + c] = t;
      }
      const t = perm[j];
      perm[j] = perm[p];
      perm[p] = t;
    }
    const d = a[j * n + j];
    if (d !== 0) for (let i = j + 1; i < m; i++) a[i * n + j] /= d;
    for (let i = j + 1; i < m; i++) {
      const l = a[i * n + j];
      if (l === 0) continue;
      for (let c = j + 1; c < cols; c++) a[i * n + c] -= l * a[j * n + c];
    }
  }
}

/**
 * LU with partial pivoting of an m×n row-major matrix, in place (the same
 * factors, pivots and permutation as the unblocked luInPlace of linalg.ts:
 * LAPACK getrf's choice of the first largest |pivot|; a zero pivot leaves its
 * column as is).
 */
export function luBlocked(a: Work, m: number, n: number, pivots: Int32Array, perm: Int32Array): void {
  const kMax = Math.min(m, n);
  for (let i = 0; i < m; i++) perm[i] = i;
  for (let k0 = 0; k0 < kMax; k0 += NB) {
    const kb = Math.min(NB, kMax - k0);
    // the panel: columns k0..k0+kb, rows k0..m, unblocked, swapping whole rows; the rank-1 updates stop at the
    // panel's end, the columns right of it wait for the block update
    luColumns(a, m, n, k0, k0 + kb, k0 + kb, pivots, perm);
    const c0 = k0 + kb;
    if (c0 >= n) continue;
    // U12 = L11⁻¹·A12 (L11 unit lower, kb×kb): row by row, contiguous
    for (let i = k0 + 1; i < c0; i++) {
      const r = i * n;
      for (let p = k0; p < i; p++) {
        const l = a[r + p];
        if (l === 0) continue;
        const pr = p * n;
        for (let c = c0; c < n; c++) a[r + c] -= l * a[pr + c];
      }
    }
    // A22 −= L21·U12
    if (c0 < m) gemmSub(a, c0 * n + c0, n, a, c0 * n + k0, n, a, k0 * n + c0, n, m - c0, n - c0, kb);
  }
}

/**
 * Cholesky of the lower triangle of an n×n row-major matrix, in place: L with
 * L·Lᵀ = A and zeros above the diagonal. Returns false (the matrix is not
 * positive definite) at the first pivot that is not > 0.
 */
export function choleskyBlocked(a: Work, n: number): boolean {
  const lt = a instanceof Float32Array ? new Float32Array(NB * n) : new Float64Array(NB * n);
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    const end = k0 + kb;
    // L11: the diagonal block, left-looking within the block (earlier blocks are already subtracted)
    for (let j = k0; j < end; j++) {
      let d = a[j * n + j];
      for (let p = k0; p < j; p++) d -= a[j * n + p] * a[j * n + p];
      if (!(d > 0)) return false;
      const ljj = Math.sqrt(d);
      a[j * n + j] = ljj;
      for (let i = j + 1; i < end; i++) {
        let s = a[i * n + j];
        for (let p = k0; p < j; p++) s -= a[i * n + p] * a[j * n + p];
        a[i * n + j] = s / ljj;
      }
    }
    if (end >= n) break;
    // L21 = A21·L11⁻ᵀ: each row solves with L11, contiguous
    for (let i = end; i < n; i++) {
      const r = i * n;
      for (let j = k0; j < end; j++) {
        let s = a[r + j];
        for (let p = k0; p < j; p++) s -= a[r + p] * a[j * n + p];
        a[r + j] = s / a[j * n + j];
      }
    }
    // A22 −= L21·L21ᵀ (the whole block; only its lower triangle is read later)
    const rows = n - end;
    for (let i = 0; i < rows; i++) for (let p = 0; p < kb; p++) lt[p * rows + i] = a[(end + i) * n + k0 + p];
    gemmSub(a, end * n + end, n, a, end * n + k0, n, lt, 0, rows, rows, rows, kb);
  }
  for (let i = 0; i < n; i++) for (let c = i + 1; c < n; c++) a[i * n + c] = 0;
  return true;
}

/**
 * The CPU's complex routines of the LU family (src/lax/linalg.ts lowers
 * cholesky, triangular_solve and lu to the same routine names for real and
 * complex operands; src/backend/cpu/linalg.ts dispatches complex64 and
 * complex128 buffers here). A complex matrix is stored as interleaved
 * (re, im) pairs, element (i, j) of an m×n matrix at 2·(i·n + j). As the real
 * routines, every matrix is copied into a Float64Array and worked on in
 * double precision whatever the storage (complex64 is rounded once, on store).
 * Plain loops: the algorithms of the real routines with complex arithmetic.
 */
import type { TypedArray } from "../../dtype.js";
import { allocate } from "../../dtype.js";
import { sizeOf } from "../../shape.js";
import type { BufferType } from "../device.js";

type Routine = (inputs: TypedArray[], inTypes: BufferType[], outTypes: BufferType[], params: Record<string, unknown>) => TypedArray[];

/** Buffers come as their storage: a complex output's type is float pairs (a trailing axis of 2), its size the storage's. */
const allocateOut = (t: BufferType) => allocate(t.dtype, sizeOf(t.shape));

/**
 * Cholesky of a Hermitian matrix from its lower triangle (n×n, interleaved, in
 * place): L with L·Lᴴ = A, zeros above the diagonal. The diagonal's imaginary
 * parts are not read (LAPACK's zpotrf). False where A is not positive definite.
 */
export function complexCholeskyInPlace(a: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    const jj = 2 * (j * n + j);
    let d = a[jj];
    for (let k = 0; k < j; k++) {
      const jk = 2 * (j * n + k);
      d -= a[jk] * a[jk] + a[jk + 1] * a[jk + 1];
    }
    if (!(d > 0)) return false;
    const ljj = Math.sqrt(d);
    a[jj] = ljj;
    a[jj + 1] = 0;
    for (let i = j + 1; i < n; i++) {
      const ij = 2 * (i * n + j);
      let sr = a[ij];
      let si = a[ij + 1];
      for (let k = 0; k < j; k++) {
        // s -= L[i, k]·conj(L[j, k])
        const ik = 2 * (i * n + k);
        const jk = 2 * (j * n + k);
        sr -= a[ik] * a[jk] + a[ik + 1] * a[jk + 1];
        si -= a[ik + 1] * a[jk] - a[ik] * a[jk + 1];
      }
      a[ij] = sr / ljj;
      a[ij + 1] = si / ljj;
    }
    for (let c = j + 1; c < n; c++) {
      a[2 * (j * n + c)] = 0;
      a[2 * (j * n + c) + 1] = 0;
    }
  }
  return true;
}

const cholesky: Routine = ([x], _in, [outType], params) => {
  const { batch, n } = params as { batch: number; n: number };
  const out = allocateOut(outType);
  const len = 2 * n * n;
  const a = new Float64Array(len);
  for (let b = 0; b < batch; b++) {
    const o = b * len;
    for (let i = 0; i < len; i++) a[i] = x[o + i];
    if (complexCholeskyInPlace(a, n)) for (let i = 0; i < len; i++) out[o + i] = a[i];
    else for (let i = 0; i < len; i++) out[o + i] = NaN;
  }
  return [out];
};

/**
 * op(A)·X = B (left) or X·op(A) = B (right) for a triangular complex A (m×m,
 * only its triangle read), op transposing and/or conjugating as the params
 * say. As the real routine: every case is substitution with T = op(A) (left)
 * or op(A)ᵀ (right), lower or upper triangular, on the n right-hand sides.
 */
const triangularSolve: Routine = ([A, B], _in, [outType], params) => {
  const { batch, m, n, leftSide, lower, transposeA, conjugateA, unitDiagonal } = params as {
    batch: number; m: number; n: number; leftSide: boolean; lower: boolean; transposeA: boolean; conjugateA: boolean; unitDiagonal: boolean;
  };
  const out = allocateOut(outType);
  const transposeT = leftSide ? transposeA : !transposeA;
  const tLower = transposeT ? !lower : lower;
  const sgn = conjugateA ? -1 : 1;
  const a = new Float64Array(2 * m * m);
  const x = new Float64Array(2 * m * n); // the right-hand sides as the n columns of an m×n matrix
  for (let bi = 0; bi < batch; bi++) {
    const ao = 2 * bi * m * m;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        const src = ao + 2 * (transposeT ? j * m + i : i * m + j);
        a[2 * (i * m + j)] = A[src];
        a[2 * (i * m + j) + 1] = sgn * A[src + 1];
      }
    }
    const bo = 2 * bi * m * n;
    if (leftSide) for (let i = 0; i < 2 * m * n; i++) x[i] = B[bo + i];
    else {
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < m; i++) {
          x[2 * (i * n + r)] = B[bo + 2 * (r * m + i)];
          x[2 * (i * n + r) + 1] = B[bo + 2 * (r * m + i) + 1];
        }
      }
    }
    for (let s = 0; s < m; s++) {
      const i = tLower ? s : m - 1 - s;
      const xi = 2 * i * n;
      const [k0, k1] = tLower ? [0, i] : [i + 1, m];
      for (let k = k0; k < k1; k++) {
        const tr = a[2 * (i * m + k)];
        const ti = a[2 * (i * m + k) + 1];
        const xk = 2 * k * n;
        for (let r = 0; r < n; r++) {
          const vr = x[xk + 2 * r];
          const vi = x[xk + 2 * r + 1];
          x[xi + 2 * r] -= tr * vr - ti * vi;
          x[xi + 2 * r + 1] -= tr * vi + ti * vr;
        }
      }
      if (!unitDiagonal) {
        const dr = a[2 * (i * m + i)];
        const di = a[2 * (i * m + i) + 1];
        const den = dr * dr + di * di;
        for (let r = 0; r < n; r++) {
          const vr = x[xi + 2 * r];
          const vi = x[xi + 2 * r + 1];
          x[xi + 2 * r] = (vr * dr + vi * di) / den;
          x[xi + 2 * r + 1] = (vi * dr - vr * di) / den;
        }
      }
    }
    if (leftSide) for (let i = 0; i < 2 * m * n; i++) out[bo + i] = x[i];
    else {
      for (let r = 0; r < n; r++) {
        for (let i = 0; i < m; i++) {
          out[bo + 2 * (r * m + i)] = x[2 * (i * n + r)];
          out[bo + 2 * (r * m + i) + 1] = x[2 * (i * n + r) + 1];
        }
      }
    }
  }
  return [out];
};

/**
 * Partial-pivot LU of a complex m×n matrix in place (interleaved): the pivot
 * of column j is the first row of largest |re| + |im| (LAPACK's izamax, as
 * zgetrf, which JAX's CPU calls); a zero pivot leaves its column as is.
 */
export function complexLuInPlace(a: Float64Array, m: number, n: number, pivots: Int32Array, perm: Int32Array): void {
  const k = Math.min(m, n);
  for (let i = 0; i < m; i++) perm[i] = i;
  for (let j = 0; j < k; j++) {
    let p = j;
    let best = Math.abs(a[2 * (j * n + j)]) + Math.abs(a[2 * (j * n + j) + 1]);
    for (let i = j + 1; i < m; i++) {
      const v = Math.abs(a[2 * (i * n + j)]) + Math.abs(a[2 * (i * n + j) + 1]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    pivots[j] = p;
    if (p !== j) {
      for (let c = 0; c < 2 * n; c++) {
        const t = a[2 * j * n + c];
        a[2 * j * n + c] = a[2 * p * n + c];
        a[2 * p * n + c] = t;
      }
      const t = perm[j];
      perm[j] = perm[p];
      perm[p] = t;
    }
    const dr = a[2 * (j * n + j)];
    const di = a[2 * (j * n + j) + 1];
    if (dr !== 0 || di !== 0) {
      const den = dr * dr + di * di;
      for (let i = j + 1; i < m; i++) {
        const vr = a[2 * (i * n + j)];
        const vi = a[2 * (i * n + j) + 1];
        a[2 * (i * n + j)] = (vr * dr + vi * di) / den;
        a[2 * (i * n + j) + 1] = (vi * dr - vr * di) / den;
      }
    }
    for (let i = j + 1; i < m; i++) {
      const lr = a[2 * (i * n + j)];
      const li = a[2 * (i * n + j) + 1];
      if (lr === 0 && li === 0) continue;
      for (let c = j + 1; c < n; c++) {
        const ur = a[2 * (j * n + c)];
        const ui = a[2 * (j * n + c) + 1];
        a[2 * (i * n + c)] -= lr * ur - li * ui;
        a[2 * (i * n + c) + 1] -= lr * ui + li * ur;
      }
    }
  }
}

const lu: Routine = ([x], _in, outTypes, params) => {
  const { batch, m, n } = params as { batch: number; m: number; n: number };
  const [out, piv, perm] = outTypes.map(allocateOut);
  const k = Math.min(m, n);
  const len = 2 * m * n;
  const a = new Float64Array(len);
  const p = new Int32Array(k);
  const q = new Int32Array(m);
  for (let b = 0; b < batch; b++) {
    const o = b * len;
    for (let i = 0; i < len; i++) a[i] = x[o + i];
    complexLuInPlace(a, m, n, p, q);
    for (let i = 0; i < len; i++) out[o + i] = a[i];
    piv.set(p, b * k);
    perm.set(q, b * m);
  }
  return [out, piv, perm];
};

/** The complex routines, by the routine names they serve (see linalg.ts's dispatch). */
export const cpuComplexLuRoutines = { cholesky, triangularSolve, lu };

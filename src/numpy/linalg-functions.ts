/**
 * `np.linalg`'s decompositions and what is built on them (solve, inv, det,
 * slogdet, lstsq, pinv, matrix_rank, cond, ...), with JAX's semantics, all
 * written on the lax.linalg primitives so that every function differentiates,
 * batches over leading axes and jits. Reached as `np.linalg.<name>` only:
 * NumPy has no top-level `inv` or `svd`.
 */
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as la from "../lax/linalg.js";
import { customLinearSolve } from "../lax/linalg-solve.js";
import { currentTrace, EvalTrace } from "../trace/core.js";
import { fmtShape } from "../shape.js";
import { optionsArg } from "../static-args.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf, broadcastValue, describe, promote, range, toInexact } from "./util.js";
import { broadcastShapes } from "../shape.js";
import { isComplexDType } from "../dtype.js";
import { mH } from "../lax/linalg-complex-lu.js";
import { matmul, norm, type NormOrder } from "./linalg.js";
import { abs, log, sign } from "./elementwise.js";
import { any, max, min, prod, sum } from "./reductions.js";

const finfoEps = (dtype: string) => (dtype === "float64" || dtype === "complex128" ? 2.220446049250313e-16 : 1.1920928955078125e-7);

/** The working dtype of promoted operands: float64 stays, complex stays (so that matrixArg refuses it rather than a cast dropping the imaginary parts), anything else is float32. */
const keepWidth = (d: string): "float32" | "float64" | "complex64" | "complex128" => (d === "float64" || d === "complex64" || d === "complex128" ? d : "float32");

/** A float32/float64 operand (complex64/complex128 too with `complexOk`) with at least two axes (ints promote to float32, as JAX). */
function matrixArg(op: string, x: ArrayLike, square = false, complexOk = false): Value {
  const v = toInexact(op, x);
  if (v.dtype !== "float32" && v.dtype !== "float64" && !(complexOk && isComplexDType(v.dtype))) {
    throw new DTypeError(`${op}: linear algebra needs float32 or float64, got ${v.dtype}${fmtShape(v.shape)}; convert with x.astype("float32")`);
  }
  if (v.ndim < 2) throw new ShapeError(`${op}: needs a matrix or a stack of matrices (at least 2 axes), got shape ${fmtShape(v.shape)}`);
  if (square && v.shape[v.ndim - 1] !== v.shape[v.ndim - 2]) {
    throw new ShapeError(`${op}: needs square matrices in the last two axes, got shape ${fmtShape(v.shape)}`);
  }
  return v;
}

/** As matrixArg, complex64/complex128 accepted too: the operand of the spectral decompositions (qr, svd, eigh) and what is built on them alone. */
function spectralArg(op: string, x: ArrayLike, square = false): Value {
  return matrixArg(op, x, square, true);
}

/** Swaps the last two axes. @example np.linalg.matrixTranspose(np.ones([2, 3, 4])).shape; // [2, 4, 3] */
export function matrixTranspose(x: ArrayLike): Value {
  const v = asValue(x, "np.linalg.matrixTranspose");
  if (v.ndim < 2) throw new ShapeError(`np.linalg.matrixTranspose: needs at least 2 axes, got shape ${fmtShape(v.shape)}`);
  return la.mT(v);
}

/** An identity of the last two axes' size, broadcast to `batch`. */
function eye(batch: readonly number[], n: number, dtype: "float32" | "float64" | string): Value {
  const e = lax.convert(lax.eq(lax.iota("int32", [n, n], 0), lax.iota("int32", [n, n], 1)), dtype as "float32");
  return lax.broadcastInDim(e, [...batch, n, n], [batch.length, batch.length + 1]);
}

// ---- decompositions ---------------------------------------------------------------------------

/**
 * Cholesky factor of symmetric (complex: Hermitian) positive definite
 * matrices: L lower triangular with L·Lᴴ = a (or U = Lᴴ with `upper`). Not
 * positive definite: NaNs, as JAX.
 * @example np.linalg.cholesky(np.array([[4, 2], [2, 5]])); // [[2, 0], [1, 2]]
 */
export function cholesky(a: ArrayLike, options: { upper?: boolean; symmetrizeInput?: boolean } = {}): Value {
  const op = "np.linalg.cholesky";
  const { upper = false, symmetrizeInput = true } = optionsArg(op, options);
  const L = la.cholesky(matrixArg(op, a, true, true), { symmetrizeInput });
  return upper ? mH(L) : L;
}

export type QrMode = "reduced" | "complete" | "r";

/**
 * QR decomposition: `mode` "reduced" (default) gives [q, r] with q m×k and
 * r k×n (k = min(m, n)), "complete" q m×m and r m×n, "r" only r.
 * Complex input gives a unitary q (qᴴ·q = I) and r with a real diagonal.
 * @example
 * const [q, r] = np.linalg.qr(np.array([[3, 1], [4, 2]])); // q·r = a
 */
export function qr(a: ArrayLike, mode?: "reduced" | "complete"): [Value, Value];
export function qr(a: ArrayLike, mode: "r"): Value;
export function qr(a: ArrayLike, mode: QrMode = "reduced"): [Value, Value] | Value {
  const op = "np.linalg.qr";
  if (mode !== "reduced" && mode !== "complete" && mode !== "r") {
    throw new UnsupportedError(`${op}: mode must be "reduced", "complete" or "r", got ${describe(mode)} ("raw" is not supported)`);
  }
  const [q, r] = la.qr(spectralArg(op, a), { fullMatrices: mode === "complete" });
  return mode === "r" ? r : [q, r];
}

export interface SvdOptions {
  /** u of m×m and vh of n×n (true, the default), or m×k and k×n. */
  fullMatrices?: boolean;
  /** [u, s, vh] (true, the default) or s alone. */
  computeUv?: boolean;
}

/**
 * Singular value decomposition: [u, s, vh] with u·diag(s)·vh = a, s
 * descending; with `computeUv: false`, s alone. Leading axes are a batch.
 * Complex input: s real, u and vh unitary (u·diag(s)·vh = a).
 * @example
 * const [u, s, vh] = np.linalg.svd(np.array([[3, 0], [0, -4]])); // s [4, 3]
 */
export function svd(a: ArrayLike, options: SvdOptions & { computeUv: false }): Value;
export function svd(a: ArrayLike, options?: SvdOptions): [Value, Value, Value];
export function svd(a: ArrayLike, options: SvdOptions = {}): Value | [Value, Value, Value] {
  const op = "np.linalg.svd";
  const { fullMatrices = true, computeUv = true } = optionsArg(op, options);
  const x = spectralArg(op, a);
  if (!computeUv) return la.svd(x, { computeUv: false, fullMatrices });
  return la.svd(x, { fullMatrices, computeUv: true });
}

/** The singular values, descending. @example np.linalg.svdvals(np.array([[3, 0], [0, -4]])); // [4, 3] */
export function svdvals(a: ArrayLike): Value {
  return la.svd(spectralArg("np.linalg.svdvals", a), { computeUv: false, fullMatrices: false });
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric (or
 * complex Hermitian) matrices: [w, v] with a·v = v·diag(w), w real. `UPLO` "L" (default) or "U" names the
 * triangle read when `symmetrizeInput` is false.
 * @example const [w, v] = np.linalg.eigh(np.array([[2, 1], [1, 2]])); // w [1, 3]
 */
export function eigh(a: ArrayLike, UPLO: "L" | "U" = "L", options: { symmetrizeInput?: boolean } = {}): [Value, Value] {
  const op = "np.linalg.eigh";
  if (UPLO !== "L" && UPLO !== "U") throw new ShapeError(`${op}: UPLO must be "L" or "U", got ${describe(UPLO)}`);
  const { symmetrizeInput = true } = optionsArg(op, options);
  const [v, w] = la.eigh(spectralArg(op, a, true), { lower: UPLO === "L", symmetrizeInput });
  return [w, v];
}

/** Eigenvalues of symmetric matrices, ascending. @example np.linalg.eigvalsh(np.array([[2, 1], [1, 2]])); // [1, 3] */
export function eigvalsh(a: ArrayLike, UPLO: "L" | "U" = "L"): Value {
  return eigh(a, UPLO)[0];
}

// ---- solving ------------------------------------------------------------------------------------

/** The one-hot matrix of a permutation: P·b puts b's rows in `perm`'s order (linear in b, so gradients flow through it). */
function permutationMatrix(perm: Value, dtype: Value["dtype"]): Value {
  const m = perm.shape[perm.ndim - 1];
  const batch = perm.shape.slice(0, -1);
  const rows = lax.broadcastInDim(perm, [...batch, m, m], range(batch.length + 1));
  const cols = lax.broadcastInDim(lax.iota("int32", [m, m], 1), [...batch, m, m], [batch.length, batch.length + 1]);
  return lax.convert(lax.eq(rows, cols), dtype);
}

/** Solves with an LU factorization: P·a = L·U, so x = U⁻¹ L⁻¹ P b (b: [..., m, n]); `transpose` solves aᵀ·x = b = Uᵀ Lᵀ P x. */
function luSolve(lu: Value, perm: Value, b: Value, transpose = false): Value {
  const P = permutationMatrix(perm, lu.dtype);
  if (!transpose) {
    const y = la.triangularSolve(lu, la.bmm(P, b), { leftSide: true, lower: true, unitDiagonal: true });
    return la.triangularSolve(lu, y, { leftSide: true, lower: false });
  }
  const z = la.triangularSolve(lu, b, { leftSide: true, lower: false, transposeA: true });
  const w = la.triangularSolve(lu, z, { leftSide: true, lower: true, unitDiagonal: true, transposeA: true });
  return la.bmm(la.mT(P), w);
}

/**
 * Solves a·x = b for square a, real or complex. b is a vector ([..., m]) when
 * 1-D, else a matrix ([..., m, n]); leading axes broadcast. A singular a gives inf/NaN
 * (what JAX gives), never an error. As in JAX, one LU factorization serves
 * the solve and its derivatives, which are implicit (lax.customLinearSolve):
 * grad solves with aᵀ instead of differentiating the factorization.
 * @example np.linalg.solve(np.array([[3, 1], [1, 2]]), np.array([9, 8])); // [2, 3]
 */
export function solve(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.linalg.solve";
  let [x, y] = promote(op, [a, b], keepWidth);
  x = matrixArg(op, x, true, true);
  const m = x.shape[x.ndim - 1];
  const vec = y.ndim === 1;
  if (vec) y = lax.reshape(y, [m === y.shape[0] ? m : y.shape[0], 1]);
  if (y.ndim < 2 || y.shape[y.ndim - 2] !== m) {
    throw new ShapeError(`${op}: a of shape ${fmtShape(x.shape)} and b of shape ${fmtShape(y.shape)} do not fit: b needs ${m} rows`);
  }
  const batch = broadcastShapes(op, x.shape.slice(0, -2), y.shape.slice(0, -2));
  x = broadcastValue(op, x, [...batch, m, m]);
  y = broadcastValue(op, y, [...batch, ...y.shape.slice(-2)]);
  // as JAX: one LU of a, outside differentiation; the solution's derivatives are implicit
  // (customLinearSolve: A·ẋ = ḃ - Ȧ·x forward, Aᵀ solves backward), so grad never differentiates the factorization
  const [lu, , perm] = la.lu(lax.stopGradient(x));
  const a0 = x;
  // with no transformation active nothing can differentiate the result: skip staging the implicit rules (4× faster eagerly)
  const out = currentTrace() instanceof EvalTrace ? luSolve(lu, perm, y) : customLinearSolve((v) => la.bmm(a0, v), y, (_mv, c) => luSolve(lu, perm, c), { transposeSolve: (_vm, c) => luSolve(lu, perm, c, true) });
  return vec ? lax.reshape(out, out.shape.slice(0, -1)) : out;
}

/**
 * The inverse of square matrices, real or complex (leading axes are a
 * batch). Singular: inf/NaN, as JAX.
 * @example np.linalg.inv(np.array([[2, 0], [0, 4]])); // [[0.5, 0], [0, 0.25]]
 */
export function inv(a: ArrayLike): Value {
  const x = matrixArg("np.linalg.inv", a, true, true);
  return solve(x, eye(x.shape.slice(0, -2), x.shape[x.ndim - 1], x.dtype));
}

/** Diagonal of U and the permutation's sign from an LU factorization. */
function luDiagAndParity(x: Value): [Value, Value] {
  const [lu, pivots] = la.lu(x);
  const n = x.shape[x.ndim - 1];
  const diag = lax.reduceSum(lax.mul(lu, eye(x.shape.slice(0, -2), n, x.dtype)), [x.ndim - 1]);
  const swaps = lax.reduceSum(lax.convert(lax.ne(pivots, lax.iota("int32", pivots.shape, pivots.ndim - 1)), "int32"), [pivots.ndim - 1]);
  // (-1)^swaps
  const parity = lax.sub(1, lax.mul(lax.convert(lax.rem(swaps, 2), x.dtype), 2));
  return [diag, parity];
}

/**
 * Determinants, as JAX computes them: closed forms for 2×2 and 3×3 (exact
 * zeros and finite gradients at singular matrices), sign·exp(logabsdet)
 * from an LU factorization otherwise. Real or complex.
 * @example np.linalg.det(np.array([[1, 2], [3, 4]])); // -2
 */
export function det(a: ArrayLike): Value {
  const x = matrixArg("np.linalg.det", a, true, true);
  const n = x.shape[x.ndim - 1];
  const lead = x.shape.slice(0, -2);
  if (n === 0) return lax.broadcastInDim(lax.convert(1, x.dtype), lead, []);
  const at = (i: number, j: number) => lax.reshape(lax.slice(x, [...lead.map(() => 0), i, j], [...lead, i + 1, j + 1]), lead);
  if (n === 1) return at(0, 0);
  if (n === 2) return lax.sub(lax.mul(at(0, 0), at(1, 1)), lax.mul(at(0, 1), at(1, 0)));
  if (n === 3) {
    const t = (i: number, j: number, k: number) => lax.mul(lax.mul(at(0, i), at(1, j)), at(2, k));
    const plus = lax.add(lax.add(t(0, 1, 2), t(1, 2, 0)), t(2, 0, 1));
    return lax.sub(lax.sub(lax.sub(plus, t(2, 1, 0)), t(0, 2, 1)), t(1, 0, 2));
  }
  const [s, logdet] = slogdet(x);
  return lax.mul(s, lax.convert(lax.exp(logdet), x.dtype));
}

/**
 * [sign, logabsdet] of determinants, without overflow: sign 0 and
 * logabsdet -inf for a singular matrix, as JAX. For complex matrices the
 * sign is complex (of modulus 1) and logabsdet real, as JAX.
 * @example const [s, l] = np.linalg.slogdet(np.array([[1, 2], [3, 4]])); // -1, log 2
 */
export function slogdet(a: ArrayLike): [Value, Value] {
  const x = matrixArg("np.linalg.slogdet", a, true, true);
  const [diag, parity] = luDiagAndParity(x);
  const last = diag.ndim - 1;
  const isZero = any(lax.eq(diag, 0), last);
  const absDiag = abs(diag);
  // complex: the product of diag/|diag| (as JAX, differentiable, where sign's derivative is zero)
  const units = isComplexDType(x.dtype) ? lax.div(diag, lax.convert(absDiag, x.dtype)) : sign(diag);
  const s = lax.mul(parity, prod(units, last));
  const logdet = sum(log(absDiag), last);
  const zero = lax.broadcastInDim(lax.convert(0, x.dtype), s.shape, []);
  const ninf = lax.broadcastInDim(lax.convert(-Infinity, logdet.dtype), s.shape, []);
  return [lax.select(isZero, zero, s), lax.select(isZero, ninf, logdet)];
}

/**
 * Least squares by the SVD: [x, residuals, rank, s] minimizing ‖a·x - b‖
 * for a of m×n, b of m or m×k, as JAX: singular values at or below
 * `rcond`·s_max (default eps·max(m, n)) are treated as zero; residuals are
 * the squared norms of b - a·x per column (zeros where NumPy would give an
 * empty array, so that the shape is static).
 * @example const [x] = np.linalg.lstsq(np.array([[1, 0], [1, 1], [1, 2]]), np.array([1, 2, 4]));
 */
export function lstsq(a: ArrayLike, b: ArrayLike, rcond?: number | null): [Value, Value, Value, Value] {
  const op = "np.linalg.lstsq";
  let [x, y] = promote(op, [a, b], keepWidth);
  x = spectralArg(op, x);
  if (x.ndim !== 2) throw new ShapeError(`${op}: a must be 2-D, got shape ${fmtShape(x.shape)}`);
  const vec = y.ndim === 1;
  if (vec) y = lax.reshape(y, [y.shape[0], 1]);
  if (y.ndim !== 2 || y.shape[0] !== x.shape[0]) {
    throw new ShapeError(`${op}: b must be 1-D or 2-D with as many rows as a (${x.shape[0]}), got shape ${fmtShape(y.shape)}`);
  }
  const [m, n] = x.shape;
  const cut = rcond === undefined || rcond === null ? finfoEps(x.dtype) * Math.max(m, n) : rcond;
  if (typeof cut !== "number") throw new DTypeError(`${op}: rcond must be a number or null, got ${describe(rcond)}`);
  const [u, s, vt] = la.svd(x, { fullMatrices: false });
  const k = s.shape[0];
  const smax = lax.slice(s, [0], [Math.min(1, k)]);
  const mask = lax.ge(s, lax.broadcastInDim(lax.mul(lax.reshape(smax, []), cut), s.shape, []));
  const rank = lax.reduceSum(lax.convert(mask, "int32"), [0]);
  const ones = lax.broadcastInDim(lax.convert(1, s.dtype), s.shape, []);
  const sInv = lax.convert(lax.select(mask, lax.div(ones, lax.select(mask, s, ones)), lax.mul(ones, 0)), x.dtype);
  const uTb = matmul(mH(u), y);
  let sol = matmul(mH(vt), lax.mul(lax.broadcastInDim(sInv, uTb.shape, [0]), uTb));
  const r = lax.sub(y, matmul(x, sol));
  // |r|² per column: real even for complex a, as JAX's residuals
  const resid = lax.reduceSum(isComplexDType(r.dtype) ? lax.real(lax.mul(r, lax.conj(r))) : lax.mul(r, r), [0]);
  if (vec) sol = lax.reshape(sol, [n]);
  return [sol, resid, rank, s];
}

/**
 * The Moore–Penrose pseudo-inverse by the SVD: singular values at or below
 * `rtol`·s_max (default 10·max(m, n)·eps, as JAX) count as zero.
 * @example np.linalg.pinv(np.array([[1, 2], [2, 4]])); // [[0.04, 0.08], [0.08, 0.16]]
 */
export function pinv(a: ArrayLike, rtol?: number | null): Value {
  const op = "np.linalg.pinv";
  const x = spectralArg(op, a);
  const m = x.shape[x.ndim - 2];
  const n = x.shape[x.ndim - 1];
  if (m === 0 || n === 0) return lax.broadcastInDim(lax.convert(0, x.dtype), [...x.shape.slice(0, -2), n, m], []);
  const tol = rtol === undefined || rtol === null ? 10 * Math.max(m, n) * finfoEps(x.dtype) : rtol;
  if (typeof tol !== "number") throw new DTypeError(`${op}: rtol must be a number or null, got ${describe(rtol)}`);
  const [u, s, vt] = la.svd(x, { fullMatrices: false });
  const first = lax.slice(s, [...s.shape.slice(0, -1).map(() => 0), 0], [...s.shape.slice(0, -1), 1]);
  const cutoff = lax.broadcastInDim(lax.mul(first, tol), s.shape, range(s.ndim));
  const inf = lax.broadcastInDim(lax.convert(Infinity, s.dtype), s.shape, []);
  const sSafe = lax.select(lax.gt(s, cutoff), s, inf);
  const uT = mH(u); // [..., k, m]
  const scaled = lax.div(uT, lax.convert(lax.broadcastInDim(sSafe, uT.shape, range(s.ndim)), uT.dtype));
  return matmul(mH(vt), scaled);
}

/**
 * `a` to the integer power `n` by repeated squaring (n < 0: of the inverse;
 * n = 0: the identity).
 * @example np.linalg.matrixPower(np.array([[1, 1], [0, 1]]), 3); // [[1, 3], [0, 1]]
 */
export function matrixPower(a: ArrayLike, n: number): Value {
  const op = "np.linalg.matrixPower";
  if (typeof n !== "number" || !Number.isSafeInteger(n)) throw new DTypeError(`${op}: n must be an integer, got ${describe(n)}`);
  let x = asValue(a, op);
  if (x.ndim < 2 || x.shape[x.ndim - 1] !== x.shape[x.ndim - 2]) {
    throw new ShapeError(`${op}: needs square matrices in the last two axes, got shape ${fmtShape(x.shape)}`);
  }
  if (n === 0) return lax.convert(eye(x.shape.slice(0, -2), x.shape[x.ndim - 1], x.dtype === "bool" ? "int32" : x.dtype), x.dtype);
  if (n < 0) {
    x = inv(x);
    n = -n;
  }
  let result: Value | null = null;
  let base = x;
  for (let e = n; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = result === null ? base : matmul(result, base);
    if (e > 1) base = matmul(base, base);
  }
  return result!;
}

/**
 * The number of singular values above the tolerance: by default
 * s_max·max(m, n)·eps, as JAX; a given `rtol` is relative to s_max.
 * @example np.linalg.matrixRank(np.array([[1, 2], [2, 4]])); // 1
 */
export function matrixRank(a: ArrayLike, rtol?: number | null): Value {
  const op = "np.linalg.matrixRank";
  const x = toInexact(op, a);
  if (x.ndim < 2) return lax.convert(any(lax.ne(x, 0)), "int32");
  const s = svdvals(x);
  const smax = max(s, -1, { keepdims: true });
  const factor = rtol === undefined || rtol === null ? Math.max(x.shape[x.ndim - 1], x.shape[x.ndim - 2]) * finfoEps(s.dtype) : rtol;
  if (typeof factor !== "number") throw new DTypeError(`${op}: rtol must be a number or null, got ${describe(rtol)}`);
  const tol = lax.broadcastInDim(lax.mul(smax, factor), s.shape, range(s.ndim));
  return lax.reduceSum(lax.convert(lax.gt(s, tol), "int32"), [s.ndim - 1]);
}

/**
 * The product of several matrices, left to right; a 1-D first (last)
 * argument is a row (column) vector, as NumPy.
 * @example np.linalg.multiDot([np.ones([2, 3]), np.ones([3, 4]), np.ones([4])]); // [12, 12]
 */
export function multiDot(arrays: readonly ArrayLike[]): Value {
  const op = "np.linalg.multiDot";
  if (!Array.isArray(arrays) || arrays.length < 2) throw new ShapeError(`${op}: needs a list of at least two arrays, got ${describe(arrays)}`);
  const xs = promote(op, arrays as ArrayLike[]);
  xs.forEach((x, i) => {
    const ok = i === 0 || i === xs.length - 1 ? x.ndim === 1 || x.ndim === 2 : x.ndim === 2;
    if (!ok) throw new ShapeError(`${op}: argument ${i} must be 2-D${i === 0 || i === xs.length - 1 ? " (or 1-D)" : ""}, got shape ${fmtShape(x.shape)}`);
  });
  return xs.slice(1).reduce((acc, x) => matmul(acc, x), xs[0]);
}

/**
 * The condition number in the norm `p` (default 2: s_max/s_min; -2:
 * s_min/s_max; otherwise ‖x‖·‖x⁻¹‖ in that matrix norm). A NaN from a
 * singular matrix becomes inf, as JAX.
 * @example np.linalg.cond(np.array([[1, 0], [0, 4]])); // 4
 */
export function cond(x: ArrayLike, p?: NormOrder | null): Value {
  const op = "np.linalg.cond";
  // the 2-norm condition numbers come from the singular values, which complex matrices have too
  const v = p === undefined || p === null || p === 2 || p === -2 ? spectralArg(op, x) : matrixArg(op, x);
  let r: Value;
  if (p === undefined || p === null || p === 2 || p === -2) {
    const s = svdvals(v);
    const k = s.shape[s.ndim - 1];
    const lead = s.shape.slice(0, -1);
    const first = lax.reshape(lax.slice(s, [...lead.map(() => 0), 0], [...lead, 1]), lead);
    const last = lax.reshape(lax.slice(s, [...lead.map(() => 0), k - 1], [...lead, k]), lead);
    r = p === -2 ? lax.div(last, first) : lax.div(first, last);
  } else {
    if (v.shape[v.ndim - 1] !== v.shape[v.ndim - 2]) throw new ShapeError(`${op}: p=${describe(p)} needs square matrices, got shape ${fmtShape(v.shape)}`);
    r = lax.mul(norm(v, p, [-2, -1]), norm(inv(v), p, [-2, -1]));
  }
  const hadNan = any(lax.ne(v, v), [-2, -1]);
  const nanMask = lax.and(lax.ne(r, r), lax.not(hadNan));
  return lax.select(nanMask, lax.broadcastInDim(lax.convert(Infinity, r.dtype), r.shape, []), r);
}

// ---- norms and small products ------------------------------------------------------------------

/**
 * A vector norm over `axis` (default: the whole array, flattened), as
 * `np.linalg.vector_norm`: ord 2 (default), 1, Infinity, -Infinity, 0, any p.
 * @example np.linalg.vectorNorm(np.array([[3, 4], [6, 8]]), { axis: 1 }); // [5, 10]
 */
export function vectorNorm(x: ArrayLike, options: { axis?: number | readonly number[] | null; keepdims?: boolean; ord?: number } = {}): Value {
  const op = "np.linalg.vectorNorm";
  const { axis = null, keepdims = false, ord = 2 } = optionsArg(op, options);
  const v = toInexact(op, x);
  if (axis === null) {
    const flat = lax.reshape(v, [v.size]);
    const r = norm(flat, ord, 0);
    return keepdims ? lax.reshape(r, v.shape.map(() => 1)) : r;
  }
  const axes = typeof axis === "number" ? [axis] : [...axis];
  if (axes.length === 1) return norm(v, ord, axes[0], { keepdims });
  // several axes: move them last, flatten them, and take the norm of that axis
  const ax = axes.map((a) => axisOf(op, a, v.ndim));
  const rest = range(v.ndim).filter((i) => !ax.includes(i));
  const moved = lax.transpose(v, [...rest, ...ax]);
  const flat = lax.reshape(moved, [...rest.map((i) => v.shape[i]), ax.reduce((p, i) => p * v.shape[i], 1)]);
  const r = norm(flat, ord, -1);
  return keepdims ? lax.reshape(r, v.shape.map((n, i) => (ax.includes(i) ? 1 : n))) : r;
}

/**
 * A matrix norm of the last two axes, as `np.linalg.matrix_norm`: "fro"
 * (default), "nuc", 1, -1, 2, -2, Infinity, -Infinity.
 * @example np.linalg.matrixNorm(np.array([[1, 2], [3, 4]]), { ord: 1 }); // 6
 */
export function matrixNorm(x: ArrayLike, options: { keepdims?: boolean; ord?: NormOrder } = {}): Value {
  const op = "np.linalg.matrixNorm";
  const { keepdims = false, ord = "fro" } = optionsArg(op, options);
  return norm(x, ord, [-2, -1], { keepdims });
}

/**
 * Singular-value matrix norms for `norm`: 2 (largest), -2 (smallest),
 * "nuc" (sum), over the axes `[r, c]`.
 */
export function singularValueNorm(v: Value, ord: 2 | -2 | "nuc", r: number, c: number, keepdims: boolean): Value {
  const rest = range(v.ndim).filter((i) => i !== r && i !== c);
  const moved = lax.transpose(v, [...rest, r, c]);
  const s = svdvals(moved);
  const last = s.ndim - 1;
  const out = ord === 2 ? max(s, last) : ord === -2 ? min(s, last) : sum(s, last);
  if (!keepdims) return out;
  const shape = v.shape.map((n, i) => (i === r || i === c ? 1 : n));
  return lax.reshape(out, shape);
}

/**
 * The cross product of 3-vectors along `axis` (default -1), broadcasting
 * the other axes, as `np.linalg.cross`.
 * @example np.linalg.cross(np.array([1, 0, 0]), np.array([0, 1, 0])); // [0, 0, 1]
 */
export function cross(a: ArrayLike, b: ArrayLike, axis = -1): Value {
  const op = "np.linalg.cross";
  let [x, y] = promote(op, [a, b]);
  const ax = axisOf(op, axis, x.ndim);
  const ay = axisOf(op, axis, y.ndim);
  if (x.shape[ax] !== 3 || y.shape[ay] !== 3) {
    throw new ShapeError(`${op}: both vectors need size 3 along axis ${axis}, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  }
  x = lax.moveAxis(x, ax, x.ndim - 1);
  y = lax.moveAxis(y, ay, y.ndim - 1);
  const shape = [...broadcastShapes(op, x.shape.slice(0, -1), y.shape.slice(0, -1)), 3];
  x = broadcastValue(op, x, shape);
  y = broadcastValue(op, y, shape);
  const c = (v: Value, i: number) => lax.slice(v, [...shape.slice(0, -1).map(() => 0), i], [...shape.slice(0, -1), i + 1]);
  const comp = (i: number, j: number) => lax.sub(lax.mul(c(x, i), c(y, j)), lax.mul(c(x, j), c(y, i)));
  const out = lax.concatenate([comp(1, 2), comp(2, 0), comp(0, 1)], shape.length - 1);
  return lax.moveAxis(out, shape.length - 1, axisOf(op, axis, shape.length));
}

/**
 * The sum of the diagonal of the last two axes (offset k: above, -k: below).
 * @example np.linalg.trace(np.array([[1, 2], [3, 4]])); // 5
 */
export function trace(x: ArrayLike, offset = 0): Value {
  return sum(diagonal(x, offset), -1);
}

/**
 * The diagonal of the last two axes (offset k: above, -k: below), as
 * `np.linalg.diagonal`.
 * @example np.linalg.diagonal(np.array([[1, 2], [3, 4]])); // [1, 4]
 */
export function diagonal(x: ArrayLike, offset = 0): Value {
  const op = "np.linalg.diagonal";
  const v = asValue(x, op);
  if (v.ndim < 2) throw new ShapeError(`${op}: needs at least 2 axes, got shape ${fmtShape(v.shape)}`);
  if (!Number.isSafeInteger(offset)) throw new DTypeError(`${op}: offset must be an integer, got ${describe(offset)}`);
  const m = v.shape[v.ndim - 2];
  const n = v.shape[v.ndim - 1];
  const lead = v.shape.slice(0, -2);
  const r0 = Math.max(0, -offset);
  const c0 = Math.max(0, offset);
  const k = Math.max(0, Math.min(m - r0, n - c0));
  if (k === 0) return lax.broadcastInDim(lax.convert(0, v.dtype), [...lead, 0], []);
  const sq = lax.slice(v, [...lead.map(() => 0), r0, c0], [...lead, r0 + k, c0 + k]);
  const mask = lax.broadcastInDim(lax.eq(lax.iota("int32", [k, k], 0), lax.iota("int32", [k, k], 1)), sq.shape, [lead.length, lead.length + 1]);
  const zero = lax.broadcastInDim(lax.convert(0, v.dtype), sq.shape, []);
  return lax.reduceSum(lax.select(mask, sq, zero), [v.ndim - 1]);
}

/**
 * The dot product of vectors along `axis` (default -1), broadcasting the
 * other axes.
 * @example np.linalg.vecdot(np.array([[1, 2], [3, 4]]), np.array([1, 1])); // [3, 7]
 */
export function vecdot(a: ArrayLike, b: ArrayLike, axis = -1): Value {
  const op = "np.linalg.vecdot";
  const [x, y] = promote(op, [a, b]);
  const shape = broadcastShapes(op, x.shape, y.shape);
  if (shape.length === 0) throw new ShapeError(`${op}: needs vectors (at least 1 axis), got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}`);
  const ax = axisOf(op, axis, shape.length);
  // as JAX: the first argument is conjugated (complex ones)
  const xc = x.dtype === "complex64" || x.dtype === "complex128" ? lax.conj(x) : x;
  return sum(lax.mul(broadcastValue(op, xc, shape), broadcastValue(op, y, shape)), ax);
}

/**
 * The inverse of a tensor viewed as a matrix: the first `ind` axes are the
 * rows; the result has the remaining axes first, as NumPy.
 * @example np.linalg.tensorinv(np.eye(4).reshape([4, 2, 2]), 1).shape; // [2, 2, 4]
 */
export function tensorinv(a: ArrayLike, ind = 2): Value {
  const op = "np.linalg.tensorinv";
  const x = toInexact(op, a);
  if (!Number.isSafeInteger(ind) || ind <= 0 || ind > x.ndim) throw new ShapeError(`${op}: ind must be between 1 and ${x.ndim}, got ${describe(ind)}`);
  const rows = x.shape.slice(0, ind).reduce((p, n) => p * n, 1);
  const cols = x.shape.slice(ind).reduce((p, n) => p * n, 1);
  if (rows !== cols) throw new ShapeError(`${op}: the first ${ind} axes (${rows} elements) and the rest (${cols}) must match for shape ${fmtShape(x.shape)}`);
  return lax.reshape(inv(lax.reshape(x, [rows, cols])), [...x.shape.slice(ind), ...x.shape.slice(0, ind)]);
}

/**
 * Solves tensordot(a, x, x.ndim) = b for x, whose shape is a's trailing axes.
 * @example np.linalg.tensorsolve(np.eye(6).reshape([2, 3, 6]), np.ones([2, 3])).shape; // [6]
 */
export function tensorsolve(a: ArrayLike, b: ArrayLike): Value {
  const op = "np.linalg.tensorsolve";
  const [x, y] = promote(op, [a, b], keepWidth);
  const xShape = x.shape.slice(y.ndim);
  const rows = y.size;
  const cols = xShape.reduce((p, n) => p * n, 1);
  if (rows !== cols || x.shape.slice(0, y.ndim).some((n, i) => n !== y.shape[i])) {
    throw new ShapeError(`${op}: a of shape ${fmtShape(x.shape)} does not fit b of shape ${fmtShape(y.shape)} (a's leading axes must be b's shape, the rest as many elements)`);
  }
  return lax.reshape(solve(lax.reshape(x, [rows, cols]), lax.reshape(y, [rows])), xShape);
}

/**
 * lax.linalg: the matrix factorizations as primitives (cholesky,
 * triangular_solve, lu, qr, eigh, svd), each with JAX's rules. Every one
 * works on the last two axes; leading axes are a batch that the device
 * routine runs in one call, so batching a factorization only moves the
 * batch axis to the front. The jvp rules are JAX's, written with bind (and
 * therefore differentiable again); triangular_solve is linear in its
 * right-hand side and has the transpose rule for it.
 *
 * Devices: the CPU routines (src/backend/cpu/linalg.ts) compute in float64
 * whatever the storage dtype; the WebGPU kernels (src/backend/webgpu/linalg.ts)
 * run one invocation per matrix in f32. qr, eigh and svd also take complex64
 * and complex128 matrices, as JAX (routines in
 * src/backend/{cpu,webgpu}/linalg-complex-spectral.ts; complex128 on the CPU
 * only, as every 64-bit dtype), with JAX's complex jvp rules.
 */
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape, sizeOf } from "../shape.js";
import { describe, optionsArg } from "../static-args.js";
import type { DType } from "../dtype.js";
import type { MaybeZero, Params, Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { dotGeneral } from "./dot.js";
import { add, convert, div, eq, ge, integerPow, mul, neg, operandArg, select, sub } from "./elementwise.js";
import { bind1, definePrimitive, definitionOf, isZero, lowersToStablehlo, scalar, ShapedArray, Zero } from "./primitive.js";
import { complexPartOf } from "../dtype.js";
import { conj, real } from "./complex.js";
import { attr } from "../backend/stablehlo.js";
import { choleskyStablehlo, eighStablehlo, luStablehlo, qrStablehlo, svdStablehlo } from "./stablehlo-linalg.js";
import { hloType } from "./stablehlo-ops.js";
import { broadcastInDim, concatenate, iota, moveAxis, slice, transpose } from "./shape.js";
import { reduceSum } from "./reduce.js";
import { isComplexDType } from "../dtype.js";
import { checkInexactMatrix, conjIfComplex, hermitianPart, mH } from "./linalg-complex-lu.js";

const range = (n: number, from = 0) => globalThis.Array.from({ length: n }, (_, i) => from + i);

// ---- helpers on stacks of matrices (all written with bind, so they differentiate and batch) ----

/** Swaps the last two axes. */
export function mT(x: Value): Value {
  const n = x.ndim;
  return transpose(x, [...range(n - 2), n - 1, n - 2]);
}

/** Batched matrix product over equal leading axes: [..., m, k] @ [..., k, n]. */
export function bmm(a: Value, b: Value): Value {
  const nb = a.ndim - 2;
  return dotGeneral(a, b, { contracting: [[nb + 1], [nb]], batch: [range(nb), range(nb)] });
}

/** A boolean [m, n] mask broadcast to `shape` (…, m, n): true where col - row compares to k as `keep` says. */
function triMask(shape: readonly number[], k: number, lowerPart: boolean): Value {
  const m = shape[shape.length - 2];
  const n = shape[shape.length - 1];
  const rows = iota("int32", [m, n], 0);
  const cols = iota("int32", [m, n], 1);
  // lower part with offset k: col <= row + k; upper part: col >= row + k
  const mask = lowerPart ? ge(add(rows, k), cols) : ge(cols, add(rows, k));
  return broadcastInDim(mask, shape, [shape.length - 2, shape.length - 1]);
}

function zerosLike(x: Value): Value {
  return broadcastInDim(scalar(0, x.dtype), x.shape, []);
}

/** The lower triangle of the last two axes (below the k-th diagonal included), zeros elsewhere. */
export function tril(x: Value, k = 0): Value {
  return select(triMask(x.shape, k, true), x, zerosLike(x));
}

/** The upper triangle of the last two axes (from the k-th diagonal), zeros elsewhere. */
export function triu(x: Value, k = 0): Value {
  return select(triMask(x.shape, k, false), x, zerosLike(x));
}

/** An n×n identity broadcast to [...batch, n, n]. */
function eyeLike(batch: readonly number[], n: number, dtype: DType, cols = n): Value {
  const e = convert(eq(iota("int32", [n, cols], 0), iota("int32", [n, cols], 1)), dtype);
  return broadcastInDim(e, [...batch, n, cols], [batch.length, batch.length + 1]);
}

/** (x + xᵀ) / 2: JAX's `symmetrize`, which makes the factorizations' derivatives well defined. */
export function symmetrize(x: Value): Value {
  return div(add(x, mT(x)), 2);
}

/** The diagonal of the last two axes: [..., m, n] → [..., min(m, n)]. */
function diag(x: Value): Value {
  const m = x.shape[x.ndim - 2];
  const n = x.shape[x.ndim - 1];
  const k = Math.min(m, n);
  const sq = slice(x, [...x.shape.slice(0, -2).map(() => 0), 0, 0], [...x.shape.slice(0, -2), k, k]);
  return reduceSum(mul(sq, eyeLike(x.shape.slice(0, -2), k, x.dtype)), [x.ndim - 1]);
}

/** A row vector [..., k] as [..., 1, k] (to scale columns by broadcasting). */
const asRow = (v: Value, rows: number) => broadcastInDim(v, [...v.shape.slice(0, -1), rows, v.shape[v.ndim - 1]], [...range(v.ndim - 1), v.ndim]);
/** A vector [..., k] as a column [..., k, cols]. */
const asCol = (v: Value, cols: number) => broadcastInDim(v, [...v.shape, cols], range(v.ndim));

// ---- checks shared by the primitives ------------------------------------------------------


/** Batching a one-operand factorization: the batch axis goes to the front, where the routine's batch is. */
function batchFront<P extends Params>(prim: Primitive<P>, args: Value[], dims: (number | null)[], params: P): [Value[], (number | null)[]] {
  const outs = bind(prim as unknown as Primitive, [moveAxis(args[0], dims[0]!, 0)], params as never);
  return [outs, outs.map(() => 0)];
}

const batchOf = (shape: readonly number[]) => sizeOf(shape.slice(0, -2));

// ---- cholesky ---------------------------------------------------------------------------

type NoParams = Record<string, never>;

export const choleskyP: Primitive<NoParams> = definePrimitive<NoParams>("cholesky", {
  params: {},
  complex: true,
  abstractEval([a]) {
    checkInexactMatrix("lax.linalg.cholesky", a, true);
    return [new ShapedArray(a.shape, a.dtype)];
  },
  lower([a]) {
    return { kind: "routine", routine: "linalg_cholesky", params: { batch: batchOf(a.shape), n: a.shape[a.ndim - 1] } };
  },
  jvp([x], [t]) {
    // Murray 2016 (arXiv:1602.07527): dL = L·Φ(L⁻¹ dA L⁻ᴴ), Φ the lower triangle with the diagonal halved
    const L = bind1(choleskyP, [x], {});
    if (isZero(t)) return [[L], [new Zero(L.aval.strong())]];
    const tmp = triangularSolve(L, t, { leftSide: false, lower: true, transposeA: true, conjugateA: true });
    const inner = triangularSolve(L, tmp, { leftSide: true, lower: true });
    const n = x.shape[x.ndim - 1];
    const phi = div(tril(inner), add(eyeLike(x.shape.slice(0, -2), n, x.dtype), 1));
    return [[L], [bmm(L, phi)]];
  },
  batch: (args, dims, params) => batchFront(choleskyP, args, dims, params),
});

export interface CholeskyOptions {
  /** Use (x + xᴴ)/2 instead of x (default true, as JAX): the factorization reads one triangle, and the derivative assumes symmetry. */
  symmetrizeInput?: boolean;
}

/**
 * The Cholesky factor L (lower triangular, L·Lᴴ = x) of symmetric (complex:
 * Hermitian) positive definite matrices in the last two axes. A matrix that
 * is not positive definite gives a matrix of NaNs, as JAX.
 * @example
 * lax.linalg.cholesky(np.array([[4, 2], [2, 5]])); // [[2, 0], [1, 2]]
 */
export function cholesky(x: Value, options: CholeskyOptions = {}): Value {
  const { symmetrizeInput = true } = optionsArg("lax.linalg.cholesky", options);
  x = operandArg("lax.linalg.cholesky", x);
  checkInexactMatrix("lax.linalg.cholesky", x, true);
  return tril(bind1(choleskyP, [symmetrizeInput ? hermitianPart(x) : x], {}));
}

// ---- triangular_solve -----------------------------------------------------------------------

type TriangularSolveParams = { leftSide: boolean; lower: boolean; transposeA: boolean; conjugateA: boolean; unitDiagonal: boolean };

function checkTriangular(a: { dtype: DType; shape: readonly number[] }, b: { dtype: DType; shape: readonly number[] }, leftSide: boolean) {
  const op = "lax.linalg.triangularSolve";
  checkInexactMatrix(op, a, true);
  checkInexactMatrix(op, b, false);
  if (a.dtype !== b.dtype) throw new DTypeError(`${op}: a and b need one dtype, got ${a.dtype} and ${b.dtype}`);
  const m = a.shape[a.shape.length - 1];
  const bs = b.shape;
  const along = leftSide ? bs[bs.length - 2] : bs[bs.length - 1];
  if (along !== m) {
    throw new ShapeError(
      `${op}: a of shape ${fmtShape(a.shape)} does not fit b of shape ${fmtShape(bs)}: with leftSide=${leftSide} b's ${leftSide ? "second-to-last" : "last"} axis must be ${m}`,
    );
  }
  if (a.shape.length !== bs.length || a.shape.slice(0, -2).some((n, i) => n !== bs[i])) {
    throw new ShapeError(`${op}: a and b need the same leading (batch) axes, got shapes ${fmtShape(a.shape)} and ${fmtShape(bs)}`);
  }
}

export const triangularSolveP: Primitive<TriangularSolveParams> = definePrimitive<TriangularSolveParams>("triangular_solve", {
  params: { leftSide: "bool", lower: "bool", transposeA: "bool", conjugateA: "bool", unitDiagonal: "bool" },
  complex: true,
  abstractEval([a, b], { leftSide }) {
    checkTriangular(a, b, leftSide);
    return [new ShapedArray(b.shape, b.dtype)];
  },
  lower([a, b], params) {
    const m = a.shape[a.ndim - 1];
    const rhs = params.leftSide ? b.shape[b.ndim - 1] : b.shape[b.ndim - 2];
    return { kind: "routine", routine: "linalg_triangular_solve", params: { batch: batchOf(a.shape), m, n: rhs, ...params } };
  },
  jvp([a, b], [ta, tb], params) {
    const x = bind1(triangularSolveP, [a, b], params);
    let t: MaybeZero = new Zero(x.aval.strong());
    if (!isZero(tb)) t = bind1(triangularSolveP, [a, tb], params);
    if (!isZero(ta)) {
      // JAX's rule: d(op(A)⁻¹B) = -op(A)⁻¹ op(dA) X (left side), -X op(dA) op(A)⁻¹ (right side), dA restricted to the triangle read
      // (op transposes and conjugates as the params say)
      const { leftSide, lower, transposeA, conjugateA, unitDiagonal } = params;
      const k = unitDiagonal ? 1 : 0;
      let g = lower ? tril(ta, -k) : triu(ta, k);
      g = neg(g);
      if (transposeA) g = mT(g);
      if (conjugateA) g = conjIfComplex(g);
      const solve = (rhs: Value) => bind1(triangularSolveP, [a, rhs], params);
      const m = b.shape[b.ndim - 2];
      const n = b.shape[b.ndim - 1];
      let ga: Value;
      if (leftSide) ga = m > n ? solve(bmm(g, x)) : bmm(solve(g), x);
      else ga = m < n ? solve(bmm(x, g)) : bmm(x, solve(g));
      t = isZero(t) ? ga : add(t, ga);
    }
    return [[x], [t]];
  },
  transpose([ct], [a, b], params) {
    // linear in b only: the cotangent of op(A)⁻¹ B is (op(A)ᵀ)⁻¹ ct, the linear transpose (conjugation unchanged, as JAX)
    const aAval = (a as { aval: ShapedArray }).aval;
    if (isZero(ct)) return [new Zero(aAval), new Zero((b as { aval: ShapedArray }).aval)];
    return [new Zero(aAval), bind1(triangularSolveP, [a as Value, ct], { ...params, transposeA: !params.transposeA })];
  },
  batch([a, b], [da, db], params) {
    const size = da !== null ? a.shape[da] : b.shape[db!];
    const front = (v: Value, d: number | null) => (d === null ? broadcastInDim(v, [size, ...v.shape], range(v.ndim, 1)) : moveAxis(v, d, 0));
    return [[bind1(triangularSolveP, [front(a, da), front(b, db)], params)], [0]];
  },
});

export interface TriangularSolveOptions {
  /** Solve op(a)·x = b (true) or x·op(a) = b (false, the default as in JAX). */
  leftSide?: boolean;
  /** Read a's lower triangle (true) or its upper triangle (false, the default). */
  lower?: boolean;
  /** op(a) = aᵀ (default false: op(a) = a). */
  transposeA?: boolean;
  /** op(a) conjugates a (default false); with `transposeA`, op(a) = aᴴ. Real matrices are their own conjugate. */
  conjugateA?: boolean;
  /** Assume a's diagonal is all ones without reading it (default false). */
  unitDiagonal?: boolean;
}

/**
 * Solves a triangular system: op(a)·x = b with `leftSide`, x·op(a) = b
 * without, where a is lower or upper triangular (only that triangle is
 * read) and op(a) is a, aᵀ, conj(a) or aᴴ as `transposeA` and `conjugateA` say.
 * Real or complex. Leading axes of a and b are a batch (b's broadcast to a's). A zero
 * on the diagonal gives inf/NaN, as JAX.
 * @example
 * const a = np.array([[2, 0], [1, 4]]);
 * lax.linalg.triangularSolve(a, np.array([[2], [9]]), { leftSide: true, lower: true }); // [[1], [2]]
 */
export function triangularSolve(a: Value, b: Value, options: TriangularSolveOptions = {}): Value {
  const op = "lax.linalg.triangularSolve";
  const { leftSide = false, lower = false, transposeA = false, conjugateA = false, unitDiagonal = false } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ leftSide, lower, transposeA, conjugateA, unitDiagonal })) {
    if (typeof v !== "boolean") throw new DTypeError(`${op}: ${k} must be true or false, got ${describe(v)}`);
  }
  a = operandArg(op, a);
  b = operandArg(op, b);
  checkInexactMatrix(op, a, true);
  checkInexactMatrix(op, b, false);
  // b's batch axes broadcast against a's, as JAX's wrapper does
  const batchA = a.shape.slice(0, -2);
  const batchB = b.shape.slice(0, -2);
  if (batchB.length < batchA.length || batchB.some((n, i) => n !== batchA[i])) {
    if (batchB.length <= batchA.length && batchB.every((n, i) => n === batchA[batchA.length - batchB.length + i])) {
      b = broadcastInDim(b, [...batchA, ...b.shape.slice(-2)], range(b.ndim, batchA.length - batchB.length));
    }
  }
  // a real matrix is its own conjugate: one form of the equation for it
  return bind1(triangularSolveP, [a, b], { leftSide, lower, transposeA, conjugateA: conjugateA && isComplexDType(a.dtype), unitDiagonal });
}

// ---- lu -------------------------------------------------------------------------------------

export const luP: Primitive<NoParams> = definePrimitive<NoParams>("lu", {
  params: {},
  complex: true,
  abstractEval([a]) {
    checkInexactMatrix("lax.linalg.lu", a, false);
    const s = a.shape;
    const m = s[s.length - 2];
    const k = Math.min(m, s[s.length - 1]);
    const batch = s.slice(0, -2);
    return [new ShapedArray(s, a.dtype), new ShapedArray([...batch, k], "int32"), new ShapedArray([...batch, m], "int32")];
  },
  lower([a]) {
    return { kind: "routine", routine: "linalg_lu", params: { batch: batchOf(a.shape), m: a.shape[a.ndim - 2], n: a.shape[a.ndim - 1] } };
  },
  jvp([a], [t]) {
    const [lu, pivots, perm] = bind(luP as unknown as Primitive, [a], {});
    const zeros = [new Zero(pivots.aval.strong()), new Zero(perm.aval.strong())];
    if (isZero(t)) return [[lu, pivots, perm], [new Zero(lu.aval.strong()), ...zeros]];
    // de Hoog, Anderssen & Lukas: with P·A = L·U, L⁻¹·P·dA·U⁻¹ = X gives dL = L·tril(X, -1), dU = triu(X)·U
    const s = a.shape;
    const batch = s.slice(0, -2);
    const m = s[s.length - 2];
    const n = s[s.length - 1];
    const k = Math.min(m, n);
    const dtype = a.dtype;
    // the rows of dA in the pivoted order, as a product with a one-hot permutation matrix (linear in dA)
    const P = convert(eq(broadcastInDim(perm, [...batch, m, m], range(batch.length + 1)), broadcastInDim(iota("int32", [m, m], 1), [...batch, m, m], [batch.length, batch.length + 1])), dtype);
    const x = bmm(P, t);
    const zero = (shape: number[]) => broadcastInDim(scalar(0, dtype), shape, []);
    const lower = tril(slice(lu, [...batch.map(() => 0), 0, 0], [...batch, m, k]), -1);
    let l = m > k ? concatenate([lower, zero([...batch, m, m - k])], batch.length + 1) : lower;
    l = add(l, eyeLike(batch, m, dtype));
    let u = triu(slice(lu, [...batch.map(() => 0), 0, 0], [...batch, k, n]));
    if (n > k) {
      const bottom = concatenate([zero([...batch, n - k, k]), eyeLike(batch, n - k, dtype)], batch.length + 1);
      u = concatenate([u, bottom], batch.length);
    }
    const la = triangularSolve(l, x, { leftSide: true, lower: true, unitDiagonal: true });
    const lau = triangularSolve(u, la, { leftSide: false, lower: false });
    const luDot = add(bmm(l, tril(lau, -1)), bmm(triu(lau), u));
    return [[lu, pivots, perm], [luDot, ...zeros]];
  },
  batch: (args, dims, params) => batchFront(luP, args, dims, params),
});

/**
 * LU decomposition with partial pivoting of the last two axes:
 * `[lu, pivots, permutation]` with P·a = L·U, L unit lower triangular (below
 * lu's diagonal), U upper triangular (lu's diagonal and above), `pivots[i]`
 * the row swapped with row i at step i, and `permutation` the rows of a in
 * the order of P·a (int32). A singular matrix factors without error (a zero
 * on U's diagonal), as in JAX. Complex matrices pivot on |re| + |im|, as
 * LAPACK's zgetrf (which JAX's CPU calls).
 * @example
 * const [lu, pivots, perm] = lax.linalg.lu(np.array([[1, 2], [3, 4]]));
 * // lu [[3, 4], [0.3333, 0.6667]], pivots [1, 1], perm [1, 0]
 */
export function lu(x: Value): [Value, Value, Value] {
  x = operandArg("lax.linalg.lu", x);
  checkInexactMatrix("lax.linalg.lu", x, false);
  const [a, p, q] = bind(luP as unknown as Primitive, [x], {});
  return [a, p, q];
}

// ---- complex operands of qr, eigh, svd (the routines: src/backend/{cpu,webgpu}/linalg-complex-spectral.ts) ----

const isCx = (d: DType) => d === "complex64" || d === "complex128";

/** A real value as the complex dtype `dtype` (itself when `dtype` is real). */
const asDtype = (x: Value, dtype: DType) => (x.dtype === dtype ? x : convert(x, dtype));

/** x·r⁻¹ for upper triangular r (a right-side triangular solve; complex r too). */
function solveUpperRight(r: Value, b: Value): Value {
  return triangularSolve(r, b, { leftSide: false, lower: false });
}

// ---- qr ---------------------------------------------------------------------------------------

type QrParams = { fullMatrices: boolean };

/**
 * JAX's _thin_qr_jvp for q (m×n), r (n×n), m ≥ n (J. Townsend's derivation):
 * dQ = Q(dΩ − QᴴdX R⁻¹) + dX R⁻¹, dR = (QᴴdX R⁻¹ − dΩ) R, dΩ the skew part of
 * QᴴdX R⁻¹'s strict lower triangle (plus, for complex input, its diagonal's
 * imaginary part).
 */
function thinQrJvp(q: Value, r: Value, dx: Value): [Value, Value] {
  const n = r.shape[r.ndim - 1];
  const dxRinv = solveUpperRight(r, dx);
  const qtDxRinv = bmm(mH(q), dxRinv);
  const low = tril(qtDxRinv, -1);
  let dOmega = sub(low, mH(low));
  if (isCx(q.dtype)) {
    const eye = eyeLike(q.shape.slice(0, -2), n, q.dtype);
    dOmega = add(dOmega, mul(eye, sub(qtDxRinv, asDtype(real(qtDxRinv), q.dtype))));
  }
  const dq = add(bmm(q, sub(dOmega, qtDxRinv)), dxRinv);
  const dr = bmm(sub(qtDxRinv, dOmega), r);
  return [dq, dr];
}

export const qrP: Primitive<QrParams> = definePrimitive<QrParams>("qr", {
  params: { fullMatrices: "bool" },
  // complex operands: complex Householder (Q unitary, R's diagonal real)
  complex: true,
  abstractEval([a], { fullMatrices }) {
    checkInexactMatrix("lax.linalg.qr", a, false);
    const s = a.shape;
    const m = s[s.length - 2];
    const n = s[s.length - 1];
    const c = fullMatrices ? m : Math.min(m, n);
    const batch = s.slice(0, -2);
    return [new ShapedArray([...batch, m, c], a.dtype), new ShapedArray([...batch, c, n], a.dtype)];
  },
  lower([a], { fullMatrices }) {
    return { kind: "routine", routine: isCx(a.dtype) ? "linalg_qr_complex" : "linalg_qr", params: { batch: batchOf(a.shape), m: a.shape[a.ndim - 2], n: a.shape[a.ndim - 1], fullMatrices } };
  },
  jvp([x], [dx], { fullMatrices }) {
    const m = x.shape[x.ndim - 2];
    const n = x.shape[x.ndim - 1];
    const [q, r] = bind(qrP as unknown as Primitive, [x], { fullMatrices });
    if (isZero(dx)) return [[q, r], [new Zero(q.aval.strong()), new Zero(r.aval.strong())]];
    if (fullMatrices && m > n) {
      throw new ShapeError(
        `lax.linalg.qr: the derivative of the full (m×m) Q of a tall matrix is not implemented, got shape ${fmtShape(x.shape)} with fullMatrices=true; ` +
          "use fullMatrices: false (np.linalg.qr's mode \"reduced\"), whose Q spans the same columns the derivative needs",
      );
    }
    if (m >= n) return [[q, r], thinQrJvp(q, r, dx)];
    // a wide matrix, as JAX: X = [X1 X2] = Q·[R1 R2], X1 = Q·R1 a square QR, and R2 = Qᴴ·X2 gives dR2 = dQᴴ·X2 + Qᴴ·dX2
    const batch = x.shape.slice(0, -2);
    const z = batch.map(() => 0);
    const cols = (v: Value, from: number, to: number) => slice(v, [...z, 0, from], [...batch, v.shape[v.ndim - 2], to]);
    const [dq, dr1] = thinQrJvp(q, cols(r, 0, m), cols(dx, 0, m));
    const dr2 = add(bmm(mH(dq), cols(x, m, n)), bmm(mH(q), cols(dx, m, n)));
    return [[q, r], [dq, concatenate([dr1, dr2], x.ndim - 1)]];
  },
  batch: (args, dims, params) => batchFront(qrP, args, dims, params),
});

export interface QrOptions {
  /** Q of m×m and R of m×n (true), or Q of m×k and R of k×n with k = min(m, n) (false, the default in lax). */
  fullMatrices?: boolean;
}

/**
 * QR decomposition of the last two axes by Householder reflections (LAPACK's
 * sign convention: R's diagonal may be negative): `[q, r]` with q·r = x,
 * q orthonormal columns, r upper triangular. Complex input (as JAX): q has
 * unitary columns (qᴴ·q = I) and r a real diagonal, as LAPACK's zgeqrf.
 * @example
 * const [q, r] = lax.linalg.qr(np.array([[3, 1], [4, 2]]));
 * // q [[-0.6, -0.8], [-0.8, 0.6]], r [[-5, -2.2], [0, 0.4]]
 */
export function qr(x: Value, options: QrOptions = {}): [Value, Value] {
  const { fullMatrices = false } = optionsArg("lax.linalg.qr", options);
  if (typeof fullMatrices !== "boolean") throw new DTypeError(`lax.linalg.qr: fullMatrices must be true or false, got ${String(fullMatrices)}`);
  x = operandArg("lax.linalg.qr", x);
  checkInexactMatrix("lax.linalg.qr", x, false);
  const [q, r] = bind(qrP as unknown as Primitive, [x], { fullMatrices });
  return [q, r];
}

// ---- eigh -------------------------------------------------------------------------------------

type EighParams = { lower: boolean; sortEigenvalues: boolean };

export const eighP: Primitive<EighParams> = definePrimitive<EighParams>("eigh", {
  params: { lower: "bool", sortEigenvalues: "bool" },
  // complex (Hermitian) operands: real eigenvalues, unitary eigenvectors
  complex: true,
  abstractEval([a]) {
    checkInexactMatrix("lax.linalg.eigh", a, true);
    const part = isCx(a.dtype) ? complexPartOf(a.dtype as "complex64") : a.dtype;
    return [new ShapedArray(a.shape, a.dtype), new ShapedArray(a.shape.slice(0, -1), part)];
  },
  lower([a], params) {
    return { kind: "routine", routine: isCx(a.dtype) ? "linalg_eigh_complex" : "linalg_eigh", params: { batch: batchOf(a.shape), n: a.shape[a.ndim - 1], ...params } };
  },
  jvp([a], [t], params) {
    // as JAX, the primal is the decomposition of the symmetrized (Hermitian) input
    const [v, w] = bind(eighP as unknown as Primitive, [hermitianPart(a)], params);
    if (isZero(t)) return [[v, w], [new Zero(v.aval.strong()), new Zero(w.aval.strong())]];
    const n = a.shape[a.ndim - 1];
    const batch = a.shape.slice(0, -2);
    // F[i, j] = 1/(w_j - w_i) off the diagonal, 0 on it. Equal eigenvalues give inf (JAX's documented caveat:
    // eigenvectors of a repeated eigenvalue are not unique, so their derivative is undefined)
    const eye = eyeLike(batch, n, w.dtype);
    const wRow = asRow(w, n);
    const wCol = asCol(w, n);
    const F = sub(integerPow(sub(add(eye, wRow), wCol), -1), eye);
    const vtAv = bmm(bmm(mH(v), t), v);
    const dv = bmm(v, mul(asDtype(F, a.dtype), vtAv));
    const dw = isCx(a.dtype) ? real(diag(vtAv)) : diag(vtAv);
    return [[v, w], [dv, dw]];
  },
  batch: (args, dims, params) => batchFront(eighP, args, dims, params),
});

export interface EighOptions {
  /** Read the lower triangle (true, the default) or the upper one. */
  lower?: boolean;
  /** Use (x + xᵀ)/2 (default true, as JAX). */
  symmetrizeInput?: boolean;
  /** Eigenvalues in ascending order (default true). */
  sortEigenvalues?: boolean;
}

/**
 * Eigendecomposition of symmetric matrices in the last two axes:
 * `[v, w]` with x·v = v·diag(w), eigenvectors in v's columns. The
 * derivative of v is undefined (inf/NaN) where eigenvalues repeat, as in JAX.
 * Complex (Hermitian) input: w real (float32 for complex64), v unitary with
 * each column's first component real and non-negative (LAPACK's phase up to
 * a sign; eigenvectors are unique only up to a phase per column).
 * @example
 * const [v, w] = lax.linalg.eigh(np.array([[2, 1], [1, 2]])); // w [1, 3]
 */
export function eigh(x: Value, options: EighOptions = {}): [Value, Value] {
  const op = "lax.linalg.eigh";
  const { lower = true, symmetrizeInput = true, sortEigenvalues = true } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ lower, symmetrizeInput, sortEigenvalues })) {
    if (typeof v !== "boolean") throw new DTypeError(`${op}: ${k} must be true or false, got ${String(v)}`);
  }
  x = operandArg(op, x);
  checkInexactMatrix(op, x, true);
  const [v, w] = bind(eighP as unknown as Primitive, [symmetrizeInput ? hermitianPart(x) : x], { lower, sortEigenvalues });
  return [v, w];
}

// ---- svd ----------------------------------------------------------------------------------------

type SvdParams = { fullMatrices: boolean; computeUv: boolean };

export const svdP: Primitive<SvdParams> = definePrimitive<SvdParams>("svd", {
  params: { fullMatrices: "bool", computeUv: "bool" },
  // complex operands: real singular values, unitary U and Vᴴ
  complex: true,
  abstractEval([a], { fullMatrices, computeUv }) {
    checkInexactMatrix("lax.linalg.svd", a, false);
    const s = a.shape;
    const m = s[s.length - 2];
    const n = s[s.length - 1];
    const k = Math.min(m, n);
    const batch = s.slice(0, -2);
    const sv = new ShapedArray([...batch, k], isCx(a.dtype) ? complexPartOf(a.dtype as "complex64") : a.dtype);
    if (!computeUv) return [sv];
    return [sv, new ShapedArray([...batch, m, fullMatrices ? m : k], a.dtype), new ShapedArray([...batch, fullMatrices ? n : k, n], a.dtype)];
  },
  lower([a], params) {
    return { kind: "routine", routine: isCx(a.dtype) ? "linalg_svd_complex" : "linalg_svd", params: { batch: batchOf(a.shape), m: a.shape[a.ndim - 2], n: a.shape[a.ndim - 1], ...params } };
  },
  jvp([a], [dA], { fullMatrices, computeUv }) {
    const [s, U, Vt] = bind(svdP as unknown as Primitive, [a], { fullMatrices: false, computeUv: true });
    const m = a.shape[a.ndim - 2];
    const n = a.shape[a.ndim - 1];
    const k = Math.min(m, n);
    const primalsOut = computeUv ? (fullMatrices ? bind(svdP as unknown as Primitive, [a], { fullMatrices, computeUv }) : [s, U, Vt]) : [s];
    if (isZero(dA)) return [primalsOut, primalsOut.map((p) => new Zero(p.aval.strong()))];
    if (computeUv && fullMatrices && m !== n) {
      throw new ShapeError(
        `lax.linalg.svd: the derivative of full U and Vᵀ of a non-square matrix is not implemented (as in JAX), shape ${fmtShape(a.shape)}; ` +
          "use fullMatrices: false",
      );
    }
    const batch = a.shape.slice(0, -2);
    if (isCx(a.dtype)) return svdComplexJvp(a, dA, s, U, Vt, primalsOut, computeUv, batch);
    const V = mT(Vt);
    const dS = bmm(bmm(mT(U), dA), V);
    const ds = diag(dS);
    if (!computeUv) return [[s], [ds]];
    // F[i, j] = 1/(s_j² - s_i²) off the diagonal: undefined (inf) for repeated singular values, as JAX documents
    const sRow = asRow(s, k);
    const sCol = mT(sRow);
    const eye = eyeLike(batch, k, a.dtype);
    const diffs = mul(add(sRow, sCol), sub(sRow, sCol));
    const F = sub(div(1, add(diffs, eye)), eye);
    const dSS = mul(sRow, dS);
    const SdS = mul(sCol, dS);
    let dU = bmm(U, mul(F, add(dSS, mT(dSS))));
    let dV = bmm(V, mul(F, add(SdS, mT(SdS))));
    if (m > n) {
      const dAV = bmm(dA, V);
      dU = add(dU, div(sub(dAV, bmm(U, bmm(mT(U), dAV))), asRow(s, m)));
    }
    if (n > m) {
      const dAtU = bmm(mT(dA), U);
      dV = add(dV, div(sub(dAtU, bmm(V, bmm(Vt, dAtU))), asRow(s, n)));
    }
    return [primalsOut, [ds, dU, mT(dV)]];
  },
  batch: (args, dims, params) => batchFront(svdP, args, dims, params),
});

/** JAX's _svd_jvp_rule for a complex operand (Uᴴ, Vᴴ, the real part of dS's diagonal, the phase term dUdV_diag). */
function svdComplexJvp(a: Value, dA: Value, s: Value, U: Value, Vt: Value, primalsOut: Value[], computeUv: boolean, batch: number[]): [Value[], Value[]] {
  const m = a.shape[a.ndim - 2];
  const n = a.shape[a.ndim - 1];
  const k = Math.min(m, n);
  const c = a.dtype;
  const V = mH(Vt);
  const Ut = mH(U);
  const dS = bmm(bmm(Ut, dA), V);
  const ds = real(diag(dS));
  if (!computeUv) return [[s], [ds]];
  const sRow = asRow(s, k);
  const sCol = mT(sRow);
  const eye = eyeLike(batch, k, s.dtype);
  const F = asDtype(sub(div(1, add(mul(add(sRow, sCol), sub(sRow, sCol)), eye)), eye), c);
  const dSS = mul(asDtype(sRow, c), dS);
  const SdS = mul(asDtype(sCol, c), dS);
  // 1/s on the diagonal (0 where s is 0), as JAX's s_inv_mat
  const sZero = convert(eq(s, 0), s.dtype);
  const sInvMat = mul(eye, asCol(sub(div(1, add(s, sZero)), sZero), k));
  const dUdVdiag = mul(div(sub(dS, mH(dS)), 2), asDtype(sInvMat, c));
  let dU = bmm(U, add(mul(F, add(dSS, mH(dSS))), dUdVdiag));
  let dV = bmm(V, mul(F, add(SdS, mH(SdS))));
  if (m > n) {
    const dAV = bmm(dA, V);
    dU = add(dU, div(sub(dAV, bmm(U, bmm(Ut, dAV))), asDtype(asRow(s, m), c)));
  }
  if (n > m) {
    const dAHU = bmm(mH(dA), U);
    dV = add(dV, div(sub(dAHU, bmm(V, bmm(Vt, dAHU))), asDtype(asRow(s, n), c)));
  }
  return [primalsOut, [ds, dU, mH(dV)]];
}

export interface SvdOptions {
  /** U of m×m and Vᵀ of n×n (true, the default as in JAX), or m×k and k×n with k = min(m, n). */
  fullMatrices?: boolean;
  /** Return `[u, s, vt]` (true, the default) or only the singular values. */
  computeUv?: boolean;
}

/**
 * Singular value decomposition of the last two axes: `[u, s, vt]` with
 * u·diag(s)·vt = x and s descending and non-negative, or `s` alone with
 * `computeUv: false`. The derivative of u and vt is undefined (inf/NaN)
 * where singular values repeat, as in JAX; that of s is always defined.
 * Complex input: s real (float32 for complex64), u and vt unitary.
 * @example
 * const [u, s, vt] = lax.linalg.svd(np.array([[3, 0], [0, -4]])); // s [4, 3]
 * lax.linalg.svd(np.array([[3, 0], [0, -4]]), { computeUv: false }); // [4, 3]
 * lax.linalg.svd(lax.complex(np.array([[3, 0], [0, 0]]), np.array([[0, 0], [0, 4]])), { computeUv: false }); // [4, 3]
 */
export function svd(x: Value, options: SvdOptions & { computeUv: false }): Value;
export function svd(x: Value, options?: SvdOptions): [Value, Value, Value];
export function svd(x: Value, options: SvdOptions = {}): Value | [Value, Value, Value] {
  const op = "lax.linalg.svd";
  const { fullMatrices = true, computeUv = true } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ fullMatrices, computeUv })) {
    if (typeof v !== "boolean") throw new DTypeError(`${op}: ${k} must be true or false, got ${String(v)}`);
  }
  x = operandArg(op, x);
  checkInexactMatrix(op, x, false);
  const outs = bind(svdP as unknown as Primitive, [x], { fullMatrices, computeUv });
  if (!computeUv) return outs[0];
  return [outs[1], outs[0], outs[2]];
}

// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------
//
// cholesky and triangular_solve are StableHLO ops (XLA expands them on every
// device). lu, qr, eigh and svd are not (JAX lowers them to LAPACK/cuSOLVER
// custom calls, which are not portable): they lower to jaxon's own algorithms
// as stablehlo.while loops (src/lax/stablehlo-linalg.ts).
lowersToStablehlo(choleskyP, choleskyStablehlo);
lowersToStablehlo(triangularSolveP, (ctx, [a, b], p, [aAval]) => {
  // conjugateA (complex only): with transposeA it is the ADJOINT form; alone, a conjugate of a first, as JAX
  let lhs = a;
  if (p.conjugateA && !p.transposeA) {
    const part = aAval.dtype === "complex64" ? "float32" : "float64";
    const re = ctx.b.op1("stablehlo.real", [a], hloType(aAval.shape, part));
    const im = ctx.b.op1("stablehlo.negate", [ctx.b.op1("stablehlo.imag", [a], hloType(aAval.shape, part))], hloType(aAval.shape, part));
    lhs = ctx.b.op1("stablehlo.complex", [re, im], a.type);
  }
  return [
    ctx.b.op1("stablehlo.triangular_solve", [lhs, b], b.type, {
      left_side: attr.bool(p.leftSide),
      lower: attr.bool(p.lower),
      unit_diagonal: attr.bool(p.unitDiagonal),
      transpose_a: attr.enumOf("transpose", p.transposeA ? (p.conjugateA ? "ADJOINT" : "TRANSPOSE") : "NO_TRANSPOSE"),
    }),
  ];
});
lowersToStablehlo(luP, luStablehlo);
lowersToStablehlo(qrP, qrStablehlo);
lowersToStablehlo(eighP, eighStablehlo);
lowersToStablehlo(svdP, svdStablehlo);

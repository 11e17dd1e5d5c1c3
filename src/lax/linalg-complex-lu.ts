/**
 * What the LU family of lax.linalg (cholesky, triangular_solve, lu) needs to
 * take complex matrices as JAX does: the dtype check that admits complex64
 * and complex128, the conjugate transpose, and the Hermitian part that
 * `cholesky`'s `symmetrizeInput` uses for complex input. All written with
 * bind, so they differentiate and batch.
 */
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import type { DType } from "../dtype.js";
import { isComplexDType } from "../dtype.js";
import type { Value } from "../trace/core.js";
import { conj } from "./complex.js";
import { add, div } from "./elementwise.js";
import { transpose } from "./shape.js";

/** float32, float64, complex64 or complex128 matrices (or stacks of them) in the last two axes, square if asked. */
export function checkInexactMatrix(op: string, a: { dtype: DType; shape: readonly number[] }, square: boolean): void {
  const d = a.dtype;
  if (d !== "float32" && d !== "float64" && d !== "complex64" && d !== "complex128") {
    throw new DTypeError(`${op}: needs a float32, float64, complex64 or complex128 matrix, got ${d}${fmtShape(a.shape)}; convert it first (x.astype("float32"))`);
  }
  const s = a.shape;
  if (s.length < 2) throw new ShapeError(`${op}: needs a matrix or a stack of matrices (at least 2 axes), got shape ${fmtShape(s)}`);
  if (square && s[s.length - 1] !== s[s.length - 2]) {
    throw new ShapeError(`${op}: needs square matrices in the last two axes, got shape ${fmtShape(s)}`);
  }
}

/** The complex conjugate of a complex array; a real array as it is. */
export const conjIfComplex = (x: Value): Value => (isComplexDType(x.dtype) ? conj(x) : x);

/** The conjugate transpose of the last two axes (the transpose for real arrays). */
export function mH(x: Value): Value {
  const n = x.ndim;
  const perm = globalThis.Array.from({ length: n }, (_, i) => (i < n - 2 ? i : i === n - 2 ? n - 1 : n - 2));
  return conjIfComplex(transpose(x, perm));
}

/** (x + xᴴ) / 2: JAX's `symmetrize` (Hermitian part for complex matrices, symmetric part for real ones). */
export function hermitianPart(x: Value): Value {
  return div(add(x, mH(x)), 2);
}

/**
 * np.linalg.eig and np.linalg.eigvals: eigenvalues and eigenvectors of
 * general (nonsymmetric) real or complex matrices, complex results, on the CPU as JAX's
 * (lax.linalg.eig; WebGPU refuses with an UnsupportedError).
 */
import { DTypeError, ShapeError } from "../errors.js";
import * as la from "../lax/linalg-public.js";
import { fmtShape } from "../shape.js";
import type { ArrayLike, Value } from "./util.js";
import { toInexact } from "./util.js";

function squareArg(op: string, a: ArrayLike): Value {
  const v = toInexact(op, a);
  if (v.dtype !== "float32" && v.dtype !== "float64" && v.dtype !== "complex64" && v.dtype !== "complex128") {
    throw new DTypeError(`${op}: needs float32, float64, complex64 or complex128 matrices, got ${v.dtype}${fmtShape(v.shape)}; convert with x.astype("float32")`);
  }
  if (v.ndim < 2 || v.shape[v.ndim - 1] !== v.shape[v.ndim - 2]) {
    throw new ShapeError(`${op}: needs square matrices in the last two axes (at least 2 axes), got shape ${fmtShape(v.shape)}`);
  }
  return v;
}

/**
 * Eigenvalues and right eigenvectors of general square matrices (the last
 * two axes): `[eigenvalues, eigenvectors]` as JAX's EigResult, complex64 for
 * float32 or complex64 input (complex128 for float64 or complex128), a·v = v·diag(w) with the vectors
 * in columns, each of unit norm with its largest component real (LAPACK's
 * geev, as JAX). CPU only, as JAX. Only the eigenvalues are differentiable.
 * @example
 * const [w, v] = np.linalg.eig(np.array([[2, 0], [0, 3]])); // w [2+0j, 3+0j]
 */
export function eig(a: ArrayLike): [Value, Value] {
  const [w, v] = la.eig(squareArg("np.linalg.eig", a), { computeLeftEigenvectors: false, computeRightEigenvectors: true });
  return [w, v];
}

/**
 * The eigenvalues of general square matrices (complex), as eig's without
 * the eigenvectors; differentiable (JAX's rule). CPU only, as JAX.
 * @example
 * np.linalg.eigvals(np.array([[0, -1], [1, 0]])); // [0+1j, 0-1j]
 */
export function eigvals(a: ArrayLike): Value {
  return la.eig(squareArg("np.linalg.eigvals", a), { computeLeftEigenvectors: false, computeRightEigenvectors: false })[0];
}

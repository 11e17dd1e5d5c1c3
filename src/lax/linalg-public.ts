/**
 * The public `lax.linalg` namespace: JAX's factorizations (camelCase) and
 * their primitives. The helpers in `./linalg.ts` (tril, batched matmul, …)
 * stay internal.
 */
export { cholesky, choleskyP, eigh, eighP, lu, luP, qr, qrP, svd, svdP, triangularSolve, triangularSolveP } from "./linalg.js";
export { eig, eigP } from "./linalg-eig.js";
export type { EigOptions } from "./linalg-eig.js";
export type { CholeskyOptions, EighOptions, QrOptions, SvdOptions, TriangularSolveOptions } from "./linalg.js";

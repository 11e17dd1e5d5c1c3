/**
 * lax.linalg.eig: the eigendecomposition of general (nonsymmetric) real or
 * complex matrices, with complex results, as a primitive with JAX's rules: abstract
 * eval (complex64 results for float32, complex128 for float64), JAX's jvp
 * (eigenvalues always; eigenvectors only with `enableEigvecDerivs`, JAX's
 * opt-in, since it assumes simple eigenvalues), batching over
 * leading axes (one routine call for the whole batch). CPU only, as JAX's
 * eig: the routine is src/backend/cpu/linalg-eig.ts for real input
 * (balancing, Hessenberg reduction, Francis double-shift QR,
 * back-substitution, LAPACK geev's normalization) and
 * src/backend/cpu/linalg-complex-spectral.ts for complex input (balancing,
 * complex Hessenberg, complex shifted QR as zlahqr); WebGPU's entries refuse
 * with an UnsupportedError.
 */
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { complexOf } from "../dtype.js";
import type { DType } from "../dtype.js";
import { fmtShape, sizeOf } from "../shape.js";
import { describe, optionsArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { complex, conj, imag, real } from "./complex.js";
import { dotGeneral } from "./dot.js";
import { abs, add, convert, div, eq, mul, neg, operandArg, sub } from "./elementwise.js";
import { definePrimitive, isZero, scalar, ShapedArray, Zero } from "./primitive.js";
import { argmax, reduceSum } from "./reduce.js";
import { broadcastInDim, iota, moveAxis, transpose } from "./shape.js";

type EigParams = { computeLeftEigenvectors: boolean; computeRightEigenvectors: boolean; enableEigvecDerivs: boolean };

const isCx = (d: DType) => d === "complex64" || d === "complex128";

const range = (n: number, from = 0) => globalThis.Array.from({ length: n }, (_, i) => from + i);

function checkEigInput(op: string, a: { dtype: DType; shape: readonly number[] }) {
  if (a.dtype !== "float32" && a.dtype !== "float64" && !isCx(a.dtype)) {
    throw new DTypeError(`${op}: needs a float32, float64, complex64 or complex128 matrix, got ${a.dtype}${fmtShape(a.shape)}; convert it first (x.astype("float32"))`);
  }
  const s = a.shape;
  if (s.length < 2) throw new ShapeError(`${op}: needs a matrix or a stack of matrices (at least 2 axes), got shape ${fmtShape(s)}`);
  if (s[s.length - 1] !== s[s.length - 2]) throw new ShapeError(`${op}: needs square matrices in the last two axes, got shape ${fmtShape(s)}`);
}

/** Swaps the last two axes. */
const mT = (x: Value) => transpose(x, [...range(x.ndim - 2), x.ndim - 1, x.ndim - 2]);
/** Batched matrix product over equal leading axes. */
const bmm = (x: Value, y: Value) => {
  const nb = x.ndim - 2;
  return dotGeneral(x, y, { contracting: [[nb + 1], [nb]], batch: [range(nb), range(nb)] });
};

/**
 * JAX's _eig_vec_jvp (nondegenerate perturbation theory, Giles 2008 §3.1):
 * with P = V⁻¹·dA·V, dλ = diag(P) and dV = V·(F ∘ P) + V·diag(c), F[i, j] =
 * 1/(λⱼ - λᵢ) off the diagonal, c fixed by LAPACK's normalization (unit norm,
 * the largest component real) so the derivative is that of the vectors
 * returned. `u` holds the dual vectors: V⁻¹ = diag(1/(uᵢᴴ·vᵢ))·uᴴ.
 */
function eigVecJvp(w: Value, v: Value, u: Value, da: Value): [Value, Value] {
  const nb = v.ndim - 2;
  const n = v.shape[v.ndim - 1];
  const batch = v.shape.slice(0, -2);
  const c = v.dtype;
  const part = c === "complex64" ? "float32" : "float64";
  const uc = conj(u);
  const den = reduceSum(mul(uc, v), [nb]);
  const P = div(bmm(mT(uc), bmm(da, v)), broadcastInDim(den, v.shape, [...range(nb), nb]));
  const eyeR = convert(eq(iota("int32", [n, n], 0), iota("int32", [n, n], 1)), part);
  const eye = convert(broadcastInDim(eyeR, v.shape, [nb, nb + 1]), c);
  const dw = reduceSum(mul(P, eye), [nb + 1]);
  const wRow = broadcastInDim(w, v.shape, [...range(nb), nb + 1]);
  const wCol = broadcastInDim(w, v.shape, [...range(nb), nb]);
  const ones = convert(broadcastInDim(scalar(1, part), v.shape, []), c);
  const F = sub(div(ones, add(eye, sub(wRow, wCol))), eye);
  const U = bmm(v, mul(F, P));
  // the free multiple of each vⱼ: Re(vⱼᴴ·dvⱼ) = 0 keeps the norm, Im(dv_kj) = 0 keeps the largest component real
  const k = argmax(abs(v), nb);
  const rows = iota("int32", [...batch, n, n], nb);
  const mask = convert(eq(rows, broadcastInDim(k, v.shape, [...range(nb), nb + 1])), c);
  const cRe = neg(real(reduceSum(mul(conj(v), U), [nb])));
  const cIm = neg(div(imag(reduceSum(mul(mask, U), [nb])), real(reduceSum(mul(mask, v), [nb]))));
  const dv = add(U, mul(v, broadcastInDim(complex(cRe, cIm), v.shape, [...range(nb), nb + 1])));
  return [dw, dv];
}

export const eigP: Primitive<EigParams> = definePrimitive<EigParams>("eig", {
  params: { computeLeftEigenvectors: "bool", computeRightEigenvectors: "bool", enableEigvecDerivs: "bool" },
  // real operands, complex results
  complex: true,
  abstractEval([a], { computeLeftEigenvectors, computeRightEigenvectors }) {
    checkEigInput("lax.linalg.eig", a);
    const c = isCx(a.dtype) ? a.dtype : complexOf(a.dtype);
    const outs = [new ShapedArray(a.shape.slice(0, -1), c)];
    if (computeLeftEigenvectors) outs.push(new ShapedArray(a.shape, c));
    if (computeRightEigenvectors) outs.push(new ShapedArray(a.shape, c));
    return outs;
  },
  lower([a], { computeLeftEigenvectors, computeRightEigenvectors }) {
    return {
      kind: "routine",
      // a complex operand: complex Hessenberg and QR (src/backend/cpu/linalg-complex-spectral.ts)
      routine: isCx(a.dtype) ? "linalg_eig_complex" : "linalg_eig",
      params: { batch: sizeOf(a.shape.slice(0, -2)), n: a.shape[a.ndim - 1], left: computeLeftEigenvectors, right: computeRightEigenvectors },
    };
  },
  jvp([a], [t], params) {
    const { computeLeftEigenvectors: left, computeRightEigenvectors: right, enableEigvecDerivs } = params;
    if (isZero(t)) {
      const outs = bind(eigP as unknown as Primitive, [a], params as never);
      return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    }
    if ((left || right) && !enableEigvecDerivs) {
      throw new UnsupportedError(
        "lax.linalg.eig: the derivative of eigenvectors of a nonsymmetric matrix holds only under assumptions jaxon cannot check (simple eigenvalues), " +
          "so it is off by default as in JAX: pass { enableEigvecDerivs: true } to lax.linalg.eig to opt in, or differentiate the eigenvalues alone " +
          "(np.linalg.eigvals(x), or lax.linalg.eig(x, { computeLeftEigenvectors: false, computeRightEigenvectors: false }))",
      );
    }
    // both sets of eigenvectors from one routine call: the rows of V⁻¹ are the left eigenvectors, scaled
    const [w, vl, vr] = bind(eigP as unknown as Primitive, [a], { computeLeftEigenvectors: true, computeRightEigenvectors: true, enableEigvecDerivs });
    const dc = convert(t, w.dtype);
    if (!left && !right) {
      // JAX's eig_jvp (eq. 4.60 of arXiv:1701.00392): dλ = diag(V⁻¹·dA·V), here dλᵢ = (vlᵢᴴ·dA·vᵢ)/(vlᵢᴴ·vᵢ)
      const nb = a.ndim - 2;
      const vlc = conj(vl);
      const num = reduceSum(mul(vlc, bmm(dc, vr)), [nb]);
      const den = reduceSum(mul(vlc, vr), [nb]);
      return [[w], [div(num, den)]];
    }
    const [dw, dvr] = eigVecJvp(w, vr, vl, dc);
    const primals = [w];
    const tangents = [dw];
    if (left) {
      // the left eigenvectors are the right ones of xᴴ (tangent dxᴴ) (eigenvalues conjugated), with vr as their dual
      primals.push(vl);
      tangents.push(eigVecJvp(conj(w), vl, vr, conj(mT(dc)))[1]);
    }
    if (right) {
      primals.push(vr);
      tangents.push(dvr);
    }
    return [primals, tangents];
  },
  batch([a], [d], params) {
    const outs = bind(eigP as unknown as Primitive, [moveAxis(a, d!, 0)], params as never);
    return [outs, outs.map(() => 0)];
  },
});

export interface EigOptions {
  /** Also return the left eigenvectors vl (vlᴴ·x = λ·vlᴴ), default false. */
  computeLeftEigenvectors?: boolean;
  /** Also return the right eigenvectors vr (x·vr = vr·diag(λ)), default true. */
  computeRightEigenvectors?: boolean;
  /**
   * Allow differentiating the eigenvectors (default false, as JAX's
   * `enable_eigvec_derivs`): valid only for simple eigenvalues, which
   * jaxon cannot check; the derivative is that of geev's normalization.
   */
  enableEigvecDerivs?: boolean;
}

/**
 * Eigendecomposition of general real or complex square matrices in the last
 * two axes, on the CPU (as JAX's eig): `[w, vl?, vr?]`, the eigenvalues w
 * (complex64 for float32 or complex64 input, complex128 for float64 or complex128) then the left and right
 * eigenvectors asked for, in columns, each normalized as LAPACK's geev
 * (unit 2-norm, the largest component real). The eigenvalues come in
 * LAPACK's order (that of the Schur form after balancing): for real input a
 * complex-conjugate pair comes with the positive imaginary part first. The
 * order is LAPACK's (the QR iterations follow dlahqr/zlahqr, which geev
 * runs below n = 75; compared value by value with JAX's on 59 matrices,
 * n ≤ 40, in test/linalg-complex-spectral.test.ts); it can differ where
 * rounding decides a deflation (clustered eigenvalues) and for n ≥ 75, where
 * LAPACK switches to its multishift dlaqr0. The eigenvalues are differentiable
 * (JAX's rule); the eigenvectors with `enableEigvecDerivs` (JAX's opt-in). A
 * non-finite input gives NaNs.
 * @example
 * const [w, vr] = lax.linalg.eig(np.array([[0, -1], [1, 0]])); // w [0+1j, 0-1j]
 */
export function eig(x: Value, options: EigOptions = {}): Value[] {
  const op = "lax.linalg.eig";
  const { computeLeftEigenvectors = false, computeRightEigenvectors = true, enableEigvecDerivs = false } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ computeLeftEigenvectors, computeRightEigenvectors, enableEigvecDerivs })) {
    if (typeof v !== "boolean") throw new DTypeError(`${op}: ${k} must be true or false, got ${describe(v)}`);
  }
  x = operandArg(op, x);
  checkEigInput(op, x);
  return bind(eigP as unknown as Primitive, [x], { computeLeftEigenvectors, computeRightEigenvectors, enableEigvecDerivs });
}

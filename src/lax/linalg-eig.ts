/**
 * lax.linalg.eig: the eigendecomposition of general (nonsymmetric) real
 * matrices, with complex results, as a primitive with JAX's rules: abstract
 * eval (complex64 results for float32, complex128 for float64), the jvp of
 * the eigenvalues (JAX's eig_jvp; the eigenvectors' derivative is refused,
 * as JAX does unless asked to assume more than it can check), batching over
 * leading axes (one routine call for the whole batch). CPU only, as JAX's
 * eig: the routine is src/backend/cpu/linalg-eig.ts (Hessenberg reduction,
 * Francis double-shift QR, back-substitution, LAPACK geev's normalization);
 * WebGPU's entry refuses with an UnsupportedError.
 */
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { complexOf } from "../dtype.js";
import type { DType } from "../dtype.js";
import { fmtShape, sizeOf } from "../shape.js";
import { describe, optionsArg } from "../static-args.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { complex, conj } from "./complex.js";
import { dotGeneral } from "./dot.js";
import { div, mul, operandArg } from "./elementwise.js";
import { definePrimitive, isZero, scalar, ShapedArray, Zero } from "./primitive.js";
import { reduceSum } from "./reduce.js";
import { broadcastInDim, moveAxis } from "./shape.js";

type EigParams = { computeLeftEigenvectors: boolean; computeRightEigenvectors: boolean };

const range = (n: number, from = 0) => globalThis.Array.from({ length: n }, (_, i) => from + i);

function checkEigInput(op: string, a: { dtype: DType; shape: readonly number[] }) {
  if (a.dtype === "complex64" || a.dtype === "complex128") {
    throw new UnsupportedError(`${op}: complex input (${a.dtype}${fmtShape(a.shape)}) is not supported yet; eig takes float32 or float64 matrices (their eigenvalues may be complex)`);
  }
  if (a.dtype !== "float32" && a.dtype !== "float64") {
    throw new DTypeError(`${op}: needs a float32 or float64 matrix, got ${a.dtype}${fmtShape(a.shape)}; convert it first (x.astype("float32"))`);
  }
  const s = a.shape;
  if (s.length < 2) throw new ShapeError(`${op}: needs a matrix or a stack of matrices (at least 2 axes), got shape ${fmtShape(s)}`);
  if (s[s.length - 1] !== s[s.length - 2]) throw new ShapeError(`${op}: needs square matrices in the last two axes, got shape ${fmtShape(s)}`);
}

export const eigP: Primitive<EigParams> = definePrimitive<EigParams>("eig", {
  params: { computeLeftEigenvectors: "bool", computeRightEigenvectors: "bool" },
  // real operands, complex results
  complex: true,
  abstractEval([a], { computeLeftEigenvectors, computeRightEigenvectors }) {
    checkEigInput("lax.linalg.eig", a);
    const c = complexOf(a.dtype);
    const outs = [new ShapedArray(a.shape.slice(0, -1), c)];
    if (computeLeftEigenvectors) outs.push(new ShapedArray(a.shape, c));
    if (computeRightEigenvectors) outs.push(new ShapedArray(a.shape, c));
    return outs;
  },
  lower([a], { computeLeftEigenvectors, computeRightEigenvectors }) {
    return {
      kind: "routine",
      routine: "linalg_eig",
      params: { batch: sizeOf(a.shape.slice(0, -2)), n: a.shape[a.ndim - 1], left: computeLeftEigenvectors, right: computeRightEigenvectors },
    };
  },
  jvp([a], [t], params) {
    const outs = bind(eigP as unknown as Primitive, [a], params as never);
    if (isZero(t)) return [outs, outs.map((o) => new Zero(o.aval.strong()))];
    if (params.computeLeftEigenvectors || params.computeRightEigenvectors) {
      throw new UnsupportedError(
        "lax.linalg.eig: the derivative of eigenvectors of a nonsymmetric matrix is not implemented (JAX refuses it too unless told to assume what it cannot check); " +
          "differentiate the eigenvalues alone: np.linalg.eigvals(x), or lax.linalg.eig(x, { computeLeftEigenvectors: false, computeRightEigenvectors: false })",
      );
    }
    // JAX's eig_jvp (Giles 2008, eq. 4.60 of arXiv:1701.00392): dλ = diag(V⁻¹·dA·V). The rows of V⁻¹
    // are the left eigenvectors, so dλᵢ = (vlᵢᴴ·dA·vᵢ)/(vlᵢᴴ·vᵢ) with both sets from one routine call
    const [w, vl, vr] = bind(eigP as unknown as Primitive, [a], { computeLeftEigenvectors: true, computeRightEigenvectors: true });
    const nb = a.ndim - 2;
    const dc = complex(t, broadcastInDim(scalar(0, a.dtype), a.shape, []));
    const daV = dotGeneral(dc, vr, { contracting: [[nb + 1], [nb]], batch: [range(nb), range(nb)] });
    const vlc = conj(vl);
    const num = reduceSum(mul(vlc, daV), [nb]);
    const den = reduceSum(mul(vlc, vr), [nb]);
    return [[w], [div(num, den)]];
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
}

/**
 * Eigendecomposition of general real square matrices in the last two axes,
 * on the CPU (as JAX's eig): `[w, vl?, vr?]`, the eigenvalues w (complex64
 * for float32 input, complex128 for float64) then the left and right
 * eigenvectors asked for, in columns, each normalized as LAPACK's geev
 * (unit 2-norm, the largest component real). A complex-conjugate pair comes
 * with the positive imaginary part first. Only the eigenvalues are
 * differentiable (JAX's rule); a non-finite input gives NaNs.
 * @example
 * const [w, vr] = lax.linalg.eig(np.array([[0, -1], [1, 0]])); // w [0+1j, 0-1j]
 */
export function eig(x: Value, options: EigOptions = {}): Value[] {
  const op = "lax.linalg.eig";
  const { computeLeftEigenvectors = false, computeRightEigenvectors = true } = optionsArg(op, options);
  for (const [k, v] of Object.entries({ computeLeftEigenvectors, computeRightEigenvectors })) {
    if (typeof v !== "boolean") throw new DTypeError(`${op}: ${k} must be true or false, got ${describe(v)}`);
  }
  x = operandArg(op, x);
  checkEigInput(op, x);
  return bind(eigP as unknown as Primitive, [x], { computeLeftEigenvectors, computeRightEigenvectors });
}

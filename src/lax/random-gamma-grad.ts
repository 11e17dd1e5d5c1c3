/**
 * `randomGammaGrad`: the derivative of a Gamma(a) sample x with respect to a
 * at fixed uniform noise (JAX's `lax.random_gamma_grad`), by implicit
 * differentiation of the CDF: P(a, x) = u ⇒ dx/da = −(∂P/∂a) / (∂P/∂x), with
 * ∂P/∂x = x^(a−1) e^−x / Γ(a) and ∂P/∂a from `igammaGradA`. Written over
 * existing primitives, so it is itself differentiable and runs everywhere.
 */
import type { ArrayLike } from "../array-methods.js";
import type { Value } from "../trace/core.js";
import * as E from "./elementwise.js";
import { igammaGradA, lgamma } from "./special.js";

/**
 * d(sample)/d(a) for Gamma(a) samples `x` (JAX's `lax.random_gamma_grad`);
 * a and x are floats of one dtype, of one shape or scalars.
 * @example
 * lax.randomGammaGrad(np.array([1.5, 2]), np.array([0.7, 3])); // [0.74021, 1.32180]
 */
export function randomGammaGrad(a: ArrayLike, x: ArrayLike): Value {
  const dPda = igammaGradA(a, x);
  const [av, xv] = [E.operandArg("lax.randomGammaGrad", a), E.operandArg("lax.randomGammaGrad", x)];
  const aa = av.dtype === dPda.dtype ? av : E.convert(av, dPda.dtype);
  const xx = xv.dtype === dPda.dtype ? xv : E.convert(xv, dPda.dtype);
  const dPdx = E.exp(E.sub(E.sub(E.mul(E.sub(aa, 1), E.log(xx)), xx), lgamma(aa)));
  return E.neg(E.div(dPda, dPdx));
}

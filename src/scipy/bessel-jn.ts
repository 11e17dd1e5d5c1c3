/** `besselJn`: Bessel functions of the first kind J₀ … J_v of real argument, as JAX's `bessel_jn`. */
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError, DTypeError } from "../errors.js";
import { isComplexDType } from "../dtype.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { floats } from "./util.js";

/** The static options of {@link besselJn}. */
export interface BesselJnOptions {
  /** The highest order: the result holds J₀ … J_v (a non-negative integer). */
  v: number;
  /** Steps of the backward recurrence (JAX's `n_iter`, default 50); more for |z| beyond about 30. */
  nIter?: number;
}

/**
 * Bessel functions of the first kind of integer orders 0 … v at real z: an array of shape [v + 1, ...z.shape],
 * as JAX's `bessel_jn(z, v=…, n_iter=…)`. Miller's backward recurrence f_{k} = 2(k + 1)/z·f_{k+1} − f_{k+2}
 * from k = nIter down to 0, normalized by J₀ + 2(J₂ + J₄ + …) = 1 (Zhang and Jin), so accurate while nIter is
 * well above |z|; z = 0 gives NaN, as in JAX. A scan over elementwise operations, so grad, jvp, vmap and jit
 * differentiate and batch through it. v above nIter gives nIter + 1 orders, as JAX's slice does.
 * @example
 * scipy.special.besselJn(np.array([1, 2.5]), { v: 1 }); // [[0.7651977, -0.04838378], [0.44005059, 0.4970941]]
 */
export function besselJn(z: ArrayLike, options: BesselJnOptions): Value {
  const op = "scipy.special.besselJn";
  const { v, nIter = 50 } = options ?? ({} as BesselJnOptions);
  if (!Number.isInteger(v) || v < 0) throw new ArgumentError(`${op}: the order v must be a non-negative integer, got ${v}; pass { v: 2 } for J₀, J₁, J₂`);
  if (!Number.isInteger(nIter) || nIter < 0) throw new ArgumentError(`${op}: nIter must be a non-negative integer, got ${nIter}; the default is 50`);
  const [x] = floats(op, z);
  if (isComplexDType(x.dtype)) throw new DTypeError(`${op}: z must be real, got ${x.dtype}; pass np.real(z) or a float array`);
  // f starts at 0 and a tiny 1e-16 beyond the top order, so that the recurrence grows towards the low orders.
  // A scan, not an unrolled loop: each fₖ uses the two before it, and inlining them would grow without bound.
  const step = ([after, next, evenSum]: [Value, Value, Value], k: Value): [[Value, Value, Value], Value] => {
    const f = lax.sub(lax.div(lax.mul(next, lax.mul(lax.add(k, 1), 2)), x), after);
    const even = np.equal(np.remainder(k, 2), 0);
    return [[next, f, np.where(even, lax.add(evenSum, lax.mul(f, 2)), evenSum)], f];
  };
  const init: [Value, Value, Value] = [np.zerosLike(x), np.fullLike(x, 1e-16), np.zerosLike(x)];
  const [[, , evenSum], values] = lax.scan(step, init, np.arange(nIter + 1, { dtype: x.dtype }), { reverse: true });
  // the sum counted f₀ twice: J₀ + 2(J₂ + J₄ + …) = evenSum − f₀
  const norm = lax.sub(evenSum, values.get(0));
  return np.divide(values.get([0, v + 1]), norm);
}

/** `loggamma` on real inputs: the principal branch of log Γ(x), as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { floats, whereConst } from "./util.js";

/**
 * log Γ(x) for real x > 0; NaN for x ≤ 0, where the real logarithm of Γ is not the principal
 * branch (JAX's real `loggamma`; complex inputs are not supported yet).
 * @example
 * scipy.special.loggamma(np.array([1, 5, -0.5])); // [0, 3.1780539, NaN]
 */
export function loggamma(x: ArrayLike): Value {
  const [v] = floats("scipy.special.loggamma", x);
  return whereConst(np.greater(v, 0), lax.lgamma(v), NaN);
}

/** The Box–Cox power transforms `boxcox` and `boxcox1p`, as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { floats } from "./util.js";

// (e^{λ·log y} − 1)/λ, log y where λ = 0; λ is made safe so the unused branch has no 0/0 (its gradient stays finite)
function transform(logY: Value, lmbda: Value): Value {
  const zero = np.equal(lmbda, 0);
  const safe = np.where(zero, np.onesLike(lmbda), lmbda);
  return np.where(zero, logY, lax.div(lax.expm1(lax.mul(safe, logY)), safe));
}

/**
 * The Box–Cox transform (x^λ − 1)/λ, log(x) where λ = 0.
 * @example
 * scipy.special.boxcox(np.array([1, 4]), np.array([2, 0])); // [0, 1.3862944]
 */
export function boxcox(x: ArrayLike, lmbda: ArrayLike): Value {
  const [xv, lv] = floats("scipy.special.boxcox", x, lmbda);
  return transform(lax.log(xv), lv);
}
/**
 * The Box–Cox transform of 1 + x: ((1 + x)^λ − 1)/λ, log1p(x) where λ = 0 (accurate for small x).
 * @example
 * scipy.special.boxcox1p(np.array([0, 3]), np.array([2, 0])); // [0, 1.3862944]
 */
export function boxcox1p(x: ArrayLike, lmbda: ArrayLike): Value {
  const [xv, lv] = floats("scipy.special.boxcox1p", x, lmbda);
  return transform(lax.log1p(xv), lv);
}

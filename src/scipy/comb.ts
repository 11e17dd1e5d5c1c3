/** `comb`: binomial coefficients as floats, as JAX's `jax.scipy.special.comb`. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { floats, whereConst } from "./util.js";

export interface CombOptions {
  /** Count combinations with repetition, C(N + k − 1, k) (default false). */
  repetition?: boolean;
}

function combPlain(n: Value, k: Value): Value {
  const ok = np.logicalAnd(np.logicalAnd(np.lessEqual(k, n), np.greaterEqual(n, 0)), np.greaterEqual(k, 0));
  const sn = whereConst(ok, n, 0);
  const sk = whereConst(ok, k, 0);
  const n1 = lax.add(sn, 1);
  const r = lax.exp(lax.sub(lax.sub(lax.lgamma(n1), lax.lgamma(lax.add(sk, 1))), lax.lgamma(lax.sub(n1, sk))));
  return whereConst(ok, r, 0);
}

/**
 * "N choose k" as a float, exp(lgamma(N+1) − lgamma(k+1) − lgamma(N−k+1)); 0 where
 * N < 0, k < 0 or k > N. With `repetition`, C(N + k − 1, k) (1 where k = 0 and N ≥ 0).
 * JAX has no `exact` flag (no big integers); neither has jaxon.
 * @example
 * scipy.special.comb(np.array([5, 5, -1]), np.array([2, 6, 1])); // [10, 0, 0]
 * scipy.special.comb(3, 2, { repetition: true }); // 6
 */
export function comb(N: ArrayLike, k: ArrayLike, options: CombOptions = {}): Value {
  const op = "scipy.special.comb";
  const { repetition = false } = optionsArg(op, options);
  const [n, kv] = floats(op, N, k);
  if (!repetition) return combPlain(n, kv);
  const one = np.logicalAnd(np.equal(kv, 0), np.greaterEqual(n, 0));
  const r = combPlain(lax.sub(lax.add(n, kv), 1), kv);
  return np.where(one, np.onesLike(r), r);
}

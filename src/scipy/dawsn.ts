/** `dawsn`: Dawson's integral F(x) = e^{−x²}·∫₀ˣ e^{t²} dt, as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { expSquare, floats } from "./util.js";

// e^{−x²}·Σ_k x^{2k+1}/(k!(2k+1)): every term positive, so no cancellation; terms
// are needed up to k ≈ x² + 8x, where the Poisson-shaped x^{2k}/k! has fallen below the ulp
function series(x: Value, terms: number): Value {
  const x2 = lax.mul(x, x);
  let term: Value = np.onesLike(x);
  let sum: Value = np.onesLike(x);
  for (let k = 1; k < terms; k++) {
    term = lax.mul(term, lax.div(x2, k));
    sum = lax.add(sum, lax.div(term, 2 * k + 1));
  }
  return lax.mul(lax.mul(x, sum), expSquare(x, -1));
}
// 1/(2x)·Σ_k (2k−1)!!/(2x²)^k, used where its smallest term is below the ulp
function asymptotic(x: Value, terms: number): Value {
  const t = lax.reciprocal(lax.mul(lax.mul(x, x), 2));
  let s: Value = np.onesLike(x);
  for (let k = terms; k >= 1; k--) s = lax.add(1, lax.mul(lax.mul(t, 2 * k - 1), s));
  return lax.div(s, lax.mul(x, 2));
}

function dawsnPlain(x: Value): Value {
  const f64 = x.dtype === "float64";
  const cut = f64 ? 6.5 : 4.2;
  const ax = lax.abs(x);
  const big = np.greaterEqual(ax, cut);
  const r = np.where(
    big,
    asymptotic(np.where(big, ax, np.full(x.shape, cut, { dtype: x.dtype })), f64 ? 40 : 17),
    series(np.where(big, np.zerosLike(x), ax), f64 ? 100 : 56),
  );
  // odd: the sign of x (−0 at −inf, NaN stays NaN)
  return np.where(np.less(x, 0), lax.neg(r), np.where(np.isnan(x), x, r));
}

const dawsnImpl: (x: Value) => Value = customJvp(dawsnPlain, ([x], [dx]): [Value, Value] => {
  const y = dawsnPlain(x);
  return [y, lax.mul(dx, lax.sub(1, lax.mul(lax.mul(x, 2), y)))];
});

/**
 * Dawson's integral F(x) = e^{−x²}·∫₀ˣ e^{t²} dt (odd; ≈ 1/(2x) for large |x|).
 * @example
 * scipy.special.dawsn(np.array([0, 1, -1])); // [0, 0.53807951, -0.53807951]
 */
export function dawsn(x: ArrayLike): Value {
  return dawsnImpl(floats("scipy.special.dawsn", x)[0]);
}

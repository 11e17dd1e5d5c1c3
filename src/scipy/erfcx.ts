/** `erfcx`: the scaled complementary error function e^{x²}·erfc(x), as JAX's (real inputs). */
import type { ArrayLike } from "../array-methods.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { expSquare, floats } from "./util.js";

const SQRT_PI = Math.sqrt(Math.PI);

// 1/(√π·x)·Σ_k (−1)^k (2k−1)!!/(2x²)^k, summed from the smallest term (x ≥ the switch point, where the
// terms fall below the dtype's ulp before they start to grow)
function asymptotic(x: Value, terms: number): Value {
  const t = lax.reciprocal(lax.mul(lax.mul(x, x), 2));
  let s: Value = np.onesLike(x);
  for (let k = terms; k >= 1; k--) s = lax.add(1, lax.mul(lax.mul(t, -(2 * k - 1)), s));
  return lax.div(s, lax.mul(x, SQRT_PI));
}

function erfcxPlain(x: Value): Value {
  const f64 = x.dtype === "float64";
  const cut = f64 ? 8 : 5;
  const big = np.greaterEqual(x, cut);
  const safeBig = np.where(big, x, np.full(x.shape, cut, { dtype: x.dtype }));
  const safeSmall = np.where(big, np.zerosLike(x), x);
  // below the cut erfc has no cancellation (it is in [1, 2] for x ≤ 0); e^{x²} overflows to inf far below 0, as JAX
  const direct = lax.mul(expSquare(safeSmall, 1), lax.erfc(safeSmall));
  return np.where(big, asymptotic(safeBig, f64 ? 20 : 10), direct);
}

const erfcxImpl: (x: Value) => Value = customJvp(erfcxPlain, ([x], [dx]): [Value, Value] => {
  const y = erfcxPlain(x);
  return [y, lax.mul(dx, lax.sub(lax.mul(lax.mul(x, 2), y), 2 / SQRT_PI))];
});

/**
 * The scaled complementary error function e^{x²}·erfc(x), finite where erfc underflows
 * (≈ 1/(√π·x) for large x); inf far below 0, where e^{x²} overflows.
 * @example
 * scipy.special.erfcx(np.array([0, 1, 30])); // [1, 0.42758358, 0.018795888]
 */
export function erfcx(x: ArrayLike): Value {
  return erfcxImpl(floats("scipy.special.erfcx", x)[0]);
}

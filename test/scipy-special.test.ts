/**
 * scipy.special and lax's special functions beyond the JAX fixtures
 * (test/jax-differential.test.ts compares them with JAX in float32 on both
 * devices): float64 accuracy against SciPy (test/fixtures/scipy/reference.json,
 * from test/fixtures/scipy/generate.py), float64 finite-difference derivatives
 * of the compositions, and the typed errors for the derivatives JAX does not define.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { grad, jvp, lax, np, scipy, UnsupportedError, DTypeError, type Value } from "../src/index.js";

const ref = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "scipy", "reference.json"), "utf8"));
const dec = (v: number | string) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));
const f64 = (xs: number[]) => np.array(xs, { dtype: "float64" });

// relative tolerance per function (measured worst case × ~10); logNdtr and ndtri also get an absolute one
const TOL: Record<string, [number, number]> = {
  gammaln: [2e-13, 0], digamma: [2e-13, 0], i0e: [1e-14, 0], i1e: [1e-14, 0], erfc: [2e-12, 0], gammainc: [5e-13, 0],
  gammaincc: [5e-13, 0], zeta: [1e-14, 0], betainc: [1e-12, 0], polygamma: [1e-13, 0],
  // log Φ(8): JAX's branch point is x > 8, so Φ(8) is taken as 1 − 6.7e-16 (absolute error 4e-17); below −20,
  // JAX's three-term asymptotic series (its default series_order) is good to about 1.2e-11 (at −21): jaxon gives JAX's float64
  // numbers there (log_ndtr(−22) = −246.0120365392634 in both; SciPy −246.01203653738094)
  logNdtr: [2e-11, 1e-16],
  // √2·erfinv(2p − 1) loses digits to the cancellation in 2p − 1 for tiny p (as JAX's float64 path does not: a documented difference)
  ndtri: [1e-8, 0],
};

describe("scipy.special in float64 equals SciPy", () => {
  for (const [name, c] of Object.entries<{ args: (number | string)[][]; out: (number | string)[] }>(ref.special)) {
    it(name, () => {
      const args = c.args.map((a) => f64(a.map(dec)));
      const fn = (scipy.special as unknown as Record<string, (...a: Value[]) => Value>)[name];
      const got = fn(...args).arraySync() as number[];
      const [rtol, atol] = TOL[name];
      got.forEach((g, i) => {
        const w = dec(c.out[i]);
        if (Number.isNaN(w)) return expect(g, `${name} element ${i}`).toBeNaN();
        if (!Number.isFinite(w)) return expect(g, `${name} element ${i}`).toBe(w);
        expect(Math.abs(g - w), `${name}(${c.args.map((a) => a[i]).join(", ")}) = ${g}, SciPy ${w}`).toBeLessThanOrEqual(rtol * Math.abs(w) + atol);
      });
    });
  }
});

describe("derivatives of the compositions, against central finite differences (float64)", () => {
  const cases: [string, (x: Value) => Value, number[]][] = [
    ["betaln(x, 2.5)", (x) => scipy.special.betaln(x, 2.5), [0.3, 1.2, 4]],
    ["logNdtr", (x) => scipy.special.logNdtr(x), [-25, -9, -3, 0.5, 6, 9]],
    ["ndtri", (x) => scipy.special.ndtri(x), [0.05, 0.5, 0.9]],
    ["xlogy(x, 3)", (x) => scipy.special.xlogy(x, 3), [0.5, 2]],
    ["xlog1py(2, x)", (x) => scipy.special.xlog1py(2, x), [-0.5, 2]],
    ["entr", (x) => scipy.special.entr(x), [0.2, 1.5]],
    ["polygamma(2, x)", (x) => scipy.special.polygamma(2, x), [0.7, 3]],
    ["i0", (x) => scipy.special.i0(x), [-2, 0.5, 3]],
    ["i1", (x) => scipy.special.i1(x), [-2, 0.5, 3]],
    ["gamma", (x) => scipy.special.gamma(x), [-1.5, 0.5, 3.3]],
    ["gammainc(2.5, x)", (x) => scipy.special.gammainc(2.5, x), [0.5, 2, 7]],
    ["betainc(2, 3, x)", (x) => scipy.special.betainc(2, 3, x), [0.1, 0.5, 0.9]],
    ["stats.t.logpdf(x, 3)", (x) => scipy.stats.t.logpdf(x, 3), [-2, 0.4, 5]],
    ["stats.gamma.logcdf(x, 2)", (x) => scipy.stats.gamma.logcdf(x, 2), [0.3, 2, 6]],
    ["stats.beta.sf(x, 2, 3)", (x) => scipy.stats.beta.sf(x, 2, 3), [0.2, 0.7]],
    ["stats.multivariate_normal.logpdf", (x) => scipy.stats.multivariate_normal.logpdf(np.stack([x, np.multiply(x, 0.5)], -1), np.zeros([2], { dtype: "float64" }), np.array([[2, 0.3], [0.3, 1]], { dtype: "float64" })), [-1, 0.5, 2]],
  ];
  for (const [name, fn, xs] of cases) {
    it(name, () => {
      const x = f64(xs);
      const [, t] = jvp(fn, [x], [np.onesLike(x)]) as [Value, Value];
      const eps = 1e-6;
      const hi = fn(np.add(x, eps)).arraySync() as number[];
      const lo = fn(np.subtract(x, eps)).arraySync() as number[];
      (t.arraySync() as number[]).forEach((d, i) => {
        const fd = (hi[i] - lo[i]) / (2 * eps);
        expect(Math.abs(d - fd), `${name}'(${xs[i]}) = ${d}, finite differences ${fd}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(fd)));
      });
    });
  }
});

describe("derivatives JAX does not define are typed errors", () => {
  // jax.grad(lambda a: jax.scipy.special.gammainc(a, 2.0))(1.5), JAX 0.10.2 (float32)
  const JAX_GAMMAINC_DA = -0.2774333655834198;
  it("gammainc/gammaincc with respect to a (JAX's values); zeta with respect to s, betainc with respect to a and b are errors, as in JAX", () => {
    // with respect to a they exist, as in JAX (igamma_grad_a); the values are JAX's (jax.grad of jax.scipy.special.gammainc/gammaincc)
    expect(grad((a: Value) => scipy.special.gammainc(a, 2))(np.array(1.5)).itemSync()).toBeCloseTo(JAX_GAMMAINC_DA, 5);
    expect(grad((a: Value) => scipy.special.gammaincc(a, 2))(np.array(1.5)).itemSync()).toBeCloseTo(-JAX_GAMMAINC_DA, 5);
    expect(() => grad((s: Value) => scipy.special.zeta(s, 2))(np.array(3))).toThrow(UnsupportedError);
    expect(() => grad((a: Value) => scipy.special.betainc(a, 2, 0.5))(np.array(1.5))).toThrow(UnsupportedError);
    expect(() => grad((b: Value) => lax.betainc(2, b, 0.5))(np.array(1.5))).toThrow(/with respect to a or b/);
    // with respect to the other arguments they exist
    expect(grad((x: Value) => scipy.special.gammainc(1.5, x))(np.array(2)).itemSync()).toBeCloseTo(Math.exp(-2) * Math.sqrt(2) / 0.886226925, 5);
  });
  it("lax's special functions take float operands only", () => {
    expect(() => lax.lgamma(np.array([1, 2], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => lax.igamma(np.array([1.5]), np.array([1], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => lax.zeta("2" as unknown as number, 1)).toThrow(DTypeError);
  });
});

describe("logsumexp with b and returnSign", () => {
  it("gives log|Σ b·e^a| and the sign, as JAX", () => {
    const [v, s] = scipy.special.logsumexp(np.array([0, 0, 1]), null, { b: np.array([1, -3, 0.5]), returnSign: true });
    const total = 1 - 3 + 0.5 * Math.E;
    expect(v.itemSync()).toBeCloseTo(Math.log(Math.abs(total)), 5);
    expect(s.itemSync()).toBe(Math.sign(total));
    // without returnSign a negative sum is NaN
    expect(scipy.special.logsumexp(np.array([0, 0]), null, { b: np.array([1, -3]) }).itemSync()).toBeNaN();
  });
});

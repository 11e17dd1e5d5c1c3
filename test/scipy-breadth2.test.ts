/**
 * The jax.scipy.stats distributions added in issue 16 (gumbel_r, gumbel_l,
 * pareto, geom, binom, nbinom, betabinom, multinomial, gennorm, vonmises,
 * wrapcauchy, truncnorm, dirichlet) and nn.log1mexp against JAX
 * (test/fixtures/scipy2/generate.py → reference.json): values in float32
 * and float64, edge cases (outside the support, invalid parameters,
 * infinities, NaN), and float64 gradients in x and in the parameters, each
 * checked against JAX's gradient and against central finite differences.
 * Where JAX 0.10.2 cannot differentiate (gumbel's scale: its xlogy(-1, scale)
 * has an integer -1, a float0 tangent), finite differences alone decide.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectCloseToReference as expectClose, expectValuesClose } from "./scipy-compare.js";
import { DTypeError, ShapeError, defaultDevice, devicePut, grad, jit, nn, np, scipy, vmap, type Value } from "../src/index.js";
import { probeWebGPU } from "./device-helpers.js";
import type { Array as JaxonArray } from "../src/index.js";

type Enc = number | "nan" | "inf" | "-inf";
interface Arg { data: Enc[]; shape: number[]; kind: "float" | "int" }
interface Out { data: Enc[]; shape: number[] }
interface Case { id: string; fn: string; args: Arg[]; diff: number[]; out32: Out; out64: Out; grads64?: (Enc[] | null)[]; scipy64?: Enc[]; jaxGradErrors?: Record<string, string> }

const ref: { jax: string; cases: Case[] } = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "scipy2", "reference.json"), "utf8"));
const dec = (e: Enc): number => (e === "nan" ? NaN : e === "inf" ? Infinity : e === "-inf" ? -Infinity : e);

type Fn = (...xs: Value[]) => Value;
function resolve(name: string): Fn {
  if (name === "nn.log1mexp") return nn.log1mexp as Fn;
  const [dist, fname] = name.split(".");
  const d = (scipy.stats as unknown as Record<string, Record<string, Fn>>)[dist];
  if (!d?.[fname]) throw new Error(`no scipy.stats.${name}`);
  return d[fname];
}
const toArray = (a: Arg, dtype: "float32" | "float64", data = a.data.map(dec)) => np.reshape(np.array(data, { dtype: a.kind === "int" ? "int32" : dtype }), a.shape);

describe(`scipy.stats additions equal JAX ${ref.jax}`, () => {
  for (const c of ref.cases) {
    const fn = resolve(c.fn);
    it(`${c.id}: values in float32 and float64`, () => {
      if (c.scipy64) {
        // JAX's float64 betaln is accurate to about 1e-6 relative; scipy's betabinom decides jaxon's float64 precision
        expectClose(`${c.id} float64 vs scipy`, fn(...c.args.map((a) => toArray(a, "float64"))), c.scipy64.map(dec), 1e-9, 1e-13);
      }
      const rtol64 = c.fn.startsWith("betabinom") ? 3e-6 : 1e-9;
      for (const [dtype, out, rtol, atol] of [["float32", c.out32, 2e-4, 2e-6], ["float64", c.out64, rtol64, 1e-13]] as const) {
        const y = fn(...c.args.map((a) => toArray(a, dtype)));
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual(out.shape);
        expectClose(`${c.id} ${dtype}`, y, out.data.map(dec), rtol, atol);
      }
    });
    if (!c.diff.length) continue;
    it(`${c.id}: float64 gradients in args ${c.diff.join(", ")} match JAX and finite differences`, () => {
      const args = c.args.map((a) => toArray(a, "float64"));
      // finite differences of the sum over the outputs that are finite at the base point: a constant
      // branch (−inf outside the support) has gradient 0, which JAX gives and a difference of infinities does not
      const finite = np.isfinite(fn(...args));
      const total = (xs: Value[]) => np.sum(np.where(finite, fn(...xs), 0)).itemSync();
      // betabinom: JAX's float64 betaln is accurate to about 1e-7 (scipy.stats.betabinom agrees with jaxon to 1e-10,
      // see the values test), so its gradients are compared at that tolerance and finite differences decide
      c.diff.forEach((argnum, j) => {
        const g = grad((...xs: Value[]) => np.sum(fn(...xs)), { argnums: argnum })(...args) as Value;
        expect(g.shape).toEqual(c.args[argnum].shape);
        const jaxGrad = c.grads64?.[j];
        if (jaxGrad) expectClose(`${c.id} d/darg${argnum} vs JAX`, g, jaxGrad.map(dec), c.fn.startsWith("betabinom") ? 1e-5 : 1e-8, 1e-12);
        else console.log(`${c.id}: d/darg${argnum} checked by finite differences only (JAX: ${c.jaxGradErrors?.[argnum]})`);
        // central differences, one element at a time
        const base = c.args[argnum].data.map(dec);
        const fd = base.map((v, k) => {
          // log1mexp's derivative 1/expm1(x) varies on the scale of x itself: a step relative to x
          const h = c.fn === "nn.log1mexp" ? 1e-4 * Math.abs(v) : 1e-6 * Math.max(1, Math.abs(v));
          const at = (d: number) => total(args.map((a, i) => (i === argnum ? toArray(c.args[argnum], "float64", base.map((b, m) => (m === k ? b + d : b))) : a)));
          return (at(h) - at(-h)) / (2 * h);
        });
        // where JAX's own gradient is NaN (truncnorm far in a tail: the unused central branch is log1p(−1),
        // whose infinite derivative times the zero cotangent is NaN in JAX too) jaxon must give NaN as JAX does
        const nanInJax = jaxGrad ? jaxGrad.map((e) => e === "nan") : base.map(() => false);
        if (nanInJax.some(Boolean)) console.log(`${c.id}: d/darg${argnum} is NaN in JAX at elements ${nanInJax.flatMap((b, i) => (b ? [i] : []))}: compared with JAX only there`);
        expectClose(`${c.id} d/darg${argnum} vs finite differences`, g, fd.map((v, i) => (nanInJax[i] ? NaN : v)), 2e-5, 1e-7);
      });
    });
  }
});

const hasGpu = await probeWebGPU("scipy-breadth2.test.ts");
defaultDevice("cpu"); // init() made WebGPU the default: every other case here stays on the CPU (float64 among them)

describe.skipIf(!hasGpu)(`on WebGPU: float32 values equal JAX ${ref.jax}`, () => {
  for (const c of ref.cases) {
    it(c.id, async () => {
      const y = resolve(c.fn)(...c.args.map((a) => devicePut(toArray(a, "float32"), "webgpu")));
      expect((y as JaxonArray).device).toBe("webgpu");
      expect(y.shape).toEqual(c.out32.shape);
      expectValuesClose(`${c.id} webgpu`, (await y.data()) as ArrayLike<number>, c.out32.data.map(dec), 2e-4, 2e-6);
    });
  }
});

describe("the additions compose and refuse bad input", () => {
  it("jit gives what eager gives, and vmap what a loop gives", () => {
    const x = np.array([-1.5, 0.2, 2.5]);
    const cases: [string, (v: Value) => Value][] = [
      ["gumbel_r.logsf", (v) => scipy.stats.gumbel_r.logsf(v, 0.5, 2)],
      ["pareto.logcdf", (v) => scipy.stats.pareto.logcdf(np.add(v, 4), 2.5)],
      ["truncnorm.logcdf", (v) => scipy.stats.truncnorm.logcdf(v, -2, 3)],
      ["binom.logpmf", (v) => scipy.stats.binom.logpmf(np.floor(np.add(v, 2)), 5, 0.3)],
      ["gennorm.cdf", (v) => scipy.stats.gennorm.cdf(v, 1.5)],
    ];
    for (const [name, f] of cases) {
      const eager = f(x).dataSync();
      expect(Array.from(jit(f)(x).dataSync()), `${name} jit`).toEqual(Array.from(eager));
      const loop = [0, 1, 2].map((i) => f(x.get(i)).itemSync());
      const batched = Array.from(vmap(f)(x).dataSync());
      batched.forEach((b, i) => expect(b, `${name} vmap[${i}]`).toBeCloseTo(loop[i], 6));
    }
  });

  it("dirichlet and multinomial check their shapes and dtypes with typed errors", () => {
    expect(() => scipy.stats.dirichlet.logpdf(np.array([0.5, 0.5]), np.ones([2, 2]))).toThrow(ShapeError);
    expect(() => scipy.stats.dirichlet.logpdf(np.array([0.1, 0.2, 0.3, 0.4]), np.array([1, 1]))).toThrow(/alpha has 2/);
    expect(() => scipy.stats.multinomial.logpmf(np.array([1, 1]), 2, np.array([0.5, 0.5]))).toThrow(DTypeError);
    expect(() => scipy.stats.multinomial.logpmf(np.array([1, 1]), 2, np.array([0.5, 0.5]))).toThrow(/integer dtype/);
  });

  it("multinomial's counts check is per vector of counts (a batch stays meaningful)", () => {
    const x = np.array([[1, 1], [2, 0]], { dtype: "int32" });
    const got = scipy.stats.multinomial.logpmf(x, 2, np.array([0.5, 0.5])).dataSync();
    expect(got[0]).toBeCloseTo(Math.log(0.5), 5);
    expect(got[1]).toBeCloseTo(Math.log(0.25), 5);
  });
});

/**
 * The nn additions against JAX and optax (test/fixtures/nn/extra.json, from
 * test/fixtures/nn/gen.py): glu, mish, hardSilu/hardSwish, squareplus,
 * log1mexp, logmeanexp, sparsePlus, sparseSigmoid, identity, standardize's
 * where/algorithm/mean options, oneHot's options, the optax losses, and the
 * orthogonal / deltaOrthogonal / fanGeoAvg initializers (same key, same
 * samples up to rounding). Each function: values and the gradient of
 * sum(f(x)) on the CPU, the same under jit, and both again on WebGPU.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { devicePut, grad, jit, nn, np, random, type Array, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";
import { arr, expectClose, values } from "./helpers.js";

type Enc = number | "nan" | "inf" | "-inf";
interface EncArray { dtype: string; shape: number[]; data: Enc[] }
interface Case { args: EncArray[]; out: EncArray; grad?: EncArray }
const fixture = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/nn/extra.json"), "utf8")) as {
  cases: Record<string, Case>;
  initializers: Record<string, { key: number[]; shape: number[]; out: EncArray }>;
};

const num = (v: Enc) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const dec = (e: EncArray): Array => arr(e.data.map(num), e.dtype as DType, e.shape);

type F = (...a: Value[]) => Value;
const none = { reduction: "none" } as const;
const mask = () => np.array([[true, false, true, true], [false, true, true, false]]);
const table: Record<string, F> = {
  identity: (x) => nn.identity(x),
  glu: (x) => nn.glu(x),
  glu_axis0: (x) => nn.glu(x, 0),
  mish: (x) => nn.mish(x),
  hardSilu: (x) => nn.hardSilu(x),
  hardSwish: (x) => nn.hardSwish(x),
  squareplus: (x) => nn.squareplus(x),
  squareplus_b1: (x) => nn.squareplus(x, 1),
  log1mexp: (x) => nn.log1mexp(x),
  logmeanexp: (x) => nn.logmeanexp(x),
  logmeanexp_axis1_keepdims: (x) => nn.logmeanexp(x, 1, { keepdims: true }),
  logmeanexp_where: (x) => nn.logmeanexp(x, 1, { where: mask() }),
  sparsePlus: (x) => nn.sparsePlus(x),
  sparseSigmoid: (x) => nn.sparseSigmoid(x),
  standardize: (x) => nn.standardize(x),
  standardize_stable_axis0: (x) => nn.standardize(x, 0, { algorithm: "stable" }),
  standardize_where: (x) => nn.standardize(x, -1, { where: mask() }),
  standardize_mean: (x) => nn.standardize(x, -1, { mean: 1, eps: 1e-3 }),
  oneHot_axis0_int32: (x) => nn.oneHot(x, 3, { dtype: "int32", axis: 0 }),
  oneHot_axis1: (x) => nn.oneHot(x, 4, { axis: 1 }),
  sigmoidBinaryCrossEntropy: (l, y) => nn.sigmoidBinaryCrossEntropy(l, y, none),
  softmaxCrossEntropy: (l, y) => nn.softmaxCrossEntropy(l, y, none),
  softmaxCrossEntropyWithIntegerLabels: (l, y) => nn.softmaxCrossEntropyWithIntegerLabels(l, y, none),
  l2Loss: (p, t) => nn.l2Loss(p, t, none),
  l2Loss_noTarget: (p) => nn.l2Loss(p, undefined, none),
  huberLoss: (p, t) => nn.huberLoss(p, t, { delta: 0.75, reduction: "none" }),
  cosineSimilarity: (p, t) => nn.cosineSimilarity(p, t, none),
  cosineSimilarity_eps_zero: (p, t) => nn.cosineSimilarity(p, t, { epsilon: 0.1, reduction: "none" }),
  cosineDistance_axis0: (p, t) => nn.cosineDistance(p, t, { axis: 0, reduction: "none" }),
  klDivergence: (lp, t) => nn.klDivergence(lp, t, none),
};

const ids = Object.keys(fixture.cases);

describe("nn extras against JAX/optax on the CPU", () => {
  it("every fixture case has a table entry and every entry a case", () => {
    expect(Object.keys(table).sort()).toEqual([...ids].sort());
  });
  for (const id of ids) {
    const c = fixture.cases[id];
    it(`${id}: values${c.grad ? ", gradient" : ""} and jit`, () => {
      const f = table[id];
      const args = c.args.map(dec);
      const out = f(...args);
      expect(out.shape).toEqual(c.out.shape);
      expect(out.dtype).toBe(c.out.dtype);
      expectClose(out, c.out.data.map(num), 2e-6);
      expectClose(jit(f)(...args), c.out.data.map(num), 2e-6);
      if (c.grad) {
        const g = grad((x: Value, ...rest: Value[]) => np.sum(f(x, ...rest)))(args[0], ...args.slice(1));
        expect(g.shape).toEqual(c.grad.shape);
        expectClose(g, c.grad.data.map(num), 1e-5);
        expectClose(jit(grad((x: Value, ...rest: Value[]) => np.sum(f(x, ...rest))))(args[0], ...args.slice(1)), c.grad.data.map(num), 1e-5);
      }
    });
  }

  it("reductions: mean (default) and sum over the per-element losses", () => {
    const p = arr([[0.5, -2], [1, 0]], "float32");
    const t = arr([[0, 1], [-1, 0.5]], "float32");
    const each = values(nn.l2Loss(p, t, none));
    expectClose(nn.l2Loss(p, t), each.reduce((a, b) => a + b) / 4, 1e-6);
    expectClose(nn.l2Loss(p, t, { reduction: "sum" }), each.reduce((a, b) => a + b), 1e-6);
  });

  it("errors name the operation and the fix", () => {
    expect(() => nn.glu(np.ones([2, 3]))).toThrow(/nn\.glu.*even/);
    expect(() => nn.cosineSimilarity(np.array([1, 2], { dtype: "int32" }), np.ones([2]))).toThrow(/nn\.cosineSimilarity.*floating/);
    expect(() => nn.standardize(np.ones([2]), -1, { algorithm: "exact" as "fast" })).toThrow(/algorithm/);
    expect(() => nn.initializers.orthogonal()(random.key(0), [3])).toThrow(/at least 2/);
    expect(() => nn.initializers.deltaOrthogonal()(random.key(0), [3, 4, 2])).toThrow(/at most the output size/);
  });
});

describe("initializers against JAX (same key)", () => {
  const make: Record<string, () => (k: ReturnType<typeof random.key>, s: readonly number[]) => Value> = {
    orthogonal_3x5: () => nn.initializers.orthogonal(),
    orthogonal_5x3_scale2: () => nn.initializers.orthogonal(2),
    orthogonal_2x3x4_col0: () => nn.initializers.orthogonal(1, 0),
    deltaOrthogonal_3x2x3: () => nn.initializers.deltaOrthogonal(),
    deltaOrthogonal_2x3x3x4: () => nn.initializers.deltaOrthogonal(0.5),
    varianceScaling_fanGeoAvg_normal: () => nn.initializers.varianceScaling(2, "fanGeoAvg", "normal"),
    varianceScaling_fanOut_uniform: () => nn.initializers.varianceScaling(1, "fanOut", "uniform"),
  };
  it("every fixture initializer has an entry", () => expect(Object.keys(make).sort()).toEqual(Object.keys(fixture.initializers).sort()));
  for (const [id, c] of Object.entries(fixture.initializers)) {
    it(id, () => {
      expect(c.key).toEqual([0, 0]);
      const w = make[id]()(random.key(0), c.shape);
      expect(w.shape).toEqual(c.out.shape);
      expectClose(w, c.out.data.map(num), 2e-5);
    });
  }
});

describe("nn extras on WebGPU", () => {
  it("the same values and gradients as JAX", async () => {
    if (!(await probeWebGPU("nn-extra.test.ts"))) return;
    for (const id of ids) {
      const c = fixture.cases[id];
      const args = c.args.map((a) => devicePut(dec(a), "webgpu"));
      const f = table[id];
      const checks: [string, Value, EncArray][] = [["value", f(...args), c.out]];
      if (c.grad) checks.push(["gradient", grad((x: Value, ...rest: Value[]) => np.sum(f(x, ...rest)))(args[0], ...args.slice(1)), c.grad]);
      for (const [what, out, ref] of checks) {
        expect((out as { device?: string }).device, `${id} ${what}`).toBe("webgpu");
        const got = globalThis.Array.from(await out.data(), Number);
        const want = ref.data.map(num);
        expect(got.length, `${id} ${what}`).toBe(want.length);
        got.forEach((v, i) => {
          const ok = (Number.isNaN(v) && Number.isNaN(want[i])) || v === want[i] || Math.abs(v - want[i]) <= 1e-5 * Math.max(1, Math.abs(want[i]));
          if (!ok) expect.fail(`${id} ${what}[${i}] on WebGPU: got ${v}, expected ${want[i]}`);
        });
      }
    }
  });
});

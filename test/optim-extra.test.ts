/**
 * The optim additions against optax (test/fixtures/optim/extra.json, from
 * test/fixtures/optim/gen.py): lion, lamb, adabelief, novograd, noisySgd
 * (same key, same noise), adafactor (plain and factored), maskedTransform, multiTransform, applyIfFinite
 * (with NaN gradients), multiSteps, ema/emaParams, lookahead, and the tree
 * reductions. Each optimizer runs a few steps from the same params with
 * params-dependent gradients and must follow optax's trajectory; the same
 * steps under jit must give the same params as eager.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { devicePut, jit, np, optim, random, type Array, type Value } from "../src/index.js";
import type { DType } from "../src/dtype.js";
import { probeWebGPU } from "./device-helpers.js";
import { arr, expectClose, values } from "./helpers.js";

type Enc = number | "nan" | "inf" | "-inf";
interface EncArray { dtype: string; shape: number[]; data: Enc[] }
type EncTree = Record<string, EncArray>;
const fixture = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "fixtures/optim/extra.json"), "utf8")) as {
  params0: EncTree;
  grads: EncTree[];
  cases: Record<string, EncTree[]>;
  ema: EncTree[];
  emaNoDebias: EncTree[];
  lookahead: { fast: EncTree; slow: EncTree }[];
  trees: Record<string, EncArray>;
};

const num = (v: Enc) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : v);
const dec = (e: EncArray): Array => arr(e.data.map(num), e.dtype as DType, e.shape);
type Params = { b: Value; w: Value };
// keys in sorted order, so that jaxon's leaf order (insertion) is JAX's (sorted): noisySgd draws one key per leaf in that order
const decTree = (t: EncTree): Params => ({ b: dec(t.b), w: dec(t.w) });
const grads = fixture.grads.map(decTree);

/** The fixture's gradient at step i: 0.3 params + grads[i mod n] (times `factor`, NaN for the applyIfFinite case). */
function gradAt(p: Params, i: number, factor = 1, gs: Params[] = grads): Params {
  const g = gs[i % gs.length];
  return { b: np.multiply(np.add(np.multiply(0.3, p.b), g.b), factor), w: np.multiply(np.add(np.multiply(0.3, p.w), g.w), factor) };
}

function expectTree(got: Params, want: EncTree, tol: number, what: string) {
  for (const k of ["w", "b"] as const) {
    expect(got[k].shape, `${what} ${k}`).toEqual(want[k].shape);
    const g = values(got[k]);
    want[k].data.map(num).forEach((v, i) => {
      if (!(Math.abs(g[i] - v) <= tol * Math.max(1, Math.abs(v)))) expect.fail(`${what} ${k}[${i}]: got ${g[i]}, optax ${v}`);
    });
  }
}

const optimizers: Record<string, { opt: () => optim.GradientTransformation<unknown>; factor?: (i: number) => number }> = {
  lion: { opt: () => optim.lion(0.1) },
  lion_b1_wd: { opt: () => optim.lion(0.05, { b1: 0.8, b2: 0.9, weightDecay: 0.1 }) },
  lamb: { opt: () => optim.lamb(0.05, { weightDecay: 0.01 }) },
  adabelief: { opt: () => optim.adabelief(0.1) },
  novograd: { opt: () => optim.novograd(0.1) },
  novograd_wd: { opt: () => optim.novograd(0.05, { b1: 0.8, b2: 0.5, weightDecay: 0.1 }) },
  noisySgd: { opt: () => optim.noisySgd(0.1, { eta: 0.5, key: random.key(3) }) },
  masked_adam_w: { opt: () => optim.maskedTransform(optim.adam(0.1), { w: true, b: false }) },
  multiTransform: { opt: () => optim.multiTransform({ a: optim.adam(0.1), s: optim.sgd(0.2, { momentum: 0.9 }) }, { w: "a", b: "s" }) },
  applyIfFinite: { opt: () => optim.applyIfFinite(optim.adam(0.1), 2), factor: (i) => (i === 1 || i === 2 ? NaN : 1) },
  multiSteps_adam_3: { opt: () => optim.multiSteps(optim.adam(0.1), 3) },
  adafactor: { opt: () => optim.adafactor() },
  adafactor_factored_lr_momentum_wd: { opt: () => optim.adafactor({ learningRate: 0.1, minDimSizeToFactor: 2, momentum: 0.9, weightDecayRate: 0.01, clippingThreshold: 0.5 }) },
  multiSteps_sum_2: { opt: () => optim.multiSteps(optim.sgd(0.1), 2, { useGradMean: false }) },
};

describe("optimizers follow optax's trajectories", () => {
  it("every fixture case has an optimizer and every optimizer a case", () => {
    expect(Object.keys(optimizers).sort()).toEqual(Object.keys(fixture.cases).sort());
  });
  for (const [id, { opt: make, factor }] of Object.entries(optimizers)) {
    it(`${id}: eager and jit`, () => {
      const want = fixture.cases[id];
      const opt = make();
      const run = (useJit: boolean) => {
        let p = decTree(fixture.params0);
        let s = opt.init(p);
        const step = (pp: Params, ss: unknown, i: number) => {
          const [u, s2] = opt.update(gradAt(pp, i, factor ? factor(i) : 1), ss, pp);
          return [optim.applyUpdates(pp, u), s2] as const;
        };
        // the step index decides the fixture's gradient (and NaN factor), so each index gets its own jitted step
        const out: Params[] = [];
        for (let i = 0; i < want.length; i++) {
          [p, s] = useJit ? jit((pp: Params, ss: unknown) => step(pp, ss, i))(p, s) : step(p, s, i);
          out.push(p);
        }
        return out;
      };
      const eager = run(false);
      eager.forEach((p, i) => expectTree(p, want[i], 2e-5, `${id} step ${i + 1}`));
      const jitted = run(true);
      jitted.forEach((p, i) => expectTree(p, want[i], 2e-5, `${id} step ${i + 1} (jit)`));
    });
  }

  it("applyIfFinite counts the skipped steps", () => {
    const opt = optim.applyIfFinite(optim.sgd(1), 2);
    const p = { w: np.array([1]) };
    let s = opt.init(p);
    let u;
    [u, s] = opt.update({ w: np.array([NaN]) }, s, p);
    expect(values(u.w)).toEqual([0]);
    expect(values(s.notfiniteCount)).toEqual([1]);
    expect(values(s.totalNotfinite)).toEqual([1]);
    expect(values(s.lastFinite)).toEqual([0]);
    [u, s] = opt.update({ w: np.array([2]) }, s, p);
    expect(values(u.w)).toEqual([-2]);
    expect(values(s.notfiniteCount)).toEqual([0]);
    expect(values(s.totalNotfinite)).toEqual([1]);
  });

  it("wrong arguments are named", () => {
    expect(() => optim.multiTransform({ a: optim.sgd(0.1) }, { w: "a", b: "c" }).init({ w: np.ones([1]), b: np.ones([1]) })).toThrow(/label "c" has no transformation/);
    expect(() => optim.multiSteps(optim.sgd(0.1), 0)).toThrow(/everyK/);
    expect(() => optim.lookahead(optim.sgd(0.1), 0, 0.5)).toThrow(/syncPeriod/);
    expect(() => optim.lamb(0.1).update({ w: np.ones([1]) }, optim.lamb(0.1).init({ w: np.ones([1]) }))).toThrow(/needs the params/);
    expect(() => optim.treeNorm({ a: np.ones([1]) }, { ord: 3 as 2 })).toThrow(/ord/);
  });
});

describe("ema and lookahead against optax", () => {
  const lionTraj = fixture.cases.lion.slice(0, 4).map(decTree);
  it("ema / emaParams, debiased and not", () => {
    for (const [make, want] of [[() => optim.emaParams(0.8), fixture.ema], [() => optim.ema(0.8, { debias: false }), fixture.emaNoDebias]] as const) {
      const avg = make();
      let s = avg.init(decTree(fixture.params0));
      lionTraj.forEach((p, i) => {
        let a;
        [a, s] = avg.update(p, s);
        expectTree(a, want[i], 1e-6, `ema step ${i + 1}`);
      });
    }
  });

  it("lookahead over sgd, eager and jit", () => {
    const opt = optim.lookahead(optim.sgd(0.1), 2, 0.5);
    for (const useJit of [false, true]) {
      let p = { fast: decTree(fixture.params0), slow: decTree(fixture.params0) };
      let s = opt.init(p);
      fixture.lookahead.forEach((want, i) => {
        const step = (pp: typeof p, ss: typeof s) => {
          const [u, s2] = opt.update(gradAt(pp.fast, i), ss, pp);
          return [optim.applyUpdates(pp, u), s2] as const;
        };
        [p, s] = useJit ? jit(step)(p, s) : step(p, s);
        expectTree(p.fast, want.fast, 1e-6, `lookahead fast step ${i + 1}${useJit ? " (jit)" : ""}`);
        expectTree(p.slow, want.slow, 1e-6, `lookahead slow step ${i + 1}${useJit ? " (jit)" : ""}`);
      });
    }
  });
});

describe("tree reductions against optax.tree", () => {
  const tree = { a: np.array([3, -4]), b: { c: np.array([[1, -12]]) }, e: np.zeros([0]) };
  const cases: Record<string, () => Value> = {
    treeSum: () => optim.treeSum(tree),
    treeMax: () => optim.treeMax(tree),
    treeNorm: () => optim.treeNorm(tree),
    treeNorm_squared: () => optim.treeNorm(tree, { squared: true }),
    treeNorm_ord1: () => optim.treeNorm(tree, { ord: 1 }),
    treeNorm_inf: () => optim.treeNorm(tree, { ord: Infinity }),
  };
  it("every fixture value has a case", () => expect(Object.keys(cases).sort()).toEqual(Object.keys(fixture.trees).sort()));
  for (const [id, f] of Object.entries(cases)) {
    it(id, () => {
      const got = f();
      expect(got.shape).toEqual(fixture.trees[id].shape);
      expectClose(got, fixture.trees[id].data.map(num), 1e-6);
      expectClose(jit(() => f())(), fixture.trees[id].data.map(num), 1e-6);
    });
  }
});

describe("optimizers on WebGPU", () => {
  it("lion, lamb, novograd, adabelief and factored adafactor follow optax with params on WebGPU", async () => {
    if (!(await probeWebGPU("optim-extra.test.ts"))) return;
    const gpu = (t: Params): Params => ({ b: devicePut(t.b, "webgpu"), w: devicePut(t.w, "webgpu") });
    const gpuGrads = grads.map(gpu);
    for (const id of ["lion", "lamb", "novograd", "adabelief", "adafactor_factored_lr_momentum_wd"]) {
      const opt = optimizers[id].opt();
      let p = gpu(decTree(fixture.params0));
      let s = opt.init(p);
      for (const [i, want] of fixture.cases[id].entries()) {
        const [u, s2] = opt.update(gradAt(p, i, 1, gpuGrads), s, p);
        p = optim.applyUpdates(p, u);
        s = s2;
        expect((p.w as { device?: string }).device, id).toBe("webgpu");
        for (const k of ["w", "b"] as const) {
          const got = globalThis.Array.from(await p[k].data(), Number);
          want[k].data.map(num).forEach((v, j) => {
            if (!(Math.abs(got[j] - v) <= 2e-5 * Math.max(1, Math.abs(v)))) expect.fail(`${id} step ${i + 1} ${k}[${j}] on WebGPU: got ${got[j]}, optax ${v}`);
          });
        }
      }
    }
  });
});

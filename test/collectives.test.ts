/**
 * Collectives over named axes (issue 16): every lax collective under
 * vmap(f, { axisName }), nested named vmaps, gradients through them, pmap and
 * shardMap, against real JAX (test/fixtures/collectives/generate.py, jax
 * 0.10.2 with 8 host devices for pmap/shard_map); named vmaps inside an
 * unnamed vmap against a loop; jit against eager; grad outside against float64
 * finite differences; WebGPU against the CPU; the typed errors.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Array, AxisNameError, defaultDevice, exportStableHLO, grad, io, jit, lax, np, ShapeError, UnsupportedError, vmap } from "../src/index.js";
import type { Value } from "../src/index.js";
import { exportedCases, functions, jitted, psumSin } from "./fixtures/collectives/functions.js";
import { arr, expectClose, finiteDiff, randArr, values } from "./helpers.js";
import { onBothDevices, onCpuAsync, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("collectives.test.ts");
// the float64 tests run on the CPU; the WebGPU block below makes WebGPU the default for its own tests
if (hasGpu) defaultDevice("cpu");

interface Enc { shape: number[]; dtype: string; data: number[] }
const fixture = JSON.parse(readFileSync(join(__dirname, "fixtures/collectives/collectives.json"), "utf8")) as {
  cases: Record<string, { inputs: Enc[]; output: Enc }>;
};
const input = (e: Enc) => arr(e.data, "float64", e.shape);

describe("each collective against JAX (float64)", () => {
  it("every fixture case has a jaxon function and every function a fixture", () => {
    expect(Object.keys(functions).sort()).toEqual(Object.keys(fixture.cases).sort());
  });
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: eager and jit equal JAX`, () => {
      const xs = c.inputs.map(input);
      const out = functions[name](...xs);
      expect(out.shape).toEqual(c.output.shape);
      expectClose(out, c.output.data, 1e-9);
      const j = jitted[name](...xs);
      expect(j.shape).toEqual(c.output.shape);
      expectClose(j, c.output.data, 1e-9);
    });
  }
});

describe("named vmaps composed with other transformations", () => {
  it("an unnamed vmap of a named vmap equals a loop over the outer axis", () => {
    const xs = randArr([3, 4, 5], 7);
    const inner = vmap((v: Value) => v.sub(lax.pmean(v, "i")).mul(lax.pmax(v, "i")).add(lax.axisIndex("i")), { axisName: "i" });
    const batched = vmap(inner)(xs);
    for (let b = 0; b < 3; b++) expectClose(batched.get(b), inner(xs.get(b)), 1e-12);
    // the named axis outermost and an unnamed one inside, with the collective's operand batched by the inner one
    const outer = vmap((row: Value) => vmap((v: Value) => lax.allGather(v, "i").sum(0))(row), { axisName: "i" })(xs);
    for (let b = 0; b < 3; b++) expectClose(outer.get(b), xs.sum(0), 1e-12);
  });

  it("vmap over a named vmap's outputs with outAxes 1 and the named axis on argument axis 1", () => {
    const x = randArr([5, 4], 3);
    const f = vmap((v: Value) => v.div(lax.psum(v, "i")), { axisName: "i", inAxes: 1, outAxes: 1 });
    expectClose(f(x), values(x).map((v, k) => v / values(x.sum(1))[Math.floor(k / 4)]), 1e-12);
  });

  it("grad outside a named vmap (pmax, psum, allGather, ppermute) matches float64 finite differences", () => {
    const x = randArr([4, 3], 11);
    const dir = randArr([4, 3], 12);
    const loss = (xs: Value) =>
      vmap((v: Value) => lax.pmax(v, "i").mul(v).add(lax.ppermute(v, "i", [[0, 2], [2, 0], [1, 3], [3, 1]]).mul(v)).sum().add(lax.allGather(np.sin(v), "i").sum()), { axisName: "i" })(xs).sum();
    const g = grad(loss)(x);
    const fd = finiteDiff(loss, x, dir)[0];
    const dot = values(g).reduce((s, v, k) => s + v * values(dir)[k], 0);
    expect(Math.abs(dot - fd)).toBeLessThan(1e-6);
  });

  it("vmap∘grad∘jit, vmap∘jit∘grad and jit∘vmap∘grad of a psum loss all give JAX's per-example gradients", () => {
    const c = fixture.cases.vmap_grad_psum_sin;
    const x = input(c.inputs[0]);
    for (const f of [vmap(grad(jit(psumSin)), { axisName: "i" }), vmap(jit(grad(psumSin)), { axisName: "i" }), jit(vmap(grad(psumSin), { axisName: "i" }))]) {
      expectClose(f(x) as Value, c.output.data, 1e-9);
    }
  });

  it("a whileLoop body with a collective equals the loop written out", () => {
    const x = randArr([3, 2], 5);
    const w = vmap((v: Value) => lax.whileLoop((c: Value[]) => c[0].lt(3), (c: Value[]) => [c[0].add(1), c[1].add(lax.pmean(v, "i"))], [np.array(0), np.zerosLike(v)])[1], { axisName: "i" });
    const mean = values(x.mean(0));
    expectClose(w(x) as Value, [0, 1, 2].flatMap(() => mean.map((m) => 3 * m)), 1e-12);
  });

  it("jit of a function containing named vmaps, called at two batch sizes, retraces and keeps axisSize right", () => {
    const f = jit((v: Value) => v.mul(lax.axisSize("i")));
    const g = vmap(f, { axisName: "i" });
    expectClose(g(np.ones([3], { dtype: "float64" })), [3, 3, 3]);
    expectClose(g(np.ones([5], { dtype: "float64" })), [5, 5, 5, 5, 5]);
  });

  it("a jitted function with no batched argument still sees the named axis (axisSize option)", () => {
    const g = vmap(jit(() => lax.axisIndex("i")), { axisName: "i", axisSize: 4, inAxes: [] });
    expect(values(g())).toEqual([0, 1, 2, 3]);
  });

  it("shadowing: an inner vmap with the same name wins", () => {
    const x = arr([[1, 2], [3, 4]]);
    const out = vmap(vmap((v: Value) => lax.psum(v, "i"), { axisName: "i" }), { axisName: "i" })(x);
    expect(values(out)).toEqual([3, 3, 7, 7]);
  });
});

describe("typed errors", () => {
  it("a collective outside any named axis is an AxisNameError naming it", () => {
    expect(() => lax.psum(np.ones([2]), "i")).toThrow(AxisNameError);
    expect(() => lax.psum(np.ones([2]), "i")).toThrow(/lax\.psum: unbound axis name "i"/);
    expect(() => jit((x: Value) => lax.allGather(x, "batch"))(np.ones([2]))).toThrow(/lax\.allGather: unbound axis name "batch"/);
  });
  it("an unbound name inside named vmaps lists the bound names", () => {
    const f = vmap(vmap((v: Value) => lax.pmean(v, "k"), { axisName: "j" }), { axisName: "i" });
    expect(() => f(np.ones([2, 2]))).toThrow(AxisNameError);
    expect(() => f(np.ones([2, 2]))).toThrow(/unbound axis name "k"\. The bound axis names are "i", "j"/);
  });
  it("bad arguments: sizes, permutations, axis names", () => {
    const run = (fn: (v: Value) => Value, x: Value = np.ones([3, 2])) => () => vmap(fn, { axisName: "i" })(x);
    expect(run((v) => lax.psumScatter(v, "i"))).toThrow(ShapeError);
    expect(run((v) => lax.psumScatter(v, "i"))).toThrow(/axis 0 has size 2 .* must equal the named axis size 3/);
    expect(run((v) => lax.ppermute(v, "i", [[0, 1], [1, 1]]))).toThrow(/repeats a destination/);
    expect(run((v) => lax.ppermute(v, "i", [[0, 3]]))).toThrow(/index 3 in perm is out of range/);
    expect(run((v) => lax.pshuffle(v, "i", [0, 0, 1]))).toThrow(/not a permutation/);
    expect(run((v) => lax.pbroadcast(v, "i", 5))).toThrow(/source 5 is out of range/);
    expect(run((v) => lax.psum(v, ""))).toThrow(AxisNameError);
    expect(run((v) => lax.allGather(v, ["i", "i"]))).toThrow(AxisNameError);
    expect(() => vmap((v: Value) => v, { axisName: 3 as unknown as string })(np.ones([2]))).toThrow(AxisNameError);
  });
  it("pmax under grad inside the named axis is an UnsupportedError, as in JAX", () => {
    expect(() => vmap(grad((v: Value) => lax.pmax(v, "i").sum()), { axisName: "i" })(np.ones([2, 2]))).toThrow(UnsupportedError);
  });
});

it("the concrete result type of a collective is an Array", () => {
  expect(vmap((v: Value) => lax.psum(v, "i"), { axisName: "i" })(np.ones([2]))).toBeInstanceOf(Array);
});

describe("exportStableHLO of named vmaps: the collectives are batched away before lowering", () => {
  for (const name of exportedCases) {
    it(`${name}: the module has no collective, and XLA's outputs (generate.py ran it) equal jaxon's and JAX's`, async () => {
      const c = fixture.cases[name];
      const xs = c.inputs.map(input);
      const text = exportStableHLO(functions[name])(...xs).text;
      expect(text).toContain("func.func public @main");
      expect(text).not.toMatch(/all_reduce|all_gather|all_to_all|collective_permute|reduce_scatter|psum|axis_index/);
      const xla = await io.loadNpz(readFileSync(join(__dirname, `fixtures/collectives/stablehlo/${name}.outputs.npz`)));
      const ours = functions[name](...xs);
      expect(xla["0"].shape).toEqual(c.output.shape);
      expectClose(xla["0"], ours, 1e-9);
      expectClose(xla["0"], c.output.data, 1e-9);
    });
  }
});

describe.skipIf(!hasGpu)("WebGPU equals the CPU (float32)", () => {
  beforeAll(() => void defaultDevice("webgpu"));
  afterAll(() => void defaultDevice("cpu"));
  const f32 = (e: Enc) => onBothDevices(e.data, e.shape, "float32");
  for (const name of ["batch_norm", "all_to_all_tiled", "ppermute", "psum_scatter", "grad_contrastive", "shard_map_2d"]) {
    it(name, async () => {
      const xs = fixture.cases[name].inputs.map(f32);
      const g = jitted[name](...xs.map((x) => x.g)) as Array;
      expect(g.device).toBe("webgpu");
      const c = await onCpuAsync(() => functions[name](...xs.map((x) => x.c)));
      const [gv, cv] = [globalThis.Array.from(await g.data(), Number), globalThis.Array.from(await c.data(), Number)];
      expect(gv.length).toBe(cv.length);
      gv.forEach((v, k) => expect(Math.abs(v - cv[k]), `element ${k}: webgpu ${v}, cpu ${cv[k]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cv[k]))));
    });
  }
});

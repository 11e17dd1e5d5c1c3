/**
 * Fusion on the CPU: sibling elementwise kernels run as one multi-output
 * kernel (the JavaScript and WebAssembly renderers), and a matmul's or a
 * reduction's elementwise consumer runs as its epilogue in the same step.
 * Each case counts the plan's kernels with and without these merges
 * (`planFor` with the CPU backend's flags, and with none) and checks that the
 * merged plan gives bit for bit what the unmerged one gives, and what
 * `jitConfig.fusion = false` (one kernel per primitive) gives.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cpuBackend } from "../src/backend/cpu/index.js";
import { setWasmEnabled, setWasmMinSize, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { executePlan, planFor } from "../src/runtime/execute.js";
import { setWindowReduceFast } from "../src/backend/cpu/window-reduce.js";
import { kernelCount } from "../src/runtime/fuse.js";
import * as np from "../src/numpy/index.js";
import { Array } from "../src/array.js";
import type { Value } from "../src/trace/core.js";
import { jit, jitConfig } from "../src/transforms/jit.js";
import { grad, valueAndGrad } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import * as nn from "../src/nn/index.js";
import { rand } from "./helpers.js";

const f32 = (shape: number[], seed: number, scale = 1) =>
  np.array(Float32Array.from(rand(shape.reduce((a, b) => a * b, 1), seed).map((v) => v * scale)), { dtype: "float32" }).reshape(shape) as Array;

type Jitted = ((...args: Value[]) => unknown) & { lower(...args: Value[]): { jaxpr: import("../src/trace/jaxpr.js").Jaxpr; kernels: number } };

/** The plan's kernels without the CPU's merges and with them; the outputs of both (and of the unfused program), as arrays of numbers. */
function compare(f: Jitted, args: Array[]) {
  const { jaxpr } = f.lower(...args);
  const plain = planFor(jaxpr, {});
  const merged = planFor(jaxpr, cpuBackend);
  const read = (outs: Array[]) => outs.map((o) => globalThis.Array.from(o.dataSync()));
  const a = read(executePlan(plain, args));
  const b = read(executePlan(merged, args));
  jitConfig.fusion = false;
  let unfused: number[][];
  try {
    unfused = read(executePlan(planFor(jaxpr, cpuBackend), args));
  } finally {
    jitConfig.fusion = true;
  }
  return { before: kernelCount(plain), after: kernelCount(merged), viaJit: f.lower(...args).kernels, a, b, unfused };
}

function expectNear(actual: number[][], expected: number[][], tol: number) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((xs, i) => {
    expect(xs.length).toBe(expected[i].length);
    xs.forEach((x, j) => {
      const e = expected[i][j];
      if (Math.abs(x - e) > tol * Math.max(1, Math.abs(e))) expect(x, `output ${i}, element ${j}`).toBe(e);
    });
  });
}

const adam = (p: Value, m: Value, v: Value, g: Value): Value[] => {
  const m2 = m.mul(0.9).add(g.mul(0.1));
  const v2 = v.mul(0.999).add(g.square().mul(0.001));
  return [p.sub(m2.mul(0.01).div(np.sqrt(v2).add(1e-8))), m2, v2];
};

afterEach(() => {
  setWasmEnabled(true);
});

describe("multi-output elementwise kernels on the CPU", () => {
  for (const [label, shapes] of [
    ["small leaves (the JavaScript renderer)", [[4, 3], [3], [3, 1]]],
    ["large leaves (WebAssembly, split across threads when big)", [[300, 50], [50], [1 << 18]]],
  ] as const) {
    it(`an Adam update is one kernel per leaf storing p, m and v: ${label}`, () => {
      const leaf = (seed: number) => shapes.map((sh, i) => f32([...sh], seed * 10 + i));
      const [p, m, v, g] = [leaf(1), leaf(2), leaf(3), leaf(4)].map((t, k) => (k === 2 ? t.map((x) => np.abs(x) as Array) : t));
      const step = jit((...xs: Value[]) => {
        const n = shapes.length;
        return globalThis.Array.from({ length: n }, (_, i) => adam(xs[i], xs[n + i], xs[2 * n + i], xs[3 * n + i])).flat();
      }) as unknown as Jitted;
      const args = [...p, ...m, ...v, ...g];
      const launches = wasmLaunchCount();
      const r = compare(step, args);
      expect(r.before).toBe(3 * shapes.length);
      expect(r.after).toBe(shapes.length);
      expect(r.viaJit).toBe(shapes.length);
      if (shapes[0][0] === 300) expect(wasmLaunchCount()).toBeGreaterThan(launches);
      expect(r.b).toEqual(r.a);
      expectNear(r.b, r.unfused, 1e-6);
    });
  }
  it("the WebAssembly and JavaScript renderers store the same siblings, bit for bit", () => {
    const f = jit((x: Value, y: Value) => {
      const e = np.exp(x.mul(0.5));
      return [e.add(y), e.mul(y).sub(np.log1p(np.abs(x))), np.sin(x.mul(3)).mul(e)];
    }) as unknown as Jitted;
    const x = f32([64, 70], 5, 40); // sin's arguments beyond the fast reduction's range: the careful row pass
    const y = f32([70], 6);
    const prev = setWasmMinSize(1);
    try {
      const { jaxpr } = f.lower(x, y);
      const plan = planFor(jaxpr, cpuBackend);
      expect(kernelCount(plan)).toBe(1);
      const launches = wasmLaunchCount();
      const wasm = executePlan(plan, [x, y]).map((o) => globalThis.Array.from(o.dataSync()));
      expect(wasmLaunchCount()).toBe(launches + 1);
      setWasmEnabled(false);
      const js = executePlan(plan, [x, y]).map((o) => globalThis.Array.from(o.dataSync()));
      expectNear(wasm, js, 2e-6);
      const plain = executePlan(planFor(jaxpr, {}), [x, y]).map((o) => globalThis.Array.from(o.dataSync()));
      expect(js).toEqual(plain);
    } finally {
      setWasmMinSize(prev);
    }
  });
  it("float16 and float64 siblings round as the unmerged kernels do", () => {
    for (const dtype of ["float16", "float64"] as const) {
      const f = jit((x: Value, y: Value) => {
        const a = x.mul(3.3).add(y);
        return [a, a.mul(a).sub(x), np.exp(a.mul(0.1)).add(y)];
      }) as unknown as Jitted;
      const x = np.array(rand(40, 11), { dtype }).reshape([5, 8]) as Array;
      const y = np.array(rand(8, 12), { dtype }) as Array;
      const r = compare(f, [x, y]);
      expect([r.before, r.after], dtype).toEqual([3, 1]);
      expect(r.b, dtype).toEqual(r.a);
      expect(r.b, dtype).toEqual(r.unfused);
    }
  });
  it("siblings of other dtypes (int32, bool) run on the JavaScript path as one kernel", () => {
    const f = jit((x: Value) => {
      const i = np.arange(6, { dtype: "int32" }).reshape([2, 3]) as Value;
      return [x.add(1), x.mul(2), x.gt(3), x.add(i)];
    }) as unknown as Jitted;
    const x = np.array([[1, 2, 3], [4, 5, 6]], { dtype: "int32" }) as Array;
    const r = compare(f, [x]);
    expect([r.before, r.after]).toEqual([5, 2]); // the iota, then the four outputs
    expect(r.b).toEqual(r.a);
    expect(r.b).toEqual([[2, 3, 4, 5, 6, 7], [2, 4, 6, 8, 10, 12], [0, 0, 0, 1, 1, 1], [1, 3, 5, 7, 9, 11]]);
  });
});

describe("epilogues on the CPU", () => {
  it("a dense layer tanh(x·w + b)·2 is one step (tiled, matrix-vector and large matmuls), with the unfused numbers", () => {
    const layer = jit((x: Value, w: Value, b: Value) => np.tanh(x.matmul(w).add(b)).mul(2)) as unknown as Jitted;
    for (const [m, k, n] of [[70, 40, 33], [64, 48, 1], [512, 256, 300]]) {
      const r = compare(layer, [f32([m, k], 61), f32([k, n], 62), f32([n], 63)]);
      expect([r.before, r.after]).toEqual([2, 1]);
      expect(r.b).toEqual(r.a);
      expectNear(r.b, r.unfused, 1e-5);
    }
    // a matrix times a vector: the product [m, 1] read back as [m] through a reshape
    const r = compare(layer, [f32([50, 20], 64), f32([20], 65), f32([50], 66)]);
    expect([r.before, r.after]).toEqual([2, 1]);
    expect(r.b).toEqual(r.a);
  });
  it("an epilogue with sin over large products (computed into a new buffer) matches", () => {
    const f = jit((x: Value, w: Value) => np.sin(x.matmul(w).mul(100))) as unknown as Jitted;
    const r = compare(f, [f32([128, 64], 67), f32([64, 96], 68)]);
    expect([r.before, r.after]).toEqual([2, 1]);
    expect(r.b).toEqual(r.a);
  });
  it("a row norm sqrt(Σx²/n)·s + t is one step (short and long rows)", () => {
    const norm = jit((x: Value, s: Value, t: Value) => np.sqrt(x.square().mean(1)).mul(s).add(t)) as unknown as Jitted;
    for (const [rows, cols] of [[3000, 8], [4, 5000]]) {
      const r = compare(norm, [f32([rows, cols], 71), f32([rows], 72), f32([rows], 73)]);
      expect([r.before, r.after]).toEqual([2, 1]);
      expect(r.b).toEqual(r.a);
      expectNear(r.b, r.unfused, 1e-5);
    }
  });
  it("an Adam MLP training step (bench W4) takes fewer kernels with the same loss and parameters", () => {
    const H = 50;
    const x = f32([1000, 2], 81);
    const y = f32([1000, 1], 82);
    const sigmoid = (z: Value) => np.reciprocal(np.exp(z.neg()).add(1));
    const loss = (w1: Value, b1: Value, w2: Value, b2: Value, x: Value, y: Value) =>
      sigmoid(x.matmul(w1).add(b1)).matmul(w2).add(b2).sub(y).square().sum();
    const vg = valueAndGrad(loss, { argnums: [0, 1, 2, 3] });
    const step = jit((w1: Value, b1: Value, w2: Value, b2: Value, m1: Value, m2: Value, m3: Value, m4: Value, v1: Value, v2: Value, v3: Value, v4: Value, x: Value, y: Value) => {
      const [l, g] = vg(w1, b1, w2, b2, x, y) as [Value, Value[]];
      const ps = [w1, b1, w2, b2];
      const ms = [m1, m2, m3, m4];
      const vs = [v1, v2, v3, v4];
      return [l, ...ps.flatMap((p, i) => adam(p, ms[i], vs[i], g[i]))];
    }) as unknown as Jitted;
    const shapes = [[2, H], [H], [H, 1], [1]];
    const leaves = (seed: number, abs = false) => shapes.map((s, i) => (abs ? (np.abs(f32(s, seed + i)) as Array) : f32(s, seed + i, 0.5)));
    const r = compare(step, [...leaves(90), ...leaves(100), ...leaves(110, true), x, y]);
    expect(r.after).toBeLessThan(r.before);
    expect(r.before - r.after).toBeGreaterThanOrEqual(8 + 1); // two of the three updates of each of the 4 leaves, and an epilogue
    expect(r.b).toEqual(r.a);
    expectNear(r.b, r.unfused, 1e-5);
  });
});

describe("column reductions as WebAssembly", () => {
  it("sums, products, maxima and minima over a strided axis run as WebAssembly with the JavaScript path's numbers", async () => {
    const { wasmEligible } = await import("../src/backend/cpu/wasm/index.js");
    const cases: [string, number[], (x: Value, b: Value) => Value, number][] = [
      ["a bias gradient Σ_rows over [1000, 50]", [1000, 50], (x) => x.sum(0), 0],
      ["Σ over the middle axis of [4, 300, 7] (tail lanes only)", [4, 300, 7], (x) => x.sum(1), 0],
      ["Σ (x·b)² with b broadcast along the kept axis, [200, 33]", [200, 33], (x, b) => x.mul(b.reshape([200, 1])).square().sum(0), 1e-6],
      ["max over axis 0 of [97, 13]", [97, 13], (x) => x.max(0), 0],
      ["min over axis 1 of [6, 40, 9]", [6, 40, 9], (x) => x.min(1), 0],
      ["prod over axis 0 of [30, 17] of values near 1", [30, 17], (x) => x.mul(0.1).add(1).prod(0), 1e-6],
      ["exp then Σ over axis 0 of [64, 64] (threads split it when large enough)", [64, 64], (x) => np.exp(x).sum(0), 1e-6],
    ];
    const prev = setWasmMinSize(1);
    // max/min over a leading axis with contiguous kept columns have their own fold (window-reduce.ts,
    // tested in window-fast.test.ts): off here, so that these cases reach the generic Wasm kernel
    const prevFast = setWindowReduceFast(false);
    try {
      for (const [label, shape, f, tol] of cases) {
        const x = f32(shape, 91, 2);
        const b = f32([shape[0]], 92);
        const g = jit(f) as unknown as Jitted;
        const { jaxpr } = g.lower(x, b);
        const plan = planFor(jaxpr, cpuBackend);
        const reductions = plan.steps.filter((s) => s.kind === "kernel" && s.kernel.reduce);
        expect(reductions.length, label).toBe(1);
        const k = (reductions[0] as Extract<(typeof plan.steps)[number], { kind: "kernel" }>).kernel;
        expect(wasmEligible(k), label).toBe(true);
        const launches = wasmLaunchCount();
        const wasm = executePlan(plan, [x, b]).map((o) => globalThis.Array.from(o.dataSync()));
        expect(wasmLaunchCount(), label).toBeGreaterThan(launches);
        setWasmEnabled(false);
        const js = executePlan(plan, [x, b]).map((o) => globalThis.Array.from(o.dataSync()));
        setWasmEnabled(true);
        if (tol === 0) expect(wasm, label).toEqual(js);
        else expectNear(wasm, js, tol);
      }
    } finally {
      setWasmMinSize(prev);
      setWindowReduceFast(prevFast);
    }
  });
  it("an empty reduced axis gives the reduction's identity", () => {
    const x = np.zeros([0, 5], { dtype: "float32" }) as Array;
    const prev = setWasmMinSize(1);
    try {
      expect(globalThis.Array.from((jit((v: Value) => v.sum(0))(x) as Array).dataSync())).toEqual([0, 0, 0, 0, 0]);
      expect(globalThis.Array.from((jit((v: Value) => v.prod(0))(x) as Array).dataSync())).toEqual([1, 1, 1, 1, 1]);
    } finally {
      setWasmMinSize(prev);
    }
  });
});

describe("scalars broadcast under any index map (bench W8)", () => {
  it("the gradient of mean((x·w − y)²) is two steps: x·w with its epilogue, then xᵀ·r", () => {
    const [B, F] = [4096, 64];
    const w = f32([F], 121, 0.125);
    const x = f32([B, F], 122);
    const y = f32([B], 123);
    const g = jit(grad((w: Value, x: Value, y: Value) => np.mean(x.matmul(w).sub(y).square()))) as unknown as Jitted;
    const r = compare(g, [w, x, y]);
    // the 1/B of the mean is a broadcast scalar read through the reshape to [B, 1]: inlined, not a buffer of B copies
    expect([r.before, r.after, r.viaJit]).toEqual([3, 2, 2]);
    expect(r.b).toEqual(r.a);
    expectNear(r.b, r.unfused, 1e-5);
    // (2/B) xᵀ(x·w − y) in float64
    const [wd, xd, yd] = [w, x, y].map((a) => a.dataSync() as Float32Array);
    const ref = new Float64Array(F);
    for (let b = 0; b < B; b++) {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += xd[b * F + f] * wd[f];
      for (let f = 0; f < F; f++) ref[f] += (2 / B) * (dot - yd[b]) * xd[b * F + f];
    }
    expectNear(r.b, [globalThis.Array.from(ref)], 1e-4);
  });
  it("a broadcast of a one-element value feeds a reshaped consumer without a buffer of its own", () => {
    // s·x read as [n, 1] by a matmul: the broadcast of s ([1] or [], a literal or an input) is inlined under the reshape's flat map
    for (const sShape of [[], [1]]) {
      const f = jit((x: Value, s: Value, m: Value) => np.broadcastTo(s.mul(3), [50]).mul(x).add(0.5).reshape([1, 50]).matmul(m)) as unknown as Jitted;
      const r = compare(f, [f32([50], 131), f32(sShape, 132), f32([50, 7], 133)]);
      expect([r.before, r.after], `s of shape [${sShape}]`).toEqual([2, 2]);
      expect(r.b).toEqual(r.a);
      expectNear(r.b, r.unfused, 1e-5);
    }
  });
  it("an epilogue whose other input is stored after the matmul runs where its consumer was", () => {
    // u is stored (two readers) by a step after x·w: the product's epilogue waits for it
    const f = jit((x: Value, w: Value, c: Value) => {
      const p = x.matmul(w);
      const u = np.sin(c).mul(2).add(np.exp(c));
      return [np.tanh(p.add(u)), u.mul(u).sub(c)];
    }) as unknown as Jitted;
    const r = compare(f, [f32([40, 30], 141), f32([30, 20], 142), f32([20], 143)]);
    // u's kernel (u·u − c its sibling), then x·w with tanh(· + u) as its epilogue; before, the epilogue was a kernel of its own
    expect([r.before, r.after]).toEqual([4, 2]);
    expect(r.b).toEqual(r.a);
    expectNear(r.b, r.unfused, 1e-5);
  });
});

describe("row-wise epilogues: a consumer reading a mat-vec's or a row reduction's result broadcast over the row (bench W6)", () => {
  it("per-example gradients of (x·w − y)² under vmap are one step: the mat-vec, then each row's outputs", () => {
    const [B, F] = [4096, 64];
    const w = f32([F], 151, 0.125);
    const x = f32([B, F], 152);
    const y = f32([B], 153);
    const pe = jit(vmap(grad((w: Value, x: Value, y: Value) => x.dot(w).sub(y).square()), { inAxes: [null, 0, 0] })) as unknown as Jitted;
    const r = compare(pe, [w, x, y]);
    expect([r.before, r.after, r.viaJit]).toEqual([2, 1, 1]);
    expect(r.b).toEqual(r.a);
    expectNear(r.b, r.unfused, 1e-6);
    // 2(x_b·w − y_b)·x_b, example by example in float64
    const [wd, xd, yd] = [w, x, y].map((a) => a.dataSync() as Float32Array);
    const ref: number[] = [];
    for (let b = 0; b < B; b++) {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += xd[b * F + f] * wd[f];
      for (let f = 0; f < F; f++) ref.push(2 * (dot - yd[b]) * xd[b * F + f]);
    }
    expectNear(r.b, [ref], 1e-4);
  });
  for (const [rows, cols] of [[300, 70], [3, 5000]]) {
    it(`softmax over rows is two steps (max with exp(x − max), sum with the division): [${rows}, ${cols}]`, () => {
      const f = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
      const x = f32([rows, cols], 161, 6);
      const r = compare(f, [x]);
      expect([r.before, r.after]).toEqual([4, 2]);
      expect(r.b).toEqual(r.a);
      expectNear(r.b, r.unfused, 1e-6);
      const xd = x.dataSync() as Float32Array;
      const ref: number[] = [];
      for (let i = 0; i < rows; i++) {
        const row = globalThis.Array.from(xd.subarray(i * cols, (i + 1) * cols));
        const m = Math.max(...row);
        const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
        ref.push(...row.map((v) => Math.exp(v - m) / s));
      }
      expectNear(r.b, [ref], 1e-5);
    });
  }
  it("a layer norm over rows is two steps (the mean with x − mean, the variance with the scaling)", () => {
    const f = jit((x: Value) => {
      const c = x.sub(x.mean(-1, { keepdims: true }));
      return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5)));
    }) as unknown as Jitted;
    const [rows, cols] = [128, 96];
    const x = f32([rows, cols], 181, 3);
    const r = compare(f, [x]);
    expect([r.before, r.after]).toEqual([4, 2]);
    expect(r.b).toEqual(r.a);
    expectNear(r.b, r.unfused, 1e-6);
    const xd = x.dataSync() as Float32Array;
    const ref: number[] = [];
    for (let i = 0; i < rows; i++) {
      const row = globalThis.Array.from(xd.subarray(i * cols, (i + 1) * cols));
      const m = row.reduce((a, v) => a + v, 0) / cols;
      const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / cols;
      ref.push(...row.map((u) => (u - m) / Math.sqrt(v + 1e-5)));
    }
    expectNear(r.b, [ref], 1e-4);
  });
  it("a consumer of a column reduction (the result broadcast along a leading axis) stays a kernel of its own", () => {
    const f = jit((x: Value) => x.sub(x.sum(0))) as unknown as Jitted;
    const r = compare(f, [f32([40, 30], 171)]);
    expect([r.before, r.after]).toEqual([2, 2]);
    expect(r.b).toEqual(r.a);
  });
});

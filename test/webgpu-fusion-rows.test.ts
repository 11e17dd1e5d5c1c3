/**
 * Row-wise (broadcast) epilogues on WebGPU: a consumer that reads a mat-vec's
 * or a row reduction's result repeated along the row (bench W6's per-example
 * gradients x·(2(x·w − y)), softmax over rows, a row layer norm) runs in the
 * matmul's or the reduction's kernel, each row's outputs stored from the
 * row's result (src/backend/webgpu/codegen.ts `broadcastStores`).
 *
 * Each case counts the plan's kernels with WebGPU's flags and with the same
 * flags less `broadcastEpilogues` (what WebGPU planned before), and checks the
 * fused WebGPU values against the CPU's plan, against the unfused program
 * (`jitConfig.fusion = false`) on WebGPU, and against a float64 loop written
 * from the definition, within float32 tolerance. The cases reach every kernel
 * that stores a broadcast epilogue: the matmul's skinny, reduce and tiled
 * kernels (counted by `gpuDotCounts`), and the reduction's one thread per
 * row, one workgroup per row, and two-pass (partials) forms.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { cpuBackend } from "../src/backend/cpu/index.js";
import { webgpuBackend } from "../src/backend/webgpu/index.js";
import { gpuDotCounts } from "../src/backend/webgpu/matmul.js";
import { lowerBindingLimitForTests } from "../src/backend/webgpu/context.js";
import { executePlan, planFor } from "../src/runtime/execute.js";
import { kernelCount } from "../src/runtime/fuse.js";
import type { Array } from "../src/array.js";
import type { Jaxpr } from "../src/trace/jaxpr.js";
import type { Value } from "../src/trace/core.js";
import { jit, jitConfig } from "../src/transforms/jit.js";
import { grad } from "../src/transforms/linearize.js";
import { vmap } from "../src/transforms/vmap.js";
import * as np from "../src/numpy/index.js";
import * as nn from "../src/nn/index.js";
import { onBothDevices, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-fusion-rows.test.ts");

type Jitted = ((...args: Value[]) => unknown) & { lower(...args: Value[]): { jaxpr: Jaxpr; kernels: number } };

/** Seeded float32 data on both devices, and its values as numbers. */
function data(shape: number[], seed: number, scale = 1) {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = rand(n, seed).map((v) => Math.fround(v * scale));
  return { ...onBothDevices(values, shape), values };
}

/** WebGPU's flags less `broadcastEpilogues`: the plan WebGPU made before row-wise epilogues. */
const withoutRows = () => ({ epilogues: true, multiOutputKernels: true, maxKernelInputs: webgpuBackend.maxKernelInputs, broadcastEpilogues: false });

/**
 * The plan's kernels before and now, the jitted call's own count, and the
 * outputs of: the fused WebGPU plan, the jitted call on WebGPU, the CPU's
 * plan, and the unfused program on WebGPU.
 */
async function compare(f: Jitted, args: { c: Array; g: Array }[]) {
  const g = args.map((a) => a.g);
  const c = args.map((a) => a.c);
  const { jaxpr, kernels } = f.lower(...g);
  const fused = planFor(jaxpr, webgpuBackend);
  const read = (outs: Array[]) => Promise.all(outs.map(async (o) => globalThis.Array.from(await o.data())));
  const before = { ...gpuDotCounts };
  const gpu = await read(executePlan(fused, g));
  const dots = { tiled: gpuDotCounts.tiled - before.tiled, skinny: gpuDotCounts.skinny - before.skinny, reduce: gpuDotCounts.reduce - before.reduce };
  const viaJit = await read([f(...g) as Array]);
  const cpu = await read(executePlan(planFor(jaxpr, cpuBackend), c));
  jitConfig.fusion = false;
  let unfused: number[][];
  try {
    unfused = await read(executePlan(planFor(jaxpr, webgpuBackend), g));
  } finally {
    jitConfig.fusion = true;
  }
  return { before: kernelCount(planFor(jaxpr, withoutRows())), after: kernelCount(fused), viaJit: kernels, dots, gpu, jitted: viaJit, cpu, unfused };
}

/** |a − e| ≤ tol·max(1, |e|), element by element. */
function expectNear(actual: number[], expected: number[], tol: number, what: string) {
  expect(actual.length, what).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    if (!Object.is(actual[i], e) && !(Math.abs(actual[i] - e) <= tol * Math.max(1, Math.abs(e)))) expect.fail(`${what}, element ${i}: ${actual[i]}, expected ${e}`);
  }
}

/** Each output of the fused WebGPU plan against the jitted call, the CPU, the unfused program and the float64 reference. */
function expectAll(r: Awaited<ReturnType<typeof compare>>, ref: number[], tol: number) {
  expectNear(r.gpu[0], r.jitted[0], 0, "jitted call on webgpu vs the fused plan");
  expectNear(r.gpu[0], r.cpu[0], tol, "webgpu vs cpu");
  expectNear(r.gpu[0], r.unfused[0], tol, "webgpu vs unfused webgpu");
  expectNear(r.gpu[0], ref, tol, "webgpu vs float64");
}

/** Softmax of each row of a [rows, cols] row-major array, in float64. */
function softmaxRef(x: number[], rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    const row = x.slice(i * cols, (i + 1) * cols);
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    out.push(...row.map((v) => Math.exp(v - m) / s));
  }
  return out;
}

// lavapipe compiles each new shader on a shared CPU: a case takes seconds, more under load
describe.skipIf(!hasGpu)("WebGPU row-wise epilogues", { timeout: 180_000 }, () => {
  it("W6: per-example gradients of (x·w − y)² under vmap at 4096×64 are one kernel (the skinny mat-vec storing each row)", async () => {
    const [B, F] = [4096, 64];
    const w = data([F], 151, 0.125);
    const x = data([B, F], 152);
    const y = data([B], 153);
    const pe = jit(vmap(grad((w: Value, x: Value, y: Value) => x.dot(w).sub(y).square()), { inAxes: [null, 0, 0] })) as unknown as Jitted;
    const r = await compare(pe, [w, x, y]);
    expect([r.before, r.after, r.viaJit]).toEqual([2, 1, 1]);
    expect(r.dots).toEqual({ tiled: 0, skinny: 1, reduce: 0 });
    const ref: number[] = [];
    for (let b = 0; b < B; b++) {
      let dot = 0;
      for (let f = 0; f < F; f++) dot += x.values[b * F + f] * w.values[f];
      for (let f = 0; f < F; f++) ref.push(2 * (dot - y.values[b]) * x.values[b * F + f]);
    }
    expectAll(r, ref, 1e-4);
  });

  // [300, 70]: a workgroup per row; [3, 5000]: a workgroup per row, longer than it; [3000, 8]: a thread per row;
  // [2, 40000]: rows cut in chunks reduced into partials, the epilogue in the second pass
  for (const [rows, cols] of [[300, 70], [3, 5000], [3000, 8], [2, 40000]]) {
    it(`softmax over rows [${rows}, ${cols}] is two kernels (max with exp(x − max), sum with the division)`, async () => {
      const f = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
      const x = data([rows, cols], 161 + cols, 6);
      const r = await compare(f, [x]);
      expect([r.before, r.after, r.viaJit]).toEqual([4, 2, 2]);
      expectAll(r, softmaxRef(x.values, rows, cols), 1e-5);
    });
  }

  for (const [rows, cols] of [[128, 96], [4096, 64], [2, 3000]]) {
    it(`a layer norm over rows [${rows}, ${cols}] is two kernels (the mean with x − mean, the variance with the scaling)`, async () => {
      const f = jit((x: Value) => {
        const c = x.sub(x.mean(-1, { keepdims: true }));
        return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5)));
      }) as unknown as Jitted;
      const x = data([rows, cols], 181 + rows, 3);
      const r = await compare(f, [x]);
      expect([r.before, r.after, r.viaJit]).toEqual([4, 2, 2]);
      const ref: number[] = [];
      for (let i = 0; i < rows; i++) {
        const row = x.values.slice(i * cols, (i + 1) * cols);
        const m = row.reduce((a, v) => a + v, 0) / cols;
        const v = row.reduce((a, u) => a + (u - m) ** 2, 0) / cols;
        ref.push(...row.map((u) => (u - m) / Math.sqrt(v + 1e-5)));
      }
      expectAll(r, ref, 1e-4);
    });
  }

  it("a vector-matrix product (the reduce kernel) stores a row from each product", async () => {
    // (v·x)[i] repeated along a row of 37 and scaled by z[i, q]
    const [K, M, R] = [50, 70, 37];
    const x = data([K, M], 191);
    const v = data([K], 192);
    const z = data([M, R], 193);
    const fr = jit((x: Value, v: Value, z: Value) => np.expandDims(np.matmul(v, x), -1).mul(z).add(1)) as unknown as Jitted;
    const rr = await compare(fr, [x, v, z]);
    expect([rr.before, rr.after, rr.viaJit]).toEqual([2, 1, 1]);
    expect(rr.dots).toEqual({ tiled: 0, skinny: 0, reduce: 1 });
    const refR: number[] = [];
    for (let i = 0; i < M; i++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += x.values[k * M + i] * v.values[k];
      for (let q = 0; q < R; q++) refR.push(s * z.values[i * R + q] + 1);
    }
    expectAll(rr, refR, 1e-4);
  });

  it("a matrix product (the tiled kernel) stores a row from each product", async () => {
    // (a·b)[i, j] repeated along a trailing axis of 5, through tanh
    const [m, k, n, t] = [70, 33, 40, 5];
    const a = data([m, k], 194);
    const b = data([k, n], 195);
    const u = data([m, n, t], 196);
    const ft = jit((a: Value, b: Value, u: Value) => np.tanh(np.expandDims(np.matmul(a, b), -1).sub(u))) as unknown as Jitted;
    const rt = await compare(ft, [a, b, u]);
    expect([rt.before, rt.after, rt.viaJit]).toEqual([2, 1, 1]);
    expect(rt.dots).toEqual({ tiled: 1, skinny: 0, reduce: 0 });
    const refT: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.values[i * k + p] * b.values[p * n + j];
        for (let q = 0; q < t; q++) refT.push(Math.tanh(s - u.values[(i * n + j) * t + q]));
      }
    }
    expectAll(rt, refT, 1e-4);
  });

  it("a product with 3 columns (the skinny kernel) stores a row from each of a row's products", async () => {
    // (x·w)[i, j] repeated along a trailing axis of 9 (rows 300: the last workgroup not full; k 67: not a multiple of the threads per row)
    const [m, k, n, t] = [300, 67, 3, 9];
    const x = data([m, k], 197);
    const w = data([k, n], 198);
    const u = data([m, n, t], 199);
    const f = jit((x: Value, w: Value, u: Value) => np.expandDims(np.matmul(x, w), -1).mul(u).sub(0.5)) as unknown as Jitted;
    const r = await compare(f, [x, w, u]);
    expect([r.before, r.after, r.viaJit]).toEqual([2, 1, 1]);
    expect(r.dots).toEqual({ tiled: 0, skinny: 1, reduce: 0 });
    const ref: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += x.values[i * k + p] * w.values[p * n + j];
        for (let q = 0; q < t; q++) ref.push(s * u.values[(i * n + j) * t + q] - 0.5);
      }
    }
    expectAll(r, ref, 1e-4);
  });

  it("with the binding limit lowered to 4 KiB: a row reduction in chunks, and a product whose rows' outputs pass the limit", async () => {
    // softmax [60, 70]: the reduction in chunks, then its epilogue reading the result through its broadcast view (itself in chunks)
    const f = jit((x: Value) => nn.softmax(x, -1)) as unknown as Jitted;
    const x = data([60, 70], 201, 6);
    // (a·b)[i, j] − u[i, j, q]: the product (1,600 bytes) fits, the 8,000-byte result does not: the product, then the epilogue in chunks
    const g = jit((a: Value, b: Value, u: Value) => np.expandDims(np.matmul(a, b), -1).sub(u)) as unknown as Jitted;
    const [m, k, n, t] = [20, 16, 20, 5];
    const a = data([m, k], 202);
    const b = data([k, n], 203);
    const u = data([m, n, t], 204);
    const ref: number[] = [];
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a.values[i * k + p] * b.values[p * n + j];
        for (let q = 0; q < t; q++) ref.push(s - u.values[(i * n + j) * t + q]);
      }
    }
    lowerBindingLimitForTests(4096);
    try {
      const rs = await compare(f, [x]);
      expect([rs.before, rs.after]).toEqual([4, 2]);
      expectAll(rs, softmaxRef(x.values, 60, 70), 1e-5);
      const rm = await compare(g, [a, b, u]);
      expect([rm.before, rm.after]).toEqual([2, 1]);
      expectAll(rm, ref, 1e-4);
    } finally {
      lowerBindingLimitForTests(null);
    }
  });

  it("a consumer of a column reduction (the result broadcast along a leading axis) stays a kernel of its own", async () => {
    const f = jit((x: Value) => x.sub(x.sum(0))) as unknown as Jitted;
    const x = data([40, 30], 171);
    const r = await compare(f, [x]);
    expect([r.before, r.after]).toEqual([2, 2]);
    const ref: number[] = [];
    for (let i = 0; i < 40; i++) for (let j = 0; j < 30; j++) ref.push(x.values[i * 30 + j] - [...globalThis.Array(40).keys()].reduce((s, r) => s + x.values[r * 30 + j], 0));
    expectAll(r, ref, 1e-5);
  });
});

/**
 * The WebGPU `skinny` kernel (src/backend/webgpu/matmul.ts): float32 products
 * with 1 to 15 columns whose lhs rows are contiguous along k take it (counted),
 * and give the CPU's values within float32 rounding — n from 1 to 15, k not a
 * multiple of the threads per row, rows that do not fill the last workgroup,
 * batches, and a fused epilogue under jit. A transposed lhs and wide products
 * keep their kernels.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jit, lax, np, type Value } from "../src/index.js";
import type { Array } from "../src/array.js";
import { gpuDotCounts, webgpuDotKernels } from "../src/backend/webgpu/matmul.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-matmul-skinny.test.ts");

/** |g − c| ≤ 1e-4·sqrt(k)·max(|c|, the array's largest |c|). */
async function expectClose(g: Value, c: Value, k: number): Promise<void> {
  expect(g.shape).toEqual(c.shape);
  expect((g as Array).device).toBe("webgpu");
  expect((c as Array).device).toBe("cpu");
  const gd = await (g as Array).data();
  const cd = await (c as Array).data();
  const tol = 1e-4 * Math.sqrt(k);
  let scale = 1e-30;
  for (const v of cd) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < cd.length; i++) {
    if (!(Math.abs(gd[i] - cd[i]) <= tol * Math.max(scale, Math.abs(cd[i])))) expect.fail(`element ${i}: webgpu ${gd[i]}, cpu ${cd[i]}`);
  }
}

/** The kernel counts a call adds. */
function counted<T>(f: () => T): { value: T; tiled: number; skinny: number; reduce: number } {
  const before = { ...gpuDotCounts };
  const value = f();
  return { value, tiled: gpuDotCounts.tiled - before.tiled, skinny: gpuDotCounts.skinny - before.skinny, reduce: gpuDotCounts.reduce - before.reduce };
}

// both forms of the kernels on any adapter: with workgroup memory (the default on GPUs) and without (on software adapters)
for (const wm of ["on", "off"] as const)
describe.skipIf(!hasGpu)(`WebGPU skinny matmul (workgroup memory ${wm})`, () => {
  beforeAll(() => void (webgpuDotKernels.workgroupMemory = wm));
  afterAll(() => void (webgpuDotKernels.workgroupMemory = "auto"));
  for (const [m, k, n] of [[4096, 64, 1], [300, 67, 1], [300, 67, 2], [300, 67, 3], [257, 131, 5], [130, 33, 15], [1000, 9, 4], [64, 1000, 7]]) {
    it(`${m}×${k} · ${k}×${n}`, async () => {
      const x = onBothDevices(rand(m * k, m + k), [m, k]);
      const w = onBothDevices(rand(k * n, n), [k, n]);
      const r = counted(() => np.matmul(x.g, w.g));
      expect(r.skinny).toBe(1);
      await expectClose(r.value, onCpu(() => np.matmul(x.c, w.c)), k);
    });
  }

  it("a batch with a per-element rhs, and a transposed rhs", async () => {
    const x = onBothDevices(rand(3 * 70 * 45, 1), [3, 70, 45]);
    const w = onBothDevices(rand(3 * 45 * 4, 2), [3, 45, 4]);
    const r = counted(() => np.matmul(x.g, w.g));
    expect(r.skinny).toBe(1);
    await expectClose(r.value, onCpu(() => np.matmul(x.c, w.c)), 45);
    // rhs [n, k] contracted on its axis 1
    const v = onBothDevices(rand(6 * 45, 3), [6, 45]);
    const dn = { contracting: [[1], [1]] as [number[], number[]], batch: [[], []] as [number[], number[]] };
    const x2 = onBothDevices(rand(200 * 45, 4), [200, 45]);
    const r2 = counted(() => lax.dotGeneral(x2.g, v.g, dn));
    expect(r2.skinny).toBe(1);
    await expectClose(r2.value, onCpu(() => lax.dotGeneral(x2.c, v.c, dn)), 45);
  });

  it("under jit with a fused epilogue (bias, tanh)", async () => {
    const f = jit((x: Value, w: Value, b: Value) => np.tanh(np.matmul(x, w).add(b)));
    const x = onBothDevices(rand(500 * 40, 5), [500, 40]);
    const w = onBothDevices(rand(40 * 3, 6), [40, 3]);
    const b = onBothDevices(rand(3, 7), [3]);
    const r = counted(() => f(x.g, w.g, b.g));
    expect(r.skinny).toBe(1);
    await expectClose(r.value, onCpu(() => f(x.c, w.c, b.c)), 40);
  });

  it("a transposed lhs, few rows and wide products keep the reduce and tiled kernels", async () => {
    const x = onBothDevices(rand(300 * 67, 8), [300, 67]);
    const w1 = onBothDevices(rand(67, 9), [67, 1]);
    const w20 = onBothDevices(rand(67 * 20, 10), [67, 20]);
    const y = onBothDevices(rand(300 * 3, 11), [300, 3]);
    const few = onBothDevices(rand(40 * 67, 12), [40, 67]);
    expect(counted(() => np.matmul(few.g, w1.g)).reduce).toBe(1);
    expect(counted(() => np.matmul(x.g, w20.g)).tiled).toBe(1);
    const dn = { contracting: [[0], [0]] as [number[], number[]], batch: [[], []] as [number[], number[]] };
    const r = counted(() => lax.dotGeneral(x.g, y.g, dn)); // xᵀ·y: lhs contiguous along m
    expect(r.skinny).toBe(0);
    await expectClose(r.value, onCpu(() => lax.dotGeneral(x.c, y.c, dn)), 300);
  });
});

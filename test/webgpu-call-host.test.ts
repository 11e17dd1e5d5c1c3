/**
 * The host work of a jitted WebGPU call and its readback (issue 17's W7: a
 * jitted mat-vec read with `await y.data()`), counted on the device object
 * itself: after the first calls, a call and its read create no GPU buffer
 * (the storage pool and the staging pool hand theirs back), read
 * `device.limits` never (the limits are read once per device, context.ts),
 * and plan the product once (matmul.ts `dotPlanCount`) — while the values stay
 * the CPU's, a change of kernel choice still plans again, and a device error
 * still reaches the read of the value it spoiled.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { jit, np, type Value } from "../src/index.js";
import type { Array } from "../src/array.js";
import { stagingBuffersMade } from "../src/backend/webgpu/buffers.js";
import { device } from "../src/backend/webgpu/context.js";
import { dotPlanCount, gpuDotCounts, webgpuDotKernels } from "../src/backend/webgpu/matmul.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-call-host.test.ts");

/**
 * Counts, on the device object, the `createBuffer` calls and `limits` reads
 * that `f` makes (own properties shadowing the prototype's, removed after).
 */
async function countNative(f: () => Promise<void>): Promise<{ createBuffer: number; limits: number }> {
  const dev = device();
  const counts = { createBuffer: 0, limits: 0 };
  // where the binding defines them (the instance or a prototype), to put back what was there
  const own = {
    createBuffer: Object.getOwnPropertyDescriptor(dev, "createBuffer"),
    limits: Object.getOwnPropertyDescriptor(dev, "limits"),
  };
  const create = dev.createBuffer;
  let limitsOf: () => GPUSupportedLimits = () => {
    throw new Error("no limits property found");
  };
  for (let o: object | null = dev; o; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, "limits");
    if (d) {
      limitsOf = d.get ? () => d.get!.call(dev) : () => d.value;
      break;
    }
  }
  Object.defineProperty(dev, "createBuffer", {
    configurable: true,
    value: (d: GPUBufferDescriptor) => (counts.createBuffer++, create.call(dev, d)),
  });
  Object.defineProperty(dev, "limits", { configurable: true, get: () => (counts.limits++, limitsOf()) });
  try {
    await f();
  } finally {
    for (const name of ["createBuffer", "limits"] as const) {
      delete (dev as unknown as Record<string, unknown>)[name];
      if (own[name]) Object.defineProperty(dev, name, own[name]!);
    }
  }
  return counts;
}

/** float64 sums of x·w, row by row. */
function matvec(x: readonly number[], w: readonly number[], rows: number, k: number): Float64Array {
  const y = new Float64Array(rows);
  for (let r = 0; r < rows; r++) for (let p = 0; p < k; p++) y[r] += x[r * k + p] * w[p];
  return y;
}

function expectNear(got: ArrayLike<number>, want: ArrayLike<number>): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])))) expect.fail(`element ${i}: ${got[i]}, float64 ${want[i]}`);
  }
}

describe.skipIf(!hasGpu)("a jitted WebGPU call and its read: host work per call", () => {
  afterEach(() => void (webgpuDotKernels.workgroupMemory = "auto"));

  it("W7's mat-vec: after the first call, a call + read creates no buffer, reads no limit and plans no product", async () => {
    const [rows, k] = [4096, 64];
    const xs = rand(rows * k, 11);
    const ws = rand(k, 12);
    const x = onBothDevices(xs, [rows, k]);
    const w = onBothDevices(ws, [k, 1]);
    const f = jit((a: Value, b: Value) => np.matmul(a, b));
    const want = matvec(xs, ws, rows, k);
    // the first calls trace, compile, fill the pools
    for (let i = 0; i < 2; i++) {
      const y = f(x.g, w.g) as Array;
      expectNear(await y.data(), want);
      y.dispose();
    }
    const plans = dotPlanCount();
    const dots = gpuDotCounts.skinny + gpuDotCounts.tiled + gpuDotCounts.reduce;
    const staging = stagingBuffersMade();
    const counts = await countNative(async () => {
      for (let i = 0; i < 10; i++) {
        const y = f(x.g, w.g) as Array;
        expectNear(await y.data(), want);
        y.dispose();
      }
    });
    expect(counts).toEqual({ createBuffer: 0, limits: 0 });
    expect(stagingBuffersMade() - staging).toBe(0);
    expect(dotPlanCount() - plans).toBe(0);
    // every call still ran its product on the device
    expect(gpuDotCounts.skinny + gpuDotCounts.tiled + gpuDotCounts.reduce - dots).toBe(10);
  });

  it("a read of a new size class makes one staging buffer, and reads of that size reuse it", async () => {
    const n = 100_000 + 5; // 400,020 bytes: a size class (512 KiB) no other test here reads
    const vals = rand(n, 13);
    const a = onBothDevices(vals, [n]);
    const staging = stagingBuffersMade();
    for (let i = 0; i < 5; i++) expectNear(await a.g.data(), Float32Array.from(vals));
    expect(stagingBuffersMade() - staging).toBe(1);
  });

  it("the product is planned again when the kernel choice changes, with the same values", async () => {
    const [rows, k] = [300, 40];
    const xs = rand(rows * k, 14);
    const ws = rand(k, 15);
    const x = onBothDevices(xs, [rows, k]);
    const w = onBothDevices(ws, [k, 1]);
    const f = jit((a: Value, b: Value) => np.matmul(a, b));
    const want = matvec(xs, ws, rows, k);
    const results: Float32Array[] = [];
    const plansPer: number[] = [];
    for (const wm of ["on", "off", "on"] as const) {
      webgpuDotKernels.workgroupMemory = wm;
      const before = dotPlanCount();
      for (let i = 0; i < 3; i++) results.push((await (f(x.g, w.g) as Array).data()) as Float32Array);
      plansPer.push(dotPlanCount() - before);
    }
    // one plan at each switch (the params object keeps the last), none for the repeated calls
    expect(plansPer).toEqual([1, 1, 1]);
    for (const r of results) expectNear(r, want);
    // and the CPU agrees
    expectNear(results[0], (await (onCpu(() => f(x.c, w.c)) as Array).data()) as Float32Array);
  });
});

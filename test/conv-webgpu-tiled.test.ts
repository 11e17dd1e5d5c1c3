/**
 * The WebGPU convolution's implicit-GEMM kernel (src/backend/webgpu/conv.ts,
 * used for large float32 1-d and 2-d convolutions without groups or lhs
 * dilation) gives the CPU's answers, and the direct kernel's: values and the
 * gradients with respect to both operands (at stride 1 these are tiled
 * convolutions too), over layouts, strides, padding, kernel dilation, and
 * sizes that are and are not multiples of the 64 × 64 and 32 × 128 tiles, and the
 * split-K path (a kernel gradient's few tiles over a deep reduction). Without an
 * adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { convKernel } from "../src/backend/webgpu/conv.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("conv-webgpu-tiled.test.ts");

function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

async function maxRelErr(gpu: Value, cpu: Value): Promise<number> {
  expect(gpu.shape).toEqual(cpu.shape);
  const g = await gpu.data();
  const c = await cpu.data();
  let scale = 1;
  for (let i = 0; i < c.length; i++) scale = Math.max(scale, Math.abs(c[i]));
  let err = 0;
  for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(g[i] - c[i]));
  return err / scale;
}

interface Case {
  name: string;
  lhs: number[];
  rhs: number[];
  strides: number[];
  padding: string | [number, number][];
  dilation?: number[];
  dn: [string, string, string];
  /** Whether a gradient's convolution (the kernel's: few tiles, deep reduction) splits its depth among workgroups. */
  splitK?: boolean;
}

const CASES: Case[] = [
  { name: "NHWC 3x3 SAME, 8x16x16x16 -> 64 (whole tiles)", lhs: [8, 16, 16, 16], rhs: [3, 3, 16, 64], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], splitK: true },
  { name: "NCHW 5x5 VALID stride 2, 3x5x19x23 -> 40 (ragged tiles)", lhs: [3, 5, 19, 23], rhs: [40, 5, 5, 5], strides: [2, 2], padding: "VALID", dn: ["NCHW", "OIHW", "NCHW"] },
  { name: "NHWC 3x3 dilation 2, explicit padding, stride (1, 2), 4x12x13x7 -> 33", lhs: [4, 12, 13, 7], rhs: [3, 3, 7, 33], strides: [1, 2], padding: [[2, 1], [0, 3]], dilation: [2, 2], dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "NHWC 3x3 SAME, 5x11x9x6 -> 32 (32-wide, 128-tall tiles, ragged)", lhs: [5, 11, 9, 6], rhs: [3, 3, 6, 32], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "1-d NHC width 5, SAME, 6x50x12 -> 40", lhs: [6, 50, 12], rhs: [5, 12, 40], strides: [1], padding: "SAME", dn: ["NHC", "HIO", "NHC"] },
];

afterEach(() => {
  convKernel.tiled = true;
});

describe.skipIf(!hasGpu)("the tiled WebGPU convolution == CPU and == the direct kernel", () => {
  for (const c of CASES) {
    it(`${c.name}: value and gradients`, async () => {
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const l = onBothDevices(values(size(c.lhs), 1), c.lhs);
      const r = onBothDevices(values(size(c.rhs), 2), c.rhs);
      const f = (a: Value, b: Value) => lax.convGeneralDilated(a, b, c.strides, c.padding, { rhsDilation: c.dilation, dimensionNumbers: c.dn });
      const outShape = onCpu(() => f(l.c, r.c)).shape;
      const t = onBothDevices(values(size(outShape), 3), outShape);
      const loss = (cot: Value) => (a: Value, b: Value) => np.sum(np.multiply(f(a, b), cot));
      const [cpuOut, cpuGrads] = onCpu(() => [f(l.c, r.c), grad(loss(t.c), { argnums: [0, 1] })(l.c, r.c) as Value[]] as const);
      const run = () => [f(l.g, r.g), ...(grad(loss(t.g), { argnums: [0, 1] })(l.g, r.g) as Value[])];
      const before = convKernel.tiledRuns;
      const splitBefore = convKernel.splitRuns;
      const tiled = run();
      // the value at least is tiled (a gradient's convolution is where it fits: no lhs dilation, 32 features or more)
      expect(convKernel.tiledRuns - before).toBeGreaterThanOrEqual(1);
      if (c.splitK) expect(convKernel.splitRuns - splitBefore).toBeGreaterThanOrEqual(1);
      convKernel.tiled = false;
      const direct = run();
      const cpu = [cpuOut, ...cpuGrads];
      for (let i = 0; i < 3; i++) {
        const what = ["value", "grad lhs", "grad rhs"][i];
        expect(await maxRelErr(tiled[i], cpu[i]), `tiled ${what}`).toBeLessThan(1e-5);
        expect(await maxRelErr(direct[i], cpu[i]), `direct ${what}`).toBeLessThan(1e-5);
      }
    });
  }
});

/**
 * The WebGPU convolution's planar kernel (src/backend/webgpu/conv.ts: 1-d and
 * 2-d convolutions that the tiled kernel does not take, with nested window
 * loops, 4 output features per thread without groups, and lanes over the
 * window for few outputs over a deep reduction) gives the CPU's answers and
 * the general n-d kernel's: values and the gradients with respect to both
 * operands (dx a convolution with lhs dilation at strides > 1, dw a deep
 * reduction over batch and positions) over layouts, strides, padding, lhs and
 * rhs dilation, feature and batch groups, 1-d, and odd sizes. The counters
 * show which path ran. Without an adapter the file is skipped with the reason
 * printed, unless JAXON_REQUIRE_WEBGPU is set.
 */
import { afterEach, describe, expect, it } from "vitest";
import { grad, lax, np, type Value } from "../src/index.js";
import { convKernel } from "../src/backend/webgpu/conv.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";

const hasGpu = await probeWebGPU("conv-webgpu-planar.test.ts");

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
  lhsDilation?: number[];
  rhsDilation?: number[];
  featureGroupCount?: number;
  batchGroupCount?: number;
  dn: [string, string, string];
  /** Whether a gradient's convolution (the kernel's: few outputs, many window positions) runs with lanes. */
  lanes?: boolean;
}

const CASES: Case[] = [
  { name: "LeNet conv1 shape, NHWC 5x5 SAME 1 -> 6 (ragged feature quads)", lhs: [8, 28, 28, 1], rhs: [5, 5, 1, 6], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], lanes: true },
  { name: "NCHW 3x3 VALID stride 2, odd sizes 3x5x13x11 -> 7", lhs: [3, 5, 13, 11], rhs: [7, 5, 3, 3], strides: [2, 2], padding: "VALID", dn: ["NCHW", "OIHW", "NCHW"] },
  { name: "NHWC stride (2, 3), rhs dilation (2, 1), explicit padding, 4x12x15x3 -> 5", lhs: [4, 12, 15, 3], rhs: [3, 2, 3, 5], strides: [2, 3], padding: [[2, 1], [0, 3]], rhsDilation: [2, 1], dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "lhs dilation (2, 3) with padding, 2x5x4x3 -> 4", lhs: [2, 5, 4, 3], rhs: [3, 3, 3, 4], strides: [1, 1], padding: [[1, 2], [2, 0]], lhsDilation: [2, 3], dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "feature groups 3, NCHW 2x6x7x9 -> 9, stride 2", lhs: [2, 6, 7, 9], rhs: [9, 2, 3, 3], strides: [2, 2], padding: "SAME", featureGroupCount: 3, dn: ["NCHW", "OIHW", "NCHW"] },
  { name: "depthwise (feature groups 4), NHWC 3x9x8x4 -> 8", lhs: [3, 9, 8, 4], rhs: [3, 3, 1, 8], strides: [1, 1], padding: "SAME", featureGroupCount: 4, dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "batch groups 2, NHWC 4x6x5x3 -> 4", lhs: [4, 6, 5, 3], rhs: [2, 2, 3, 4], strides: [1, 1], padding: "VALID", batchGroupCount: 2, dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "1-d NHC width 5 stride 2, 5x37x3 -> 5", lhs: [5, 37, 3], rhs: [5, 3, 5], strides: [2], padding: "SAME", dn: ["NHC", "HIO", "NHC"] },
  { name: "one output feature, NHWC 2x6x6x3 -> 1", lhs: [2, 6, 6, 3], rhs: [3, 3, 3, 1], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"] },
  { name: "deep kernel gradient, NHWC 16x20x20x3 -> 5 (lanes)", lhs: [16, 20, 20, 3], rhs: [3, 3, 3, 5], strides: [1, 1], padding: "SAME", dn: ["NHWC", "HWIO", "NHWC"], lanes: true },
];

afterEach(() => {
  convKernel.planar = true;
  convKernel.tiled = true;
});

describe.skipIf(!hasGpu)("the planar WebGPU convolution == CPU and == the general kernel", () => {
  for (const c of CASES) {
    it(`${c.name}: value and gradients`, async () => {
      const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
      const l = onBothDevices(values(size(c.lhs), 1), c.lhs);
      const r = onBothDevices(values(size(c.rhs), 2), c.rhs);
      const f = (a: Value, b: Value) =>
        lax.convGeneralDilated(a, b, c.strides, c.padding, {
          lhsDilation: c.lhsDilation,
          rhsDilation: c.rhsDilation,
          featureGroupCount: c.featureGroupCount,
          batchGroupCount: c.batchGroupCount,
          dimensionNumbers: c.dn,
        });
      const outShape = onCpu(() => f(l.c, r.c)).shape;
      const t = onBothDevices(values(size(outShape), 3), outShape);
      const loss = (cot: Value) => (a: Value, b: Value) => np.sum(np.multiply(f(a, b), cot));
      const [cpuOut, cpuGrads] = onCpu(() => [f(l.c, r.c), grad(loss(t.c), { argnums: [0, 1] })(l.c, r.c) as Value[]] as const);
      const run = () => [f(l.g, r.g), ...(grad(loss(t.g), { argnums: [0, 1] })(l.g, r.g) as Value[])];
      // the tiled kernel off, so that every convolution here (value, dx, dw) is planar
      convKernel.tiled = false;
      const before = convKernel.planarRuns;
      const lanesBefore = convKernel.planarLaneRuns;
      const planar = run();
      // the value, the gradient's own forward pass, dx and dw
      expect(convKernel.planarRuns - before).toBe(4);
      if (c.lanes) expect(convKernel.planarLaneRuns - lanesBefore).toBeGreaterThanOrEqual(1);
      convKernel.planar = false;
      const general = run();
      expect(convKernel.planarRuns - before).toBe(4);
      const cpu = [cpuOut, ...cpuGrads];
      for (let i = 0; i < 3; i++) {
        const what = ["value", "grad lhs", "grad rhs"][i];
        expect(await maxRelErr(planar[i], cpu[i]), `planar ${what}`).toBeLessThan(1e-5);
        expect(await maxRelErr(general[i], cpu[i]), `general ${what}`).toBeLessThan(1e-5);
      }
    });
  }
});

/**
 * Windowed reductions and pooling on WebGPU give the CPU's answers: the same
 * data on both devices, the same function on each, values compared within
 * float32 rounding (a window sum adds in another order; the scatter of
 * max-pool's gradient sums overlapping windows in window-offset order). The
 * data are small integers, so windows hold ties, where both devices must
 * give the gradient to the same (first) element; shapes cover 1-D to 4-D
 * NHWC, strides, every padding kind, base and window dilation, jit, vmap,
 * and pooling fused into a jitted network step.
 *
 * Without an adapter the file is skipped with the reason printed, unless
 * JAXON_REQUIRE_WEBGPU is set.
 */
import { describe, expect, it } from "vitest";
import { grad, jit, lax, nn, np, vmap, type Array, type Value } from "../src/index.js";
import { onBothDevices, onCpu, probeWebGPU } from "./device-helpers.js";
import { rand } from "./helpers.js";

const hasGpu = await probeWebGPU("webgpu-windowed.test.ts");

const ints = (n: number, seed: number) => rand(n, seed, 0, 4).map((v) => Math.floor(v));
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

async function expectSame(g: Value, c: () => Value, tol = 1e-5) {
  const want = onCpu(() => (c() as Array).dataSync());
  const got = await (g as Array).data();
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) {
    if (!(Math.abs(got[i] - want[i]) <= tol * Math.max(1, Math.abs(want[i])) || (Number.isNaN(got[i]) && Number.isNaN(want[i])) || got[i] === want[i])) {
      expect.fail(`element ${i}: webgpu ${got[i]}, cpu ${want[i]}`);
    }
  }
}

const cases: [string, number[], (x: Value) => Value][] = [
  ["max 1-D strided SAME", [17], (x) => lax.reduceWindow(x, -Infinity, lax.max, [3], [2], "SAME")],
  ["min 2-D dilated", [9, 8], (x) => lax.reduceWindow(x, Infinity, lax.min, [2, 3], [2, 1], [[1, 0], [0, 2]], { baseDilation: [2, 1], windowDilation: [1, 2] })],
  ["sum 3-D", [4, 5, 6], (x) => lax.reduceWindow(x, 0, lax.add, [2, 2, 3], [1, 2, 2], "SAME_LOWER")],
  ["maxPool 2x2 NHWC", [2, 8, 8, 3], (x) => nn.maxPool(x, [2, 2], { strides: [2, 2] })],
  ["maxPool 3x3 SAME", [2, 7, 6, 2], (x) => nn.maxPool(x, [3, 3], { padding: "SAME" })],
  ["avgPool 3x3 excluding padding", [2, 7, 6, 2], (x) => nn.avgPool(x, [3, 3], { padding: "SAME", countIncludePad: false })],
  ["generic mul", [6, 5], (x) => lax.reduceWindow(x, 1, lax.mul, [2, 2], [1, 1])],
];

describe.skipIf(!hasGpu)("windowed reductions: WebGPU == CPU", () => {
  describe.each(cases)("%s", (_name, shape, f) => {
    const { c, g } = onBothDevices(ints(size(shape), 3), shape);
    const w = onBothDevices(rand(size(onCpu(() => f(c).shape as number[])), 5), onCpu(() => f(c).shape as number[]));
    const loss = (x: Value, wt: Value) => np.sum(np.multiply(f(x), wt));
    it("value, eager and jit", async () => {
      await expectSame(f(g), () => f(c));
      await expectSame(jit(f)(g), () => f(c));
    });
    it("gradient (ties go to the same element), eager and jit", async () => {
      await expectSame(grad(loss)(g, w.g), () => grad(loss)(c, w.c));
      await expectSame(jit(grad(loss))(g, w.g), () => grad(loss)(c, w.c));
    });
  });

  it("vmap of max-pool's gradient", async () => {
    const shape = [3, 6, 6, 2];
    const { c, g } = onBothDevices(ints(size(shape), 9), shape);
    const f = (x: Value) => grad((v: Value) => np.sum(np.sin(nn.maxPool(v, [2, 2], { strides: [1, 2] }))))(x);
    await expectSame(vmap(f)(g), () => vmap(f)(c));
  });

  it("a jitted step through a network of pooling layers", async () => {
    const net = nn.serial(nn.MaxPool([2, 2], { strides: [2, 2] }), nn.AvgPool([3, 3], { padding: "SAME" }), nn.GlobalAvgPool());
    const shape = [4, 8, 8, 3];
    const { c, g } = onBothDevices(rand(size(shape), 13), shape);
    const step = (x: Value) => grad((v: Value) => np.sum(np.square(net.apply([[], [], []], v) as Value)))(x);
    await expectSame(jit(step)(g), () => step(c));
  });
});

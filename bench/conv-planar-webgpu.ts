/**
 * The WebGPU convolution's direct kernels side by side (src/backend/webgpu/conv.ts):
 * the general n-d one-thread-per-output kernel against the planar one (1-d and
 * 2-d: nested window loops without division, 4 output features per thread,
 * lanes over the window for deep reductions), on LeNet-5's convolutions (W14)
 * and W11's, forward and both gradients (jit ∘ grad), device time per call from
 * timestamp queries, summed over the convolution dispatches, the variants
 * alternated call by call and the minimum of REPS kept. Each variant's answers
 * are checked against the other's. On lavapipe (a CPU) only the ratio means anything.
 *
 * Run: REPS=5 npx tsx bench/conv-planar-webgpu.ts
 */
import { devicePut, grad, init, jit, lax, np, type Value } from "../src/index.js";
import { convKernel } from "../src/backend/webgpu/conv.js";
import { deviceTimeByKernel, profileDeviceTime } from "../src/backend/webgpu/context.js";

const REPS = Number(process.env.REPS ?? 5);
const devices = await init();
if (!devices.includes("webgpu") || !profileDeviceTime(true, { perDispatch: true })) {
  console.log(`no WebGPU device with timestamp queries (init() gave ${devices.join(", ")})`);
  process.exit(0);
}
profileDeviceTime(false);
function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}
const CASES = [
  { name: "LeNet conv1 64x28x28x1 5x5 ->6 SAME", lhs: [64, 28, 28, 1], rhs: [5, 5, 1, 6], pad: "SAME" },
  { name: "LeNet conv2 64x14x14x6 5x5 ->16 VALID", lhs: [64, 14, 14, 6], rhs: [5, 5, 6, 16], pad: "VALID" },
  { name: "W11 32x32x32x16 3x3 ->32 SAME", lhs: [32, 32, 32, 16], rhs: [3, 3, 16, 32], pad: "SAME" },
];
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const dn = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] };
for (const c of CASES) {
  const x = devicePut(np.array(rand(size(c.lhs), 1)).reshape(c.lhs), "webgpu");
  const w = devicePut(np.array(rand(size(c.rhs), 2)).reshape(c.rhs), "webgpu");
  const conv = (a: Value, b: Value) => lax.convGeneralDilated(a, b, [1, 1], c.pad, dn);
  const outShape = [c.lhs[0], ...(c.pad === "SAME" ? c.lhs.slice(1, 3) : c.lhs.slice(1, 3).map((d, i) => d - c.rhs[i] + 1)), c.rhs[3]];
  const ct = devicePut(np.array(rand(size(outShape), 3)).reshape(outShape), "webgpu");
  const f = jit((a: Value, b: Value, t: Value) => [conv(a, b), ...(grad((a2: Value, b2: Value) => np.sum(np.multiply(conv(a2, b2), t)), { argnums: [0, 1] })(a, b) as Value[])]);
  const best = [Infinity, Infinity];
  const outs: Float32Array[][] = [[], []];
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of [0, 1]) {
      convKernel.planar = v === 1;
      const r = f(x, w, ct) as Value[];
      await Promise.all(r.map((o) => o.data())); // compiled and idle before timing
      profileDeviceTime(true, { perDispatch: true });
      const r2 = f(x, w, ct) as Value[];
      outs[v] = (await Promise.all(r2.map((o) => o.data()))) as Float32Array[];
      const ks = (await deviceTimeByKernel()).filter((k) => k.wgsl.includes("oPerG") || k.wgsl.includes("splits"));
      const ms = ks.reduce((a, k) => a + k.ms, 0);
      if (process.env.PROFILE && rep === REPS - 1) for (const k of ks) console.log(`  ${v ? "planar" : "general"} ${k.ms.toFixed(1).padStart(8)} ms ${k.wgsl.includes("As:") ? "tiled" : k.wgsl.includes("part[") ? "split-sum" : k.wgsl.includes("OG") ? "planar" : "general"}${k.wgsl.includes("red[") ? " (lanes)" : ""}`);
      profileDeviceTime(false);
      best[v] = Math.min(best[v], ms);
    }
  }
  convKernel.planar = true;
  let diff = 0;
  outs[0].forEach((a, j) => a.forEach((v, i) => (diff = Math.max(diff, Math.abs(v - outs[1][j][i]) / (1 + Math.abs(v))))));
  console.log(`${c.name.padEnd(40)} general ${best[0].toFixed(1).padStart(8)} ms | planar ${best[1].toFixed(1).padStart(8)} ms | general/planar ${(best[0] / best[1]).toFixed(2)}x | max rel diff ${diff.toExponential(1)}`);
}
process.exit(0);

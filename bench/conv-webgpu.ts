/**
 * The WebGPU convolution's two kernels side by side (src/backend/webgpu/conv.ts):
 * the implicit-GEMM tiles against the direct one-thread-per-output kernel, on
 * W11's convolution (3×3 SAME, 32×32×32×16 → 32, NHWC), forward and forward +
 * both gradients, jitted, readback included. Each call's answer is checked
 * against the other kernel's. On lavapipe (a CPU) only the ratio means
 * anything.
 *
 * Run: npx tsx bench/conv-webgpu.ts [--quick]
 */
import { devicePut, grad, init, jit, lax, np, type Value } from "../src/index.js";
import { convKernel } from "../src/backend/webgpu/conv.js";

const [N, H, W, C, O, K] = [32, 32, 32, 16, 32, 3];
const FLOPS = 2 * N * H * W * O * C * K * K;
const quick = process.argv.includes("--quick");

const devices = await init();
if (!devices.includes("webgpu")) {
  console.log(`no WebGPU device (init() gave ${devices.join(", ")})`);
  process.exit(0);
}
function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}
const x = devicePut(np.array(rand(N * H * W * C, 1)).reshape([N, H, W, C]), "webgpu");
const w = devicePut(np.array(rand(K * K * C * O, 2)).reshape([K, K, C, O]), "webgpu");
const ct = devicePut(np.array(rand(N * H * W * O, 3)).reshape([N, H, W, O]), "webgpu");
const dn = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] };
const conv = (a: Value, b: Value) => lax.convGeneralDilated(a, b, [1, 1], "SAME", dn);
const fwd = jit((a: Value, b: Value) => conv(a, b));
const both = jit(grad((a: Value, b: Value, c: Value) => np.sum(np.multiply(conv(a, b), c)), { argnums: [0, 1] }));

async function read(outs: Value | Value[]): Promise<Float32Array[]> {
  return Promise.all((Array.isArray(outs) ? outs : [outs]).map(async (o) => (await o.data()) as Float32Array));
}

async function time(call: () => Promise<Float32Array[]>): Promise<{ ms: number; out: Float32Array[] }> {
  const out = await call(); // compiles
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < (quick ? 2 : 5) && (samples.length < 2 || performance.now() - t0 < 20000)) {
    const s = performance.now();
    await call();
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], out };
}

function maxRel(a: Float32Array[], b: Float32Array[]): number {
  let err = 0;
  a.forEach((ai, j) => {
    let scale = 1;
    for (const v of b[j]) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < ai.length; i++) err = Math.max(err, Math.abs(ai[i] - b[j][i]) / scale);
  });
  return err;
}

for (const [label, flops, call] of [
  ["forward", FLOPS, () => read(fwd(x, w))],
  ["forward + dx, dw", 3 * FLOPS, () => read(both(x, w, ct) as unknown as Value[])],
] as const) {
  convKernel.tiled = false;
  const direct = await time(call);
  convKernel.tiled = true;
  const runs = convKernel.tiledRuns;
  const tiled = await time(call);
  const used = convKernel.tiledRuns > runs;
  const err = maxRel(tiled.out, direct.out);
  const rate = (ms: number) => `${ms.toFixed(1).padStart(8)} ms ${(flops / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s`;
  console.log(`${label.padEnd(18)} direct ${rate(direct.ms)} | tiled ${rate(tiled.ms)} | tiled/direct speed ${(direct.ms / tiled.ms).toFixed(2)}x${used ? "" : " (tiled kernel not used!)"} | max rel diff ${err.toExponential(1)}`);
}

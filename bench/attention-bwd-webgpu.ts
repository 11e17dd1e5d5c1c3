/**
 * The WebGPU fused attention backward (src/backend/webgpu/attention-bwd.ts):
 * its tiled dq and dk/dv kernels (workgroup-memory tiles, FlashAttention-2
 * style) against its plain ones (attention-bwd-plain.ts, one row a thread,
 * global memory), on the routine itself: q, k, v, dOut random, out and lse
 * from the forward routine, then attention_bwd(q, k, v, out, lse, dOut, dLse)
 * with dq, dk and dv read back in every timed call. B 8, 4 heads of 32 (no
 * grouping), float32, causal and not, for each sequence length T (= S). The
 * two versions' calls alternate (so that load from other processes slows
 * both alike); prints the best of REPS calls of each in ms, their ratio, and
 * the largest difference between their gradients (the two must agree).
 *
 *   XDG_RUNTIME_DIR=/tmp npx tsx bench/attention-bwd-webgpu.ts [T ...]     (default 128 256)
 *   REPS=7 PROFILE=1 npx tsx bench/attention-bwd-webgpu.ts 128     (PROFILE: also the device time of each kernel)
 */
import { init } from "../src/index.js";
import { read, release, upload, type GpuBuffer } from "../src/backend/webgpu/buffers.js";
import { deviceTimeByKernel, profileDeviceTime } from "../src/backend/webgpu/context.js";
import { attentionRoutines } from "../src/backend/webgpu/attention.js";
import { attentionBwdRoutines, webgpuAttentionBwdKernels } from "../src/backend/webgpu/attention-bwd.js";
import type { AttentionRoutineParams } from "../src/backend/device.js";

const B = 8, N = 4, H = 32;
const REPS = Number(process.env.REPS ?? 5);
const lengths = process.argv.slice(2).map(Number);
const Ts = lengths.length ? lengths : [128, 256];

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}

type Args = Parameters<typeof attentionBwdRoutines.attention_bwd>;

/** One call: the backward routine, then dq, dk, dv read back; returns their values. */
async function call(path: "plain" | "tiled", inputs: GpuBuffer[], p: AttentionRoutineParams): Promise<Float32Array[]> {
  webgpuAttentionBwdKernels.path = path;
  const outs = attentionBwdRoutines.attention_bwd(inputs, [] as unknown as Args[1], [] as unknown as Args[2], p);
  const sizes = [B * p.T * N * H, B * p.S * N * H, B * p.S * N * H];
  const got = await Promise.all(outs.map((b, i) => read(b, "float32", sizes[i])));
  outs.forEach(release);
  return got as Float32Array[];
}

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) throw new Error(`no WebGPU adapter: ${devices.reason}`);
console.log(`attention_bwd routine on WebGPU (${devices.reason ?? "adapter"}), B ${B}, ${N} heads of ${H}, float32; best of ${REPS} calls (ms)`);
console.log("T\tcausal\tplain\ttiled\tplain/tiled\tmax |diff|");
for (const T of Ts) {
  for (const causal of [true, false]) {
    const p: AttentionRoutineParams = { B, T, N, S: T, K: N, H, causal, hasBias: false, hasMask: false };
    const n = B * T * N * H;
    const [q, k, v, dOut] = [1, 2, 3, 4].map((s) => upload(rand(n, s).map((x) => x / Math.sqrt(H)), "float32"));
    const dLse = upload(new Float32Array(B * N * T), "float32");
    const [out, lse] = attentionRoutines.attention([q, k, v], [] as unknown as Args[1], [] as unknown as Args[2], p);
    const inputs = [q, k, v, out, lse, dOut, dLse];
    const routines = ["plain", "tiled"] as const;
    const first: Float32Array[][] = [];
    for (const r of routines) first.push(await call(r, inputs, p)); // compiles and warms up
    let diff = 0;
    first[0].forEach((g, i) => g.forEach((x, j) => (diff = Math.max(diff, Math.abs(x - first[1][i][j])))));
    const best = [Infinity, Infinity];
    for (let rep = 0; rep < REPS; rep++)
      for (let i = 0; i < routines.length; i++) {
        const t0 = performance.now();
        await call(routines[i], inputs, p);
        best[i] = Math.min(best[i], performance.now() - t0);
      }
    console.log(`${T}\t${causal}\t${best[0].toFixed(1)}\t${best[1].toFixed(1)}\t${(best[0] / best[1]).toFixed(2)}\t${diff.toExponential(2)}`);
    if (process.env.PROFILE && profileDeviceTime(true, { perDispatch: true })) {
      for (const r of routines) await call(r, inputs, p);
      for (const k of await deviceTimeByKernel()) console.log(`\t${k.wgsl.split("\n")[0]}: ${k.ms.toFixed(1)} ms`);
      profileDeviceTime(false);
    }
    inputs.forEach(release);
  }
}
process.exit(0);

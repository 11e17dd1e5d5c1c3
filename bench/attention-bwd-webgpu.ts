/**
 * The WebGPU fused attention backward (src/backend/webgpu/attention-bwd.ts)
 * against an earlier version of the same file (by default the plain-loop
 * kernels before workgroup tiles, commit e4cc686), on the routine itself:
 * q, k, v, dOut random, out and lse from the forward routine, then
 * attention_bwd(q, k, v, out, lse, dOut, dLse) with dq, dk and dv read back
 * in every timed call. B 8, 4 heads of 32 (no grouping), float32, causal and
 * not, for each sequence length T (= S). The two versions' calls alternate
 * (so that load from other processes slows both alike); prints the best of
 * REPS calls of each in ms, their ratio, and the largest difference between
 * their gradients (the two must agree).
 *
 * The baseline file is taken from git (`git show REV:src/backend/webgpu/attention-bwd.ts`)
 * and imported from a temporary file next to the current one, removed after.
 *
 *   XDG_RUNTIME_DIR=/tmp npx tsx bench/attention-bwd-webgpu.ts [T ...]     (default 128 256)
 *   BASELINE=<rev> REPS=7 npx tsx bench/attention-bwd-webgpu.ts 128
 *   PROFILE=1 ...     (also the device time of each kernel, where the adapter has timestamp queries)
 */
import { execFileSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { init } from "../src/index.js";
import { read, release, upload, type GpuBuffer } from "../src/backend/webgpu/buffers.js";
import { deviceTimeByKernel, profileDeviceTime } from "../src/backend/webgpu/context.js";
import { attentionRoutines } from "../src/backend/webgpu/attention.js";
import { attentionBwdRoutines } from "../src/backend/webgpu/attention-bwd.js";
import type { AttentionRoutineParams } from "../src/backend/device.js";

const B = 8, N = 4, H = 32;
const REPS = Number(process.env.REPS ?? 5);
const BASELINE = process.env.BASELINE ?? "e4cc686";
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

type Routine = typeof attentionBwdRoutines.attention_bwd;
type Args = Parameters<Routine>;

async function loadBaseline(): Promise<Routine> {
  const source = execFileSync("git", ["show", `${BASELINE}:src/backend/webgpu/attention-bwd.ts`], { encoding: "utf8" });
  const file = fileURLToPath(new URL(`../src/backend/webgpu/attention-bwd.baseline-${process.pid}.tmp.ts`, import.meta.url));
  writeFileSync(file, source);
  try {
    const mod = (await import(file)) as { attentionBwdRoutines: { attention_bwd: Routine } };
    return mod.attentionBwdRoutines.attention_bwd;
  } finally {
    rmSync(file);
  }
}

/** One call: the backward routine, then dq, dk, dv read back; returns their values. */
async function call(routine: Routine, inputs: GpuBuffer[], p: AttentionRoutineParams): Promise<Float32Array[]> {
  const outs = routine(inputs, [] as unknown as Args[1], [] as unknown as Args[2], p);
  const sizes = [B * p.T * N * H, B * p.S * N * H, B * p.S * N * H];
  const got = await Promise.all(outs.map((b, i) => read(b, "float32", sizes[i])));
  outs.forEach(release);
  return got as Float32Array[];
}

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) throw new Error(`no WebGPU adapter: ${devices.reason}`);
const baseline = await loadBaseline();
console.log(`attention_bwd routine on WebGPU (${devices.reason ?? "adapter"}), B ${B}, ${N} heads of ${H}, float32; best of ${REPS} calls (ms); baseline ${BASELINE}`);
console.log("T\tcausal\tbaseline\ttiled\tbaseline/tiled\tmax |diff|");
for (const T of Ts) {
  for (const causal of [true, false]) {
    const p: AttentionRoutineParams = { B, T, N, S: T, K: N, H, causal, hasBias: false, hasMask: false };
    const n = B * T * N * H;
    const [q, k, v, dOut] = [1, 2, 3, 4].map((s) => upload(rand(n, s).map((x) => x / Math.sqrt(H)), "float32"));
    const dLse = upload(new Float32Array(B * N * T), "float32");
    const [out, lse] = attentionRoutines.attention([q, k, v], [] as unknown as Args[1], [] as unknown as Args[2], p);
    const inputs = [q, k, v, out, lse, dOut, dLse];
    const routines = [baseline, attentionBwdRoutines.attention_bwd];
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

/**
 * Micro-benchmark of WebGPU's qr, eigh and svd: the one-thread-per-matrix
 * kernels of src/backend/webgpu/linalg.ts (old) against the
 * one-workgroup-per-matrix kernels of linalg-qr-workgroup.ts,
 * linalg-eigh-workgroup.ts and linalg-svd-workgroup.ts (new), for one float32
 * n×n matrix per call (qr: reduced Q and R; eigh: a symmetric one; svd: full
 * U, S, Vᵀ) and a batch of 8, timed from the call to the readback of R, of the
 * eigenvalues or of the singular values. Each case reports the best of its samples (after a warm-up
 * call: at least one, up to 5, within about 3 s) in milliseconds, the ratio
 * old/new, and the largest |old − new| of R (eigenvalues, singular values) relative to the largest.
 *
 * On lavapipe (a CPU implementation of Vulkan) the ratio says how much of
 * the work the workgroup kernel spreads, not what a GPU would do.
 *
 * Run: `XDG_RUNTIME_DIR=/tmp npx tsx bench/linalg-webgpu-micro.ts 32 64 128`
 * (KIND=qr, KIND=eigh or KIND=svd for one of them).
 */
import { devicePut, init, lax, np, type Value } from "../src/index.js";
import { gpuQrPaths } from "../src/backend/webgpu/linalg-qr-workgroup.js";
import { gpuEighPaths } from "../src/backend/webgpu/linalg-eigh-workgroup.js";
import { gpuSvdPaths } from "../src/backend/webgpu/linalg-svd-workgroup.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [32, 64, 128, 256];
const only = process.env.KIND; // "qr", "eigh" or "svd": just that one

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) {
  console.log(`no WebGPU adapter (${devices.reason}): nothing to measure`);
  process.exit(0);
}

/** batch row-major n×n matrices, symmetric ones when asked. */
function input(batch: number, n: number, seed: number, symmetric: boolean): Float32Array {
  const a = new Float32Array(batch * n * n);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  if (symmetric) for (let b = 0; b < batch; b++) for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[b * n * n + j * n + i] = a[b * n * n + i * n + j];
  return a;
}

type Kind = "qr" | "eigh" | "svd";
/** Each kind's size switch, read and set. */
const paths: Record<Kind, { get: () => number; set: (n: number) => void }> = {
  qr: { get: () => gpuQrPaths.workgroupMinN, set: (n) => (gpuQrPaths.workgroupMinN = n) },
  eigh: { get: () => gpuEighPaths.workgroupMinN, set: (n) => (gpuEighPaths.workgroupMinN = n) },
  svd: { get: () => gpuSvdPaths.workgroupMinK, set: (n) => (gpuSvdPaths.workgroupMinK = n) },
};
const DEFAULT_MIN = { qr: paths.qr.get(), eigh: paths.eigh.get(), svd: paths.svd.get() };
// qr: R; eigh: the eigenvalues; svd: the singular values (U and Vᵀ computed too)
const call: Record<Kind, (x: Value) => Value> = {
  qr: (x) => lax.linalg.qr(x)[1],
  eigh: (x) => lax.linalg.eigh(x)[1],
  svd: (x) => lax.linalg.svd(x)[1],
};

async function time(kind: Kind, x: Value, minN: number): Promise<{ ms: number; r: Float32Array }> {
  paths[kind].set(minN);
  const once = async () => (await call[kind](x).data()) as Float32Array;
  let r = await once(); // warm-up (and the pipeline's compilation)
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 && (samples.length === 0 || performance.now() - start < 3000)) {
    const t0 = performance.now();
    r = await once();
    samples.push(performance.now() - t0);
  }
  paths[kind].set(DEFAULT_MIN[kind]);
  // the best sample: on a shared machine the others measure the neighbours too
  return { ms: Math.min(...samples), r };
}

console.log(`device: ${devices.device}`);
console.log("case                 old ms     new ms   old/new   max|old−new|/max (R, eigenvalues, singular values)");
for (const kind of ["qr", "eigh", "svd"] as const) {
  if (only && only !== kind) continue;
  for (const batch of [1, 8]) {
    for (const n of SIZES) {
      const x = devicePut(np.array(input(batch, n, n + batch, kind === "eigh")).reshape(batch === 1 ? [n, n] : [batch, n, n]), "webgpu");
      const old = await time(kind, x, Infinity);
      const neu = await time(kind, x, 0);
      let diff = 0;
      let scale = 0;
      old.r.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(v - neu.r[i]));
        scale = Math.max(scale, Math.abs(v));
      });
      const name = `${kind} ${batch === 1 ? "" : `${batch}× `}${n}×${n}`;
      console.log(
        `${name.padEnd(19)} ${old.ms.toFixed(1).padStart(8)} ${neu.ms.toFixed(1).padStart(10)} ${(old.ms / neu.ms).toFixed(1).padStart(8)}×   ${(diff / scale).toExponential(1)}`,
      );
    }
  }
}

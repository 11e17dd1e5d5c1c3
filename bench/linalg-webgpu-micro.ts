/**
 * Micro-benchmark of WebGPU's qr: the one-thread-per-matrix kernel of
 * src/backend/webgpu/linalg.ts (old) against the one-workgroup-per-matrix
 * kernel of linalg-qr-workgroup.ts (new), for one float32 n×n matrix per
 * call (reduced Q and R) and a batch of 8, timed from the call to R's
 * readback. Each case reports the best of its samples (after a warm-up
 * call: at least one, up to 5, within about 3 s) in milliseconds, the ratio
 * old/new, and the largest |old − new| of R relative to its largest entry.
 *
 * On lavapipe (a CPU implementation of Vulkan) the ratio says how much of
 * the work the workgroup kernel spreads, not what a GPU would do.
 *
 * Run: `XDG_RUNTIME_DIR=/tmp npx tsx bench/linalg-webgpu-micro.ts 32 64 128 256`.
 */
import { devicePut, init, lax, np, type Value } from "../src/index.js";
import { gpuQrPaths } from "../src/backend/webgpu/linalg-qr-workgroup.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [32, 64, 128, 256];
const DEFAULT_MIN = gpuQrPaths.workgroupMinN;

const devices = await init({ allowSoftwareAdapter: true });
if (!devices.includes("webgpu")) {
  console.log(`no WebGPU adapter (${devices.reason}): nothing to measure`);
  process.exit(0);
}

function input(count: number, seed: number): Float32Array {
  const a = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

async function time(x: Value, minN: number): Promise<{ ms: number; r: Float32Array }> {
  gpuQrPaths.workgroupMinN = minN;
  const once = async () => (await lax.linalg.qr(x)[1].data()) as Float32Array;
  let r = await once(); // warm-up (and the pipeline's compilation)
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 && (samples.length === 0 || performance.now() - start < 3000)) {
    const t0 = performance.now();
    r = await once();
    samples.push(performance.now() - t0);
  }
  gpuQrPaths.workgroupMinN = DEFAULT_MIN;
  // the best sample: on a shared machine the others measure the neighbours too
  return { ms: Math.min(...samples), r };
}

console.log(`device: ${devices.device}`);
console.log("case            old ms     new ms   old/new   max|old−new|/max|R|");
for (const batch of [1, 8]) {
  for (const n of SIZES) {
    const x = devicePut(np.array(input(batch * n * n, n + batch)).reshape(batch === 1 ? [n, n] : [batch, n, n]), "webgpu");
    const old = await time(x, Infinity);
    const neu = await time(x, 0);
    let diff = 0;
    let scale = 0;
    old.r.forEach((v, i) => {
      diff = Math.max(diff, Math.abs(v - neu.r[i]));
      scale = Math.max(scale, Math.abs(v));
    });
    const name = `${batch === 1 ? "" : `${batch}× `}${n}×${n}`;
    console.log(
      `${name.padEnd(14)} ${old.ms.toFixed(1).padStart(8)} ${neu.ms.toFixed(1).padStart(10)} ${(old.ms / neu.ms).toFixed(1).padStart(8)}×   ${(diff / scale).toExponential(1)}`,
    );
  }
}

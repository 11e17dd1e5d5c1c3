/**
 * float32 matmul micro-benchmark on the CPU backend's `dot` routine: the
 * JavaScript kernel, the WebAssembly SIMD kernel on one thread, and on two
 * (the main thread and one worker). n×n · n×n for n = 256, 512, 1024; inputs
 * in the shared WebAssembly memory as the backend keeps them.
 *
 * The machine may be shared with other processes, so each case reports the
 * best and the median of its samples (GFLOP/s = 2n³ / time), and the process
 * CPU time per call (all threads): a two-thread run whose CPU time is about
 * twice its wall time got both cores.
 *
 * Run: `npx tsx bench/matmul-micro.ts [sizes…]`, e.g. `npx tsx bench/matmul-micro.ts 1024`.
 * With `node --experimental-wasm-relaxed-simd --import tsx bench/matmul-micro.ts`
 * on Node 20 (default on Node ≥ 22 and in browsers) the kernel uses fused multiply-add.
 */
import type { TypedArray } from "../src/dtype.js";
import type { BufferType } from "../src/backend/device.js";
import { alloc, release } from "../src/backend/cpu/memory.js";
import { cpuRoutines } from "../src/backend/cpu/routines.js";
import { gemmConfig, setWasmMatmulEnabled } from "../src/backend/cpu/matmul-wasm.js";
import { setThreads, startThreads, threadedJobCount } from "../src/backend/cpu/threads.js";

const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
const SIZES = sizes.length ? sizes : [256, 512, 1024];

function input(n: number, seed: number): Float32Array {
  const a = alloc("float32", n * n, false) as Float32Array;
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

function matmul(n: number, a: Float32Array, b: Float32Array): TypedArray {
  const t = (shape: number[]): BufferType => ({ shape, dtype: "float32" });
  const params = { batch: 1, m: n, n, k: n, lhsStrides: [0, n, 1], rhsStrides: [0, n, 1], lhsOffset: 0, rhsOffset: 0 };
  return cpuRoutines.dot([a, b], [t([n, n]), t([n, n])], [t([n, n])], params)[0];
}

interface Result {
  best: number;
  median: number;
  cpuPerWall: number;
  samples: number;
}

/** Runs for about `budgetMs` after one warm-up call (two for WebAssembly, so that V8 has tiered it up). */
function measure(n: number, a: Float32Array, b: Float32Array, budgetMs: number, warmups: number): Result {
  for (let i = 0; i < warmups; i++) release(matmul(n, a, b));
  const times: number[] = [];
  let cpu = 0;
  let wall = 0;
  const end = performance.now() + budgetMs;
  while (times.length < 3 || (performance.now() < end && times.length < 200)) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const out = matmul(n, a, b);
    const dt = performance.now() - t0;
    const dc = process.cpuUsage(c0);
    release(out);
    times.push(dt);
    wall += dt;
    cpu += (dc.user + dc.system) / 1000;
  }
  times.sort((x, y) => x - y);
  const gflops = (ms: number) => (2 * n ** 3) / (ms * 1e6);
  return { best: gflops(times[0]), median: gflops(times[times.length >> 1]), cpuPerWall: cpu / wall, samples: times.length };
}

async function main() {
  const cfg = gemmConfig();
  console.log(
    `float32 matmul, GFLOP/s (best / median of samples), CPU time / wall time; kernel ${cfg.mr}×${4 * cfg.nv} tile, ` +
      `KC ${cfg.kc}, MC ${cfg.mc}, ${cfg.fma ? "relaxed-SIMD fused multiply-add" : "f32x4 mul + add"}`,
  );
  const rows: string[][] = [["n", "JS kernel", "WASM 1 thread", "WASM 2 threads"]];
  for (const n of SIZES) {
    const a = input(n, 1);
    const b = input(n, 2);
    const cells = [String(n)];
    // JavaScript kernel (float64 accumulation)
    setWasmMatmulEnabled(false);
    const js = measure(n, a, b, n >= 1024 ? 4000 : 1500, 1);
    setWasmMatmulEnabled(true);
    setThreads(1);
    const w1 = measure(n, a, b, 2500, 2);
    setThreads(2);
    const started = await startThreads();
    const before = threadedJobCount();
    const w2 = measure(n, a, b, 2500, 2);
    const split = threadedJobCount() > before;
    for (const r of [js, w1, w2]) cells.push(`${r.best.toFixed(1)} / ${r.median.toFixed(1)} (cpu ${r.cpuPerWall.toFixed(2)}×)`);
    if (!started || !split) cells[3] += " [not split]";
    rows.push(cells);
    release(a);
    release(b);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const [i, r] of rows.entries()) {
    console.log("| " + r.map((c, j) => c.padEnd(widths[j])).join(" | ") + " |");
    if (i === 0) console.log("|" + widths.map((w) => "-".repeat(w + 2)).join("|") + "|");
  }
}

void main();

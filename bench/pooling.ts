/**
 * Pooling workload (issue #15): forward + gradient of max-pool 2×2 (stride 2)
 * and avg-pool 3×3 (stride 1), both VALID, on a 32×64×64×16 NHWC float32
 * batch: the gradient of sum(pool(x) · w) with respect to x, w a fixed
 * random cotangent, read back to the host every call.
 *
 * jaxon (jit(grad) of `nn.maxPool` / `nn.avgPool`: reduce_window_max's
 * select-and-scatter-add and the transpose of a window sum), TensorFlow.js
 * (`tf.grad` of `tf.maxPool` / `tf.avgPool`, cpu and wasm backends) and
 * jax-js (`jax.jit(jax.grad(...))` of `lax.reduceWindow` with a max / mean
 * window computation, NCHW since its windows are the trailing axes; wasm).
 * Every target's gradient is checked against jaxon's on the same data
 * (max abs difference) before it is timed. Ratios are what to read: the
 * machine is shared.
 *
 * Timing: one call to compile and check, 300 ms of warm-up, then the median
 * of the calls in 2 s (at least 5).
 *
 * Run: `npx tsx bench/pooling.ts [target substrings…]`, e.g. `npx tsx bench/pooling.ts jaxon tfjs/wasm`.
 */
import { createRequire } from "node:module";
import path from "node:path";
import type * as TF from "@tensorflow/tfjs-core";
import { shimNavigator } from "./libs/jaxjs.js";

const [N, H, W, C] = [32, 64, 64, 16];
const SIZE = N * H * W * C;

function data(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    a[i] = s / 2 ** 32 - 0.5;
  }
  return a;
}

/** NHWC → NCHW. */
function toNchw(a: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) out[((i * c + k) * h + y) * w + x] = a[((i * h + y) * w + x) * c + k];
  return out;
}

interface Pool {
  name: string;
  window: number;
  stride: number;
  kind: "max" | "avg";
}
const POOLS: Pool[] = [
  { name: "max-pool 2x2/2", window: 2, stride: 2, kind: "max" },
  { name: "avg-pool 3x3/1", window: 3, stride: 1, kind: "avg" },
];
const outSide = (p: Pool) => Math.floor((H - p.window) / p.stride) + 1;

/** A target's gradient function for one pool: x (NHWC data) → the gradient, NHWC, on the host. */
type Make = (p: Pool, x: Float32Array, w: Float32Array) => Promise<{ call: () => Promise<Float32Array>; dispose: () => void }>;

async function jaxonTarget(): Promise<Make> {
  const J = await import("../src/index.js");
  await J.init();
  J.defaultDevice("cpu");
  return async (p, xs, ws) => {
    const o = outSide(p);
    const x = J.devicePut(J.np.array(xs, { dtype: "float32" }).reshape([N, H, W, C]), "cpu");
    const w = J.devicePut(J.np.array(ws.subarray(0, N * o * o * C), { dtype: "float32" }).reshape([N, o, o, C]), "cpu");
    const pool = (v: InstanceType<typeof J.Array>) =>
      p.kind === "max" ? J.nn.maxPool(v, [p.window, p.window], { strides: [p.stride, p.stride] }) : J.nn.avgPool(v, [p.window, p.window], { strides: [p.stride, p.stride] });
    const g = J.jit(J.grad((v: InstanceType<typeof J.Array>, wt: InstanceType<typeof J.Array>) => J.np.sum(J.np.multiply(pool(v), wt))));
    return {
      async call() {
        const y = g(x, w);
        const d = (await y.data()) as Float32Array;
        y.dispose();
        return d;
      },
      dispose: () => (x.dispose(), w.dispose()),
    };
  };
}

async function tfjsTarget(backend: "cpu" | "wasm"): Promise<Make> {
  const tf = (await import("@tensorflow/tfjs-core")) as typeof TF;
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  await import("@tensorflow/tfjs-backend-cpu");
  tf.enableProdMode();
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  wasm.setWasmPaths(path.dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs: no ${backend} backend`);
  await tf.ready();
  return async (p, xs, ws) => {
    const o = outSide(p);
    const x = tf.tensor4d(xs, [N, H, W, C], "float32");
    const w = tf.tensor4d(ws.subarray(0, N * o * o * C), [N, o, o, C], "float32");
    const pool = (v: TF.Tensor4D) => (p.kind === "max" ? tf.maxPool(v, p.window, p.stride, "valid") : tf.avgPool(v, p.window, p.stride, "valid"));
    const g = tf.grad((v: TF.Tensor) => tf.sum(tf.mul(pool(v as TF.Tensor4D), w)));
    return {
      async call() {
        const y = g(x);
        const d = (await y.data()) as Float32Array;
        y.dispose();
        return d;
      },
      dispose: () => (x.dispose(), w.dispose()),
    };
  };
}

async function jaxjsTarget(backend: "wasm"): Promise<Make> {
  shimNavigator();
  const jax = await import("@jax-js/jax");
  const devices = await jax.init(backend);
  if (!devices.includes(backend)) throw new Error(`jax-js: no ${backend} device`);
  jax.defaultDevice(backend);
  const np = jax.numpy;
  type JA = ReturnType<typeof np.array>;
  return async (p, xs, ws) => {
    const o = outSide(p);
    const x = np.array(toNchw(xs, [N, H, W, C])).reshape([N, C, H, W]);
    const w = np.array(toNchw(ws.subarray(0, N * o * o * C), [N, o, o, C])).reshape([N, C, o, o]);
    const reduce = p.kind === "max" ? (win: JA) => np.max(win) : (win: JA) => np.mean(win);
    const loss = (v: JA, wt: JA) => np.sum(np.multiply(jax.lax.reduceWindow(v, reduce, [p.window, p.window], [p.stride, p.stride]), wt));
    const g = jax.jit(jax.grad(loss));
    return {
      async call() {
        const y = g(x.ref, w.ref) as JA;
        return toNhwcFromNchw((await y.data()) as Float32Array);
      },
      dispose: () => (x.dispose(), w.dispose(), g.dispose()),
    };
  };
}

function toNhwcFromNchw(a: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < N; i++)
    for (let k = 0; k < C; k++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) out[((i * H + y) * W + x) * C + k] = a[((i * C + k) * H + y) * W + x];
  return out;
}

const TARGETS: [string, () => Promise<Make>][] = [
  ["jaxon/cpu", jaxonTarget],
  ["tfjs/cpu", () => tfjsTarget("cpu")],
  ["tfjs/wasm", () => tfjsTarget("wasm")],
  ["jax-js/wasm", () => jaxjsTarget("wasm")],
];

async function time(call: () => Promise<Float32Array>): Promise<number> {
  const warm = performance.now();
  while (performance.now() - warm < 300) await call();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < 5 || performance.now() - start < 2000) {
    const t0 = performance.now();
    await call();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

async function main() {
  const filters = process.argv.slice(2);
  const xs = data(SIZE, 1);
  const ws = data(SIZE, 2);
  const reference = new Map<string, Float32Array>();
  const results: { target: string; pool: string; ms: number | null; note: string }[] = [];
  for (const [target, make] of TARGETS) {
    if (filters.length && !filters.some((f) => target.includes(f)) && target !== "jaxon/cpu") continue;
    let build: Make;
    try {
      build = await make();
    } catch (e) {
      for (const p of POOLS) results.push({ target, pool: p.name, ms: null, note: `FAILED to start: ${(e as Error).message.slice(0, 80)}` });
      continue;
    }
    for (const p of POOLS) {
      try {
        const c = await build(p, xs, ws);
        const g = await c.call();
        const ref = reference.get(p.name);
        let err = 0;
        if (ref) for (let i = 0; i < g.length; i++) err = Math.max(err, Math.abs(g[i] - ref[i]));
        else reference.set(p.name, g);
        if (err > 1e-4) {
          results.push({ target, pool: p.name, ms: null, note: `WRONG: max |grad - jaxon's| = ${err.toExponential(2)}` });
        } else {
          const ms = await time(c.call);
          results.push({ target, pool: p.name, ms, note: ref ? `max |grad - jaxon's| ${err.toExponential(1)}` : "reference" });
        }
        c.dispose();
      } catch (e) {
        results.push({ target, pool: p.name, ms: null, note: `FAILED: ${(e as Error).message.slice(0, 100)}` });
      }
    }
  }
  console.log(`pooling forward+grad, ${N}x${H}x${W}x${C} NHWC float32, VALID (ms/call median; ratio = target time / jaxon's)`);
  for (const p of POOLS) {
    const base = results.find((r) => r.target === "jaxon/cpu" && r.pool === p.name)?.ms ?? null;
    for (const r of results.filter((r) => r.pool === p.name)) {
      const ratio = r.ms !== null && base !== null ? `${(r.ms / base).toFixed(2)}x` : "—";
      console.log(`  ${p.name.padEnd(16)} ${r.target.padEnd(12)} ${r.ms === null ? "—".padStart(9) : r.ms.toFixed(1).padStart(7) + "ms"}  ${ratio.padStart(7)}  ${r.note}`);
    }
  }
  process.exit(0);
}

await main();

/**
 * The image-normalise path on small integers, CPU backend:
 * `jit(x => (x.astype(float32) - 0.1307) / 0.3081)` on a uint8 [64,28,28,1]
 * batch and a uint8 4096×4096 array. Each repetition times one call with the
 * WebAssembly kernels on and one with them off (the JavaScript path: what a
 * uint8 input took before narrow loads), interleaved so that a machine shared
 * with other work slows both alike; medians and their ratio are printed.
 *
 * The 4096² case runs twice: with the CPU pool's default floor, where the
 * 64 MiB output lies past the pool's target and is a fresh TypedArray on
 * every call (first-touch page faults dominate: about 1 s per fresh 64 MiB
 * on a loaded 2-core machine, whichever path computes it), and with the floor
 * raised to 512 MiB so that outputs come from the pool and the kernel's own
 * time shows.
 *
 * The uint8-output cases time kernels that store small integers narrow:
 * image augmentation `clip(x.astype(float32) · 1.2 + 10, 0, 255).astype(uint8)`
 * (narrow loads and narrow stores) and wrapping uint8 arithmetic `x · 3 + x`,
 * with the WebAssembly kernels on and off (off: the JavaScript path, what a
 * uint8 output took before narrow stores).
 *
 * Run: `npx tsx bench/small-int-normalise.ts [reps-scale]`
 */
import { jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import { setWasmEnabled, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";
import { setPoolFloor } from "../src/backend/cpu/memory.js";

type Fn = (x: JArray) => JArray;
const normalise = jit((x: JArray) => x.astype("float32").sub(0.1307).div(0.3081)) as Fn;
const augment = jit((x: JArray) => np.clip(x.astype("float32").mul(1.2).add(10), 0, 255).astype("uint8")) as Fn;
const wrapArith = jit((x: JArray) => x.mul(3).add(x)) as Fn;
const scale = Number(process.argv[2] ?? 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeOnce(f: Fn, x: JArray, wasm: boolean): number {
  setWasmEnabled(wasm);
  const t0 = performance.now();
  const y = f(x);
  const t = performance.now() - t0;
  y.dispose();
  return t;
}

const cases: [string, Fn, number[], number, number?][] = [
  ["normalise uint8 [64,28,28,1]", normalise, [64, 28, 28, 1], 200],
  ["normalise uint8 [4096,4096], default pool floor", normalise, [4096, 4096], 5],
  ["normalise uint8 [4096,4096], pool floor 512 MiB", normalise, [4096, 4096], 15, 512 * 1024 * 1024],
  ["augment → uint8 [64,28,28,1]", augment, [64, 28, 28, 1], 200],
  ["augment → uint8 [4096,4096], pool floor 512 MiB", augment, [4096, 4096], 15, 512 * 1024 * 1024],
  ["uint8 x·3 + x [64,28,28,1]", wrapArith, [64, 28, 28, 1], 200],
  ["uint8 x·3 + x [4096,4096], pool floor 512 MiB", wrapArith, [4096, 4096], 15, 512 * 1024 * 1024],
];
for (const [name, f, shape, reps, floor] of cases) {
  const prevFloor = floor === undefined ? undefined : setPoolFloor(floor);
  const n = shape.reduce((a, b) => a * b, 1);
  const host = new Uint8Array(n);
  for (let i = 0; i < n; i++) host[i] = (i * 2654435761) >>> 24;
  const x = np.array(host, { dtype: "uint8" }).reshape(shape) as JArray;
  for (let i = 0; i < 2; i++) {
    timeOnce(f, x, true);
    timeOnce(f, x, false);
  }
  const on: number[] = [];
  const off: number[] = [];
  const launches = wasmLaunchCount();
  for (let i = 0; i < Math.max(3, Math.round(reps * scale)); i++) {
    on.push(timeOnce(f, x, true));
    off.push(timeOnce(f, x, false));
  }
  const wasmRan = wasmLaunchCount() > launches;
  const [a, b] = [median(on), median(off)];
  if (prevFloor !== undefined) setPoolFloor(prevFloor);
  console.log(`${name}: wasm ${a.toFixed(3)} ms, js ${b.toFixed(3)} ms (js/wasm ${(b / a).toFixed(2)}×, ${on.length} calls each; wasm kernel ran: ${wasmRan})`);
}

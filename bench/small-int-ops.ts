/**
 * Small-integer ops beyond wrapping arithmetic, CPU backend, with the
 * WebAssembly kernels on and off (off: the JavaScript path, what these ops
 * took before integer lanes): sum of a uint8 array (JAX's uint32 result),
 * max over rows, an int16 sum over axis 0 (the column plan), int8 comparisons feeding `where`, int16 division and
 * remainder, uint8 shifts by a varying count (per-lane) and by a constant
 * (one SIMD shift), casts int8 → int32 → uint16, abs and sign. Each
 * repetition times one call on and one off, interleaved so that a machine
 * shared with other work slows both alike; medians and their ratio are
 * printed, with whether a WebAssembly kernel ran.
 *
 * Run: `npx tsx bench/small-int-ops.ts [reps-scale]`
 */
import { jit, lax, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import { setWasmEnabled, wasmLaunchCount } from "../src/backend/cpu/wasm/index.js";

type Fn = (x: JArray, y: JArray) => JArray;
const scale = Number(process.argv[2] ?? 1);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timeOnce(f: Fn, x: JArray, y: JArray, wasm: boolean): number {
  setWasmEnabled(wasm);
  const t0 = performance.now();
  const r = f(x, y);
  r.dataSync();
  const t = performance.now() - t0;
  r.dispose();
  return t;
}

const N = 1 << 20;
const cases: [string, string, Fn][] = [
  ["sum uint8 → uint32 [1M]", "uint8", jit((x: JArray) => np.sum(x)) as Fn],
  ["max over rows uint8 [1024,1024]", "uint8", jit((x: JArray) => np.max(x.reshape([1024, 1024]), 1)) as Fn],
  ["sum over columns (axis 0) int16 → int32 [1024,1024]", "int16", jit((x: JArray) => np.sum(x.reshape([1024, 1024]), 0)) as Fn],
  ["where(x < y, x, y) int8 [1M]", "int8", jit((x: JArray, y: JArray) => np.where(x.lt(y), x, y)) as Fn],
  ["div + rem int16 [1M]", "int16", jit((x: JArray, y: JArray) => lax.add(lax.div(x, y), lax.rem(x, y))) as Fn],
  ["shift_left by y uint8 [1M]", "uint8", jit((x: JArray, y: JArray) => lax.shiftLeft(x, y)) as Fn],
  ["shift_right_logical by 3 uint8 [1M]", "uint8", jit((x: JArray) => lax.shiftRightLogical(x, np.array(3, { dtype: "uint8" }))) as Fn],
  ["int8 → int32 → uint16 cast [1M]", "int8", jit((x: JArray) => x.astype("int32").mul(7).astype("uint16")) as Fn],
  ["abs(x) + sign(y) int16 [1M]", "int16", jit((x: JArray, y: JArray) => np.abs(x).add(np.sign(y))) as Fn],
];
for (const [name, d, f] of cases) {
  const hx = new Int32Array(N);
  const hy = new Int32Array(N);
  for (let i = 0; i < N; i++) {
    hx[i] = (i * 2654435761) >> 16;
    hy[i] = ((i * 40503) >> 5) % 11;
  }
  const x = np.array(hx).astype(d as "uint8") as JArray;
  const y = np.array(hy).astype(d as "uint8") as JArray;
  for (let i = 0; i < 2; i++) {
    timeOnce(f, x, y, true);
    timeOnce(f, x, y, false);
  }
  const on: number[] = [];
  const off: number[] = [];
  const launches = wasmLaunchCount();
  for (let i = 0; i < Math.max(3, Math.round(20 * scale)); i++) {
    on.push(timeOnce(f, x, y, true));
    off.push(timeOnce(f, x, y, false));
  }
  const wasmRan = wasmLaunchCount() > launches;
  const [a, b] = [median(on), median(off)];
  console.log(`${name}: wasm ${a.toFixed(3)} ms, js ${b.toFixed(3)} ms (js/wasm ${(b / a).toFixed(2)}×, ${on.length} calls each; wasm kernel ran: ${wasmRan})`);
}

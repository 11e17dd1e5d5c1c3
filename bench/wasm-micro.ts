/**
 * CPU kernel micro-benchmark: the JavaScript path vs the WebAssembly path on
 * 1M float32 elements, for W1 `exp(sin(x)*2+1)` (jitted: one fused kernel)
 * and a full sum. Medians of repeated runs, after warm-up (so that V8 has
 * tiered the code up). Run: `npx tsx bench/wasm-micro.ts`.
 */
import { jit, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/array.js";
import type { Value } from "../src/trace/core.js";
import { setWasmEnabled } from "../src/backend/cpu/wasm/index.js";

const N = 1 << 20;
const data = new Float32Array(N);
for (let i = 0; i < N; i++) data[i] = Math.sin(i * 0.001) * 3;

function median(f: () => void, reps = 30): number {
  for (let i = 0; i < 5; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    f();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[ts.length >> 1];
}

const x = np.array(data);
const w1Fn = (x: Value) => np.exp(np.sin(x).mul(2).add(1));
const w1 = jit(w1Fn);
const sum = jit((x: Value) => np.sum(x));
const done = (y: unknown) => (Array.isArray(y) ? y : [y]).forEach((a) => (a as JArray).dispose());
const m = x.reshape([1024, 1024]);
const b = np.array(new Float32Array(1024).map((_, i) => i / 1024 - 0.5));
const layer = jit((m: Value, b: Value) => np.tanh(m.mul(0.5).add(b)));
const rowSums = jit((m: Value) => np.sum(np.exp(m), 1));
const colSums = jit((m: Value) => np.sum(m, 0));

const rows: [string, number, number][] = [];
for (const [name, f] of [
  ["W1 exp(sin(x)*2+1), jit", () => done(w1(x))],
  ["W1 exp(sin(x)*2+1), eager", () => done(w1Fn(x))],
  ["sum of 1M, jit", () => done(sum(x))],
  ["tanh(m*0.5 + b), b broadcast", () => done(layer(m, b))],
  ["sum(exp(m), 1): 1024 row sums", () => done(rowSums(m))],
  ["sum(m, 0): column sums (JS path)", () => done(colSums(m))],
] as const) {
  setWasmEnabled(false);
  const js = median(f);
  setWasmEnabled(true);
  const wasm = median(f);
  rows.push([name, js, wasm]);
}
console.log("workload".padEnd(32), "JS path".padStart(10), "WASM".padStart(10), "speed-up".padStart(10));
for (const [name, js, wasm] of rows) {
  console.log(name.padEnd(32), `${js.toFixed(2)} ms`.padStart(10), `${wasm.toFixed(2)} ms`.padStart(10), `${(js / wasm).toFixed(1)}x`.padStart(10));
}

/**
 * Small-integer ops beyond wrapping arithmetic, CPU backend, with the
 * WebAssembly kernels on and off (off: the JavaScript path, what these ops
 * took before integer lanes): sum of a uint8 array (JAX's uint32 result),
 * max over rows, an int16 sum over axis 0 (the column plan), int8 comparisons feeding `where`, int16 division and
 * remainder, uint8 shifts by a varying count (per-lane) and by a constant
 * (one SIMD shift), casts int8 → int32 → uint16, abs and sign; and the
 * ops of test/int-ops-wasm.test.ts: int32/uint32 division, integer pow and
 * integer_pow, population_count/clz, a float32 bitcast, argmax/argmin over
 * rows and columns. Each
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
  // int-ops-wasm: 32-bit division through float64 lanes, pow, bit counts, bitcasts, argmax/argmin
  ["div + rem int32 [1M]", "int32", jit((x: JArray, y: JArray) => lax.add(lax.div(x, y), lax.rem(x, y))) as Fn],
  ["div uint32 [1M]", "uint32", jit((x: JArray, y: JArray) => lax.div(x, y)) as Fn],
  ["power(x, y) int32, y in 0…10 [1M]", "int32", jit((x: JArray, y: JArray) => np.power(x, y)) as Fn],
  ["integer_pow(x, 3) int32 [1M]", "int32", jit((x: JArray) => lax.integerPow(x, 3)) as Fn],
  ["population_count + clz uint32 [1M]", "uint32", jit((x: JArray) => lax.add(lax.populationCount(x), lax.clz(x))) as Fn],
  ["bitcast float32 → int32, ^ y [1M]", "float32", jit((x: JArray, y: JArray) => lax.bitwiseXor(lax.bitcastConvertType(x, "int32"), y.astype("int32"))) as Fn],
  ["argmax over rows float32 [1024,1024]", "float32", jit((x: JArray) => np.argmax(x.reshape([1024, 1024]), 1)) as Fn],
  ["argmin over columns (axis 0) float32 [1024,1024]", "float32", jit((x: JArray) => np.argmin(x.reshape([1024, 1024]), 0)) as Fn],
  ["argmax over rows int8 [1024,1024]", "int8", jit((x: JArray) => np.argmax(x.reshape([1024, 1024]), 1)) as Fn],
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

// The same kinds of kernels called directly (this thread only, no dispatch): the JavaScript kernel
// (codegen.ts) and its WebAssembly form, alternating, on 1M elements of pooled memory.
{
  const { binary, load, unary } = await import("../src/backend/kernel.js");
  const { compileKernel } = await import("../src/backend/cpu/codegen.js");
  const { alloc } = await import("../src/backend/cpu/memory.js");
  const { runWasmKernel } = await import("../src/backend/cpu/wasm/index.js");
  type K = import("../src/backend/kernel.js").Kernel;
  setWasmEnabled(true);
  const v = { strides: [1], offset: 0 };
  const two = (d: "int32" | "uint32", op: "div" | "rem" | "pow"): K => ({ loopShape: [N], inputs: [{ dtype: d, view: v }, { dtype: d, view: v }], expr: binary(op, load(0, d), load(1, d)), dtype: d });
  const kernels: [string, K][] = [
    ["div int32", two("int32", "div")],
    ["rem int32", two("int32", "rem")],
    ["div uint32", two("uint32", "div")],
    ["pow int32 (y in 1…10)", two("int32", "pow")],
    ["integer_pow 3 int32", { loopShape: [N], inputs: [{ dtype: "int32", view: v }], expr: { kind: "ipow", arg: load(0, "int32"), exponent: 3, dtype: "int32" }, dtype: "int32" }],
    ["population_count uint32", { loopShape: [N], inputs: [{ dtype: "uint32", view: v }], expr: unary("population_count", load(0, "uint32")), dtype: "uint32" }],
    ["clz int32", { loopShape: [N], inputs: [{ dtype: "int32", view: v }], expr: unary("clz", load(0, "int32")), dtype: "int32" }],
    ["bitcast float32 → int32", { loopShape: [N], inputs: [{ dtype: "float32", view: v }], expr: unary("bitcast", load(0, "float32"), "int32"), dtype: "int32" }],
  ];
  for (const [name, k] of kernels) {
    const ins = k.inputs.map((i, j) => {
      const a = alloc(i.dtype, N);
      for (let t = 0; t < N; t++) a[t] = j === 0 ? (t * 2654435761) >> 8 : (((t * 40503) >> 5) % 10) + 1;
      return a;
    });
    const [o1, o2] = [alloc(k.dtype, N), alloc(k.dtype, N)];
    const js = compileKernel(k);
    const [tj, tw]: number[][] = [[], []];
    for (let r = 0; r < Math.max(5, Math.round(20 * scale)); r++) {
      let t = performance.now();
      js(o1, ...ins);
      tj.push(performance.now() - t);
      t = performance.now();
      if (!runWasmKernel(k, o2, ins)) throw new Error(`${name}: no WebAssembly form`);
      tw.push(performance.now() - t);
    }
    const [a, b] = [median(tw), median(tj)];
    console.log(`kernel ${name} [1M]: wasm ${a.toFixed(3)} ms, js ${b.toFixed(3)} ms (js/wasm ${(b / a).toFixed(2)}×)`);
  }
}

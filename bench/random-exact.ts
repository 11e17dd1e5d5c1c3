/**
 * The exact (XLA's own log/log1p/erfinv, bit for bit with JAX) against the fast (lax's log1p, each
 * Horner step a multiply and an add) float32 normal sampler, jitted, on 2^20 and 2^16 samples:
 * alternating A/B in one process, medians of wall time and of the process's CPU time (steadier on
 * a shared machine), the ratio exact/fast. Also the kernels each compiles (JS and Wasm).
 * Run: `npx tsx bench/random-exact.ts`.
 */
import { compileStats, jit, random } from "../src/index.js";
import type { Array as JArray } from "../src/array.js";
import type { Value } from "../src/trace/core.js";

const key = random.key(0);
for (const n of [1 << 20, 1 << 16]) {
  const fast = jit((k: Value) => random.normal(k, [n], { exact: false }));
  const exact = jit((k: Value) => random.normal(k, [n], { exact: true }));
  const cpu: Record<string, number[]> = { fast: [], exact: [] };
  const run = (f: (k: Value) => Value, name?: "fast" | "exact") => {
    const t = performance.now();
    const c = process.cpuUsage();
    const y = f(key) as JArray;
    y.dataSync();
    const dc = process.cpuUsage(c);
    const dt = performance.now() - t;
    if (name) cpu[name].push((dc.user + dc.system) / 1000);
    y.dispose();
    return dt;
  };
  for (const [name, f] of [["fast", fast], ["exact", exact]] as const) {
    const before = compileStats();
    run(f);
    const after = compileStats();
    console.log(`${name} n=${n}: js kernels +${after.jsKernels - before.jsKernels}, wasm kernels +${after.wasmKernels - before.wasmKernels}`);
  }
  const reps = n > 1 << 18 ? 15 : 60;
  const tf: number[] = [];
  const te: number[] = [];
  for (let i = 0; i < reps; i++) {
    tf.push(run(fast, "fast"));
    te.push(run(exact, "exact"));
  }
  const med = (a: number[]) => a.sort((x, y) => x - y)[a.length >> 1];
  console.log(`n=${n}: wall fast ${med(tf).toFixed(2)} ms, exact ${med(te).toFixed(2)} ms, exact/fast ${(med(te) / med(tf)).toFixed(2)}`);
  const [cf, ce] = [med(cpu.fast), med(cpu.exact)];
  console.log(`n=${n}: cpu  fast ${cf.toFixed(2)} ms, exact ${ce.toFixed(2)} ms, exact/fast ${(ce / cf).toFixed(2)}`);
}

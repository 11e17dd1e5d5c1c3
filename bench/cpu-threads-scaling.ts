/**
 * Thread scaling of the CPU backend (issue 17, item 4): large elementwise,
 * reduction and matmul kernels on 1 thread and on the pool, alternating in
 * one process; wall time per call (threads need wall time), first quartile
 * of 15 rounds. `npx tsx bench/cpu-threads-scaling.ts`; JAXON_CPU_THREADS
 * sets the pool's size (default: the machine's cores).
 */
import * as J from "../src/index.js";
import { setThreads, startThreads, threadCount } from "../src/backend/cpu/threads.js";

const { np, jit } = J;
const n = 1 << 22;
const x = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3), { dtype: "float32" });
const a = np.array(Float32Array.from({ length: 1024 * 1024 }, (_, i) => Math.cos(i)), { dtype: "float32" }).reshape([1024, 1024]);
const cases: [string, () => J.Value][] = [
  ["elementwise exp(sin x)·2 + x, 4M", (() => { const f = jit((v: J.Value) => np.exp(np.sin(v)).mul(2).add(v)); return () => f(x) as J.Value; })()],
  ["elementwise x·2 + 1 (memory bound), 4M", (() => { const f = jit((v: J.Value) => v.mul(2).add(1)); return () => f(x) as J.Value; })()],
  ["reduction Σ exp(x), 4M", (() => { const f = jit((v: J.Value) => np.exp(v).sum()); return () => f(x) as J.Value; })()],
  ["reduction rows Σ_j x², 2048×2048", (() => { const f = jit((v: J.Value) => v.reshape([2048, 2048]).square().sum(1)); return () => f(x) as J.Value; })()],
  ["matmul 1024²", (() => { const f = jit((p: J.Value) => p.matmul(p)); return () => f(a) as J.Value; })()],
];
const pool = threadCount();
await startThreads();
function time(f: () => J.Value, reps: number) {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) (f() as J.Array).dispose();
  return (performance.now() - t0) / reps;
}
// 1, 2, 4, … up to the pool's size (and the pool's size itself)
const counts = [1];
for (let t = 2; t < pool; t *= 2) counts.push(t);
if (pool > 1) counts.push(pool);
console.log(`threads: ${counts.join(", ")} (the pool's size here: ${pool}); ms/call, first quartile of 15 rounds, speed-up over 1 thread`);
for (const [name, f] of cases) {
  f();
  const times = counts.map(() => [] as number[]);
  for (let r = 0; r < 15; r++) {
    for (let c = 0; c < counts.length; c++) {
      setThreads(counts[c]);
      await startThreads();
      times[c].push(time(f, 3));
    }
  }
  const q = times.map((xs) => [...xs].sort((p, s) => p - s)[3]);
  console.log(`  ${name.padEnd(42)} ` + counts.map((t, c) => `${t}: ${q[c].toFixed(2).padStart(7)} ms (${(q[0] / q[c]).toFixed(2)}x)`).join("   "));
}
setThreads(pool);

/**
 * The break-even of splitting a CPU (Wasm) elementwise kernel across the
 * worker pool: the same jitted kernel with the split forced (threshold 1) and
 * with it off, alternating in one process, for 2^14…2^20 float32 elements
 * (rows of 64, as W6's per-example gradients) and bodies of growing cost
 * (`exprCost` units: a binary op 1, exp/sin about 10–20). Wall time per call
 * (splitting needs wall time), output disposed each call; first quartile of
 * the rounds. `npx tsx bench/split-threshold.ts [rounds] [log2 sizes, comma-separated]`.
 */
import * as J from "../src/index.js";
import { setWasmThreadMinWork } from "../src/backend/cpu/wasm/index.js";
import { startThreads, threadCount } from "../src/backend/cpu/threads.js";

const { np, jit } = J;
const rounds = Number(process.argv[2] ?? 9);
const bodies: [string, (v: J.Value) => J.Value][] = [
  ["x·2 + 1", (v) => v.mul(2).add(1)],
  ["x·r (r: a row sum, W6)", (v) => v.mul(v.sum(1, { keepdims: true }))],
  ["x²·0.5 + x·3 − 1", (v) => v.square().mul(0.5).add(v.mul(3)).sub(1)],
  ["exp(x)", (v) => np.exp(v)],
  ["exp(sin x)·2 + x", (v) => np.exp(np.sin(v)).mul(2).add(v)],
];
const prev = setWasmThreadMinWork(1);
await startThreads();
console.log(`pool: ${threadCount()} threads; µs per call, split off / forced (ratio < 1: the split pays)`);
const sizes = (process.argv[3] ?? "14,16,17,18,19,20,22").split(",").map(Number);
console.log("body".padEnd(24) + sizes.map((s) => `2^${s}`.padStart(22)).join(""));
for (const [name, body] of bodies) {
  let line = name.padEnd(24);
  for (const s of sizes) {
    const n = 1 << s;
    const x = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i)), { dtype: "float32" }).reshape([n / 64, 64]);
    const f = jit(body);
    const reps = Math.max(3, Math.ceil(2e6 / n));
    const time = () => {
      const t0 = performance.now();
      for (let i = 0; i < reps; i++) (f(x) as J.Array).dispose();
      return ((performance.now() - t0) / reps) * 1000;
    };
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 0; r < rounds; r++) {
      setWasmThreadMinWork(Infinity);
      off.push(time());
      setWasmThreadMinWork(1);
      on.push(time());
    }
    const q = (a: number[]) => [...a].sort((p, t) => p - t)[Math.floor(a.length / 4)];
    line += `${q(off).toFixed(0).padStart(7)}/${q(on).toFixed(0).padStart(6)} ${(q(on) / q(off)).toFixed(2).padStart(5)} `;
    (x as J.Array).dispose();
  }
  console.log(line);
}
setWasmThreadMinWork(prev);

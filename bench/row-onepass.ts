/**
 * Softmax and layer norm over the rows of float32 arrays on the CPU, with the
 * one-pass row blocks (src/backend/cpu/row-epilogue.ts; split across the
 * worker pool where the work passes the split threshold) and with two
 * launches per step, alternated call by call in one process (the machine may
 * be shared: read the ratio). Shapes [4096, 1024], [1024, 1024], [256, 4096],
 * [64, 128]; prints the median (and min) of each, two/one (above 1: one pass faster)
 * and the median of the per-rep ratios, and the ratio of the processes' CPU
 * times (all threads: steadier than the wall clock on a loaded machine, but
 * blind to a split's gain). `npx tsx bench/row-onepass.ts [reps] [block]`
 * sets the block's elements (setRowBlocking).
 * Run: `npx tsx bench/row-onepass.ts [reps]`
 */
import { jit, nn, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import { rowOnePassSplitCount, setReductionOnePass, setRowBlocking, setRowOnePass } from "../src/backend/cpu/row-epilogue.js";
import { setPoolFloor } from "../src/backend/cpu/memory.js";
import { startThreads } from "../src/backend/cpu/threads.js";

setPoolFloor(512 * 1024 * 1024);
await startThreads();
const reps = Number(process.argv[2] ?? 24);
if (process.argv[3]) setRowBlocking(Number(process.argv[3]), 1 << 16);
const cases: [string, (x: JArray) => JArray][] = [
  ["softmax", jit((x: JArray) => nn.softmax(x, -1)) as (x: JArray) => JArray],
  ["layer norm", jit((x: JArray) => { const c = x.sub(x.mean(-1, { keepdims: true })); return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5))); }) as (x: JArray) => JArray],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const shape of [[4096, 1024], [1024, 1024], [256, 4096], [64, 128]]) {
  const n = shape[0] * shape[1];
  const x = np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i))).reshape(shape) as JArray;
  // small shapes: more calls inside each timing, so that the timer's resolution does not decide
  const inner = Math.max(1, Math.round((1 << 20) / n));
  for (const [name, f] of cases) {
    const t: Record<string, number[]> = { one: [], two: [] };
    const cpu: Record<string, number[]> = { one: [], two: [] };
    const split0 = rowOnePassSplitCount();
    for (let r = 0; r < reps; r++) {
      for (const mode of r % 2 ? ["two", "one"] : ["one", "two"]) {
        setRowOnePass(mode === "one");
        setReductionOnePass(mode === "one");
        const [t0, c0] = [performance.now(), process.cpuUsage()];
        for (let i = 0; i < inner; i++) f(x).dispose();
        const c = process.cpuUsage(c0);
        if (r >= 4) t[mode].push((performance.now() - t0) / inner);
        if (r >= 4) cpu[mode].push((c.user + c.system) / 1000 / inner);
      }
    }
    const [a, b] = [median(t.one), median(t.two)];
    // each rep's pair ran back to back: the median of their ratios follows the load less than the ratio of medians
    const pairs = median(t.one.map((v, i) => t.two[i] / v));
    const split = rowOnePassSplitCount() - split0 > 0 ? "split" : "one thread";
    console.log(
      `${name} [${shape}]: one pass (${split}) ${a.toFixed(3)} ms (min ${Math.min(...t.one).toFixed(3)}), two launches ${b.toFixed(3)} ms (min ${Math.min(...t.two).toFixed(3)}); two/one ${(b / a).toFixed(2)}×, median of pairs ${pairs.toFixed(2)}×; CPU time (all threads) two/one ${(median(cpu.two) / median(cpu.one)).toFixed(2)}×`,
    );
  }
  x.dispose();
}

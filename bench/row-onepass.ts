/**
 * Softmax and layer norm over the rows of a float32 [4096, 1024] array on the
 * CPU, with the one-pass row blocks (src/backend/cpu/row-epilogue.ts) and
 * with two launches per step, alternated call by call in one process (the
 * machine may be shared: read the ratio). Run: `npx tsx bench/row-onepass.ts`
 */
import { jit, nn, numpy as np } from "../src/index.js";
import type { Array as JArray } from "../src/index.js";
import { setReductionOnePass, setRowOnePass } from "../src/backend/cpu/row-epilogue.js";
import { setPoolFloor } from "../src/backend/cpu/memory.js";

setPoolFloor(512 * 1024 * 1024);
const x = np.array(Float32Array.from({ length: 4096 * 1024 }, (_, i) => Math.sin(i))).reshape([4096, 1024]) as JArray;
const cases: [string, (x: JArray) => JArray][] = [
  ["softmax", jit((x: JArray) => nn.softmax(x, -1)) as (x: JArray) => JArray],
  ["layer norm", jit((x: JArray) => { const c = x.sub(x.mean(-1, { keepdims: true })); return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5))); }) as (x: JArray) => JArray],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (const [name, f] of cases) {
  const t: Record<string, number[]> = { one: [], two: [] };
  for (let r = 0; r < 24; r++) {
    for (const mode of ["one", "two"]) {
      setRowOnePass(mode === "one");
      setReductionOnePass(mode === "one");
      const t0 = performance.now();
      f(x).dispose();
      if (r >= 4) t[mode].push(performance.now() - t0);
    }
  }
  const [a, b] = [median(t.one), median(t.two)];
  console.log(`${name} [4096,1024]: one pass ${a.toFixed(2)} ms, two launches ${b.toFixed(2)} ms (two/one ${(b / a).toFixed(2)}×)`);
}

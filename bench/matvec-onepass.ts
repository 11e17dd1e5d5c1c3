/**
 * W6 (per-example gradients 2(x·w − y)·x under vmap, float32 [4096, 64]) on
 * the CPU, with the mat-vec and its broadcast epilogue in one pass over the
 * rows (src/backend/cpu/row-epilogue.ts `matVecRowsOnePass`) and with two
 * launches, alternated call by call in one process (the machine may be
 * shared: read the ratio). Also [16384, 256], whose X (16 MiB) is past the
 * second-level cache (measured about even: it stays in a 32 MiB third-level
 * one). Run: `npx tsx bench/matvec-onepass.ts`
 */
import { grad, jit, numpy as np, vmap } from "../src/index.js";
import type { Array as JArray, Value } from "../src/index.js";
import { setRowOnePass } from "../src/backend/cpu/row-epilogue.js";
import { setPoolFloor } from "../src/backend/cpu/memory.js";

setPoolFloor(512 * 1024 * 1024);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const pe = jit(vmap(grad((w: Value, x: Value, y: Value) => (x as JArray).dot(w).sub(y).square()), { inAxes: [null, 0, 0] }));
for (const [B, F] of [[4096, 64], [16384, 256]]) {
  const data = (n: number, s: number) => np.array(Float32Array.from({ length: n }, (_, i) => Math.sin(i * s)));
  const w = data(F, 0.37).mul(0.1) as JArray, x = data(B * F, 1.3).reshape([B, F]) as JArray, y = data(B, 0.7) as JArray;
  const t: Record<string, number[]> = { one: [], two: [] };
  const reps = B * F > 1 << 20 ? 24 : 200;
  for (let r = 0; r < reps; r++) {
    for (const mode of ["one", "two"]) {
      setRowOnePass(mode === "one");
      const t0 = performance.now();
      (pe(w, x, y) as JArray).dispose();
      if (r >= 4) t[mode].push(performance.now() - t0);
    }
  }
  const [a, b] = [median(t.one), median(t.two)];
  console.log(`W6-style [${B},${F}]: one pass ${a.toFixed(3)} ms, two launches ${b.toFixed(3)} ms (two/one ${(b / a).toFixed(2)}×)`);
}

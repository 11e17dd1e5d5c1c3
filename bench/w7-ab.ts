/**
 * Its own run (`npx tsx bench/w7-ab.ts <bundle> <bundle>… [--rounds=N]`): W7 (a jitted mat-vec
 * [4096, 64]·[64, 1], float32, read back with `dataSync`) and a 1 MiB `dataSync`, in each jaxon
 * bundle given (built as bench/README.md says), alternating in one process: µs per call, best
 * and median of the rounds, and each bundle's median over the first's. Bundles: esbuild of
 * bench/libs/jaxon-entry.ts (this tree) or of an older commit's copy.
 */
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const rounds = Number(args.find((a) => a.startsWith("--rounds="))?.slice(9) ?? 40);
const paths = args.filter((a) => !a.startsWith("--"));
if (paths.length === 0) throw new Error("usage: npx tsx bench/w7-ab.ts <bundle.mjs> [<bundle.mjs>…] [--rounds=N]");
const R = 4096, F = 64;
const xs = new Float32Array(R * F).map((_, i) => Math.sin(i));
const ws = new Float32Array(F).map((_, i) => Math.cos(i));
type Case = { name: string; call: () => void; per: number };
const libs: { path: string; cases: Case[] }[] = [];
for (const path of paths) {
  const J = await import(pathToFileURL(path).href);
  await J.init();
  J.defaultDevice("cpu");
  const np = J.numpy;
  const x = J.devicePut(np.array(xs, { dtype: "float32" }).reshape([R, F]), "cpu");
  const w = J.devicePut(np.array(ws, { dtype: "float32" }).reshape([F, 1]), "cpu");
  const f = J.jit((a: any, b: any) => np.matmul(a, b));
  const big = J.devicePut(np.array(xs, { dtype: "float32" }), "cpu");
  // the answer, against float64 sums
  const y = f(x, w).dataSync() as Float32Array;
  for (let i = 0; i < R; i++) {
    let s = 0;
    for (let p = 0; p < F; p++) s += xs[i * F + p] * ws[p];
    if (Math.abs(y[i] - s) > 1e-4 * (1 + Math.abs(s))) throw new Error(`${path}: W7 row ${i} ${y[i]} vs ${s}`);
  }
  libs.push({
    path,
    cases: [
      { name: "W7 call + dataSync", per: 200, call: () => { const r = f(x, w); r.dataSync(); r.dispose(); } },
      { name: "dataSync 1 MiB", per: 50, call: () => void big.dataSync() },
    ],
  });
}
const times = libs.map((l) => l.cases.map(() => [] as number[]));
for (let r = 0; r < rounds; r++)
  for (let li = 0; li < libs.length; li++) {
    const l = libs[(li + r) % libs.length];
    const t = times[(li + r) % libs.length];
    l.cases.forEach((c, ci) => {
      for (let i = 0; i < 10; i++) c.call();
      const t0 = performance.now();
      for (let i = 0; i < c.per; i++) c.call();
      t[ci].push(((performance.now() - t0) / c.per) * 1000);
    });
  }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
libs[0].cases.forEach((c, ci) => {
  console.log(c.name);
  libs.forEach((l, li) => {
    const t = times[li][ci];
    console.log(`  ${l.path.padEnd(28)} best ${Math.min(...t).toFixed(1)} µs, median ${med(t).toFixed(1)} µs, median / first ${(med(t) / med(times[0][ci])).toFixed(3)}`);
  });
});

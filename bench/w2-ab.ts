/**
 * Its own run (`npx tsx bench/w2-ab.ts <bundle A> <bundle B> [rounds]`): W2's 1024² float32 matmul
 * (read back with `dataSync`) from host-made operands and from operands a jit computed (x·2·0.5),
 * in two jaxon bundles loaded into one process (each with its own WebAssembly memory and worker
 * pool), the four cases alternating (the order flips every round): wall best and median, CPU time
 * of the process (user + system, steadier on a busy machine), and computed over host per bundle.
 * For before/after of a change to the CPU pool's policy (bench/README.md: building a bundle).
 */
import { pathToFileURL } from "node:url";
const paths = process.argv.slice(2, 4);
if (paths.length < 2) throw new Error("usage: npx tsx bench/w2-ab.ts <bundle A> <bundle B> [rounds]");
const rounds = Number(process.argv[4] ?? 16);
const n = 1024;
const rnd = (seed: number) => { let x = seed; return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1; };
const as = new Float32Array(n * n).map(rnd(1)); const bs = new Float32Array(n * n).map(rnd(2));
const libs: any[] = [];
for (const p of paths) {
  const J = await import(pathToFileURL(p).href + "?" + libs.length); await J.init(); J.defaultDevice("cpu");
  const np = J.numpy;
  const f32 = (a: Float32Array) => J.devicePut(np.array(a, { dtype: "float32" }).reshape([n, n]), "cpu");
  const made = J.jit((x: any) => x.mul(2).mul(0.5));
  const ops: any = { host: [f32(as), f32(bs)], computed: [made(f32(as)), made(f32(bs))] };
  libs.push({ J, np, ops });
}
const keys: string[] = []; for (let i = 0; i < libs.length; i++) for (const k of ["host", "computed"]) keys.push(`${i}:${k}`);
const wall: Record<string, number[]> = {}, cpu: Record<string, number[]> = {};
for (const k of keys) { wall[k] = []; cpu[k] = []; }
const call = (L: any, [a, b]: any[]) => { const y = L.np.matmul(a, b); y.dataSync(); y.dispose(); };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? keys : [...keys].reverse();
  for (const key of order) {
    const [i, k] = key.split(":"); const L = libs[+i];
    call(L, L.ops[k]);
    const t0 = performance.now(); const c0 = process.cpuUsage();
    for (let j = 0; j < 3; j++) call(L, L.ops[k]);
    const c = process.cpuUsage(c0);
    wall[key].push((performance.now() - t0) / 3); cpu[key].push((c.user + c.system) / 3000);
  }
}
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const k of keys) console.log(`${(paths[+k[0]] + " " + k.slice(2)).padEnd(40)} wall best ${Math.min(...wall[k]).toFixed(2)} median ${med(wall[k]).toFixed(2)} ms; CPU median ${med(cpu[k]).toFixed(2)} ms`);
for (let i = 0; i < libs.length; i++) console.log(`${paths[i]}: computed/host wall best ${(Math.min(...wall[i + ":computed"]) / Math.min(...wall[i + ":host"])).toFixed(3)} median ${(med(wall[i + ":computed"]) / med(wall[i + ":host"])).toFixed(3)}; CPU median ${(med(cpu[i + ":computed"]) / med(cpu[i + ":host"])).toFixed(3)}`);

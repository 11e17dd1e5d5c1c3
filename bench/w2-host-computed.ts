/**
 * Its own run (`npx tsx bench/w2-host-computed.ts <bundle> [rounds]`): W2's 1024² float32 matmul
 * (read back with `dataSync`) from operands made from host Float32Arrays and from operands a jit
 * computed (x·2·0.5), alternating in one process (the order flips every round): best and median
 * ms, and computed over host (wall time, and CPU time of the process, steadier on a busy machine). The bundle: esbuild of bench/libs/jaxon-entry.ts (bench/README.md).
 * Where the bundle exports the CPU pool's diagnostics (`cpuMemory`), it also prints whether each
 * operand lies in the WebAssembly memory and the bytes a matmul copied through scratch (staging),
 * which tell the cause of a gap apart from a busy machine's noise.
 */
import { pathToFileURL } from "node:url";

const [path, roundsArg] = process.argv.slice(2);
if (!path) throw new Error("usage: npx tsx bench/w2-host-computed.ts <bundle.mjs> [rounds]");
const J = await import(pathToFileURL(path).href);
await J.init();
J.defaultDevice("cpu");
const np = J.numpy;
const n = 1024;
const rnd = (seed: number) => {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
};
const as = new Float32Array(n * n).map(rnd(1));
const bs = new Float32Array(n * n).map(rnd(2));
const f32 = (a: Float32Array) => J.devicePut(np.array(a, { dtype: "float32" }).reshape([n, n]), "cpu");
const made = J.jit((x: any) => x.mul(2).mul(0.5));
const operands: Record<string, any[]> = { host: [f32(as), f32(bs)], computed: [made(f32(as)), made(f32(bs))] };
const call = ([a, b]: any[]) => {
  const y = np.matmul(a, b);
  y.dataSync();
  y.dispose();
};
const mem = J.cpuMemory;
if (mem?.inMemory)
  for (const k of ["host", "computed"]) {
    const where = operands[k].map((x: any) => (mem.inMemory(x.buffer) ? "wasm memory" : "plain array")).join(", ");
    let staged = "n/a (no stagingStats in this bundle)";
    if (mem.stagingStats) {
      const s0 = mem.stagingStats().bytes;
      call(operands[k]);
      staged = `${((mem.stagingStats().bytes - s0) / 2 ** 20).toFixed(1)} MiB per matmul`;
    }
    console.log(`${k.padEnd(9)} operands: ${where}; staging copies: ${staged}`);
  }
const times: Record<string, number[]> = { host: [], computed: [] };
// CPU time of the process (user + system, every thread): steadier than wall time on a busy machine
const cpu: Record<string, number[]> = { host: [], computed: [] };
for (let r = 0; r < Number(roundsArg ?? 12); r++)
  for (const k of r % 2 ? ["host", "computed"] : ["computed", "host"]) {
    call(operands[k]);
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < 3; i++) call(operands[k]);
    const c = process.cpuUsage(c0);
    times[k].push((performance.now() - t0) / 3);
    cpu[k].push((c.user + c.system) / 3000);
  }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1];
for (const k of ["host", "computed"]) {
  const best = Math.min(...times[k]);
  console.log(`${k.padEnd(9)} best ${best.toFixed(2)} ms (${((2 * n ** 3) / best / 1e6).toFixed(1)} GFLOP/s), median ${med(times[k]).toFixed(2)} ms`);
}
console.log(`CPU ms per call: host median ${med(cpu.host).toFixed(2)}, computed median ${med(cpu.computed).toFixed(2)}; computed / host ${(med(cpu.computed) / med(cpu.host)).toFixed(3)}`);
console.log(`computed / host: best ${(Math.min(...times.computed) / Math.min(...times.host)).toFixed(3)}, median ${(med(times.computed) / med(times.host)).toFixed(3)}`);

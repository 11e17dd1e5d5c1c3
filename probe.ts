import { jit, nn, numpy as np } from "./src/index.js";
import { setReductionOnePass, setRowBlocking, setRowOnePass } from "./src/backend/cpu/row-epilogue.js";
import { setPoolFloor } from "./src/backend/cpu/memory.js";
import { startThreads } from "./src/backend/cpu/threads.js";
setPoolFloor(512 * 1024 * 1024);
await startThreads();
const ln = jit((x: any) => { const c = x.sub(x.mean(-1, { keepdims: true })); return c.div(np.sqrt(c.square().mean(-1, { keepdims: true }).add(1e-5))); }) as any;
const sm = jit((x: any) => nn.softmax(x, -1)) as any;
const shape = (process.argv[2] ?? "4096,1024").split(",").map(Number);
const x = np.array(Float32Array.from({ length: shape[0]*shape[1] }, (_, i) => Math.sin(i))).reshape(shape);
const modes: [string, () => void][] = [["two", () => { setRowOnePass(false); setReductionOnePass(false); }]];
for (const b of [8192, 1 << 15, 1 << 17, 1 << 18, 1 << 19]) modes.push([`b${b >> 10}k`, () => { setRowOnePass(true); setReductionOnePass(true); setRowBlocking(b, 1 << 16); }]);
for (const [n, f] of [["ln", ln], ["softmax", sm]] as const) {
  const t: Record<string, number[]> = {};
  for (let r = 0; r < 30; r++) for (const [m, set] of modes) { set(); const c0 = process.cpuUsage(); f(x).dispose(); const c = process.cpuUsage(c0); (t[m] ??= []).push((c.user + c.system) / 1000); }
  console.log(n, Object.entries(t).map(([m, v]) => `${m} min ${Math.min(...v).toFixed(2)} p25 ${[...v].sort((a,b)=>a-b)[7].toFixed(2)}`).join(" | "));
}

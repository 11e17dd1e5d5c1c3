/**
 * W14's LeNet-5 training step (bench/cnn-step.ts's jaxon trainer, the same
 * model and Adam, random data) on WebGPU, for finding where its time goes:
 * the first steps' wall times (the first compiles every pipeline), then the
 * device time per step of each kernel from timestamp queries, slowest first,
 * each named by its kind (the convolution kernels of src/backend/webgpu/conv.ts,
 * else the start of its body). On lavapipe (a CPU) only the shares mean anything.
 *
 * Run: XDG_RUNTIME_DIR=/tmp [AB=1] npx tsx bench/cnn-webgpu-profile.ts
 * (AB=1: also the step's wall time with the general convolution kernel against the planar one, alternated)
 */
import * as J from "../src/index.js";
import { deviceTimeByKernel, profileDeviceTime } from "../src/backend/webgpu/context.js";
import { convKernel } from "../src/backend/webgpu/conv.js";
const { lax, nn, np, optim } = J as any;
await J.init();
const B = 64;
function rand(n: number, seed: number, lo = -0.2, hi = 0.2) { let s = seed; const a = new Float32Array(n); for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; a[i] = lo + (s / 2 ** 32) * (hi - lo); } return a; }
const SH: Record<string, number[]> = { w1: [5,5,1,6], b1: [6], w2: [5,5,6,16], b2: [16], w3: [400,120], b3: [120], w4: [120,84], b4: [84], w5: [84,10], b5: [10] };
const put = (a: any, s: number[], dt = "float32") => J.devicePut(np.array(a, { dtype: dt }).reshape(s), "webgpu");
const x = put(rand(B*28*28, 1, 0, 1), [B,28,28,1]);
const labels = put(Int32Array.from({length:B}, (_, i) => i % 10), [B], "int32");
const dn = { dimensionNumbers: ["NHWC", "HWIO", "NHWC"] };
const pool = (v: any) => nn.avgPool(v, [2, 2], { strides: [2, 2] });
const forward = (p: any, v: any) => {
  let h = pool(nn.relu(lax.convGeneralDilated(v, p.w1, [1, 1], "SAME", dn).add(p.b1)));
  h = pool(nn.relu(lax.convGeneralDilated(h, p.w2, [1, 1], "VALID", dn).add(p.b2)));
  h = h.reshape([B, 400]);
  h = nn.relu(h.matmul(p.w3).add(p.b3));
  h = nn.relu(h.matmul(p.w4).add(p.b4));
  return h.matmul(p.w5).add(p.b5);
};
const loss = (p: any, v: any, y: any) => np.mean(np.takeAlongAxis(nn.logSoftmax(forward(p, v), -1), y.reshape([B, 1]), 1)).neg();
const opt = optim.adam(1e-3);
const vg = J.valueAndGrad(loss);
const step = J.jit((p: any, s: any, v: any, y: any) => { const [l, g] = vg(p, v, y); const [u, s2] = opt.update(g, s, p); return [optim.applyUpdates(p, u), s2, l]; });
let params: any = Object.fromEntries(Object.keys(SH).map((k, i) => [k, put(rand(SH[k].reduce((a,b)=>a*b,1), 10+i), SH[k])]));
let state = opt.init(params); let last: any;
if (process.env.SHOWJAXPR) console.log(String(J.makeJaxpr((p: any, v: any, y: any) => vg(p, v, y))(params, x, labels)));
for (let i = 0; i < 3; i++) { const t0 = performance.now(); [params, state, last] = step(params, state, x, labels) as any; const l = await last.item(); console.log(`step ${i}: ${(performance.now()-t0).toFixed(0)} ms loss ${l}`); }
const t0 = performance.now(); for (let i = 0; i < 5; i++) [params, state, last] = step(params, state, x, labels) as any; await last.item(); console.log(`5 steps: ${((performance.now()-t0)/5).toFixed(0)} ms/step; tiled runs ${convKernel.tiledRuns}`);
if (process.env.AB) {
  // the planar convolution kernel against the general one, alternated, 3 steps each, the best of 3
  const best = [Infinity, Infinity];
  for (let rep = 0; rep < 3; rep++)
    for (const v of [0, 1]) {
      convKernel.planar = v === 1;
      [params, state, last] = step(params, state, x, labels) as any;
      await last.item();
      const t1 = performance.now();
      for (let i = 0; i < 3; i++) [params, state, last] = step(params, state, x, labels) as any;
      await last.item();
      best[v] = Math.min(best[v], (performance.now() - t1) / 3);
    }
  convKernel.planar = true;
  console.log(`ms/step: general conv kernel ${best[0].toFixed(0)}, planar ${best[1].toFixed(0)}: ${(best[0] / best[1]).toFixed(2)}x`);
}
profileDeviceTime(true, { perDispatch: true });
for (let i = 0; i < 2; i++) [params, state, last] = step(params, state, x, labels) as any; await last.item();
let tot = 0; const ks = await deviceTimeByKernel();
for (const k of ks) tot += k.ms;
const kind = (w: string) =>
  w.includes("As:") ? "conv tiled" : w.includes("OG = prm") ? `conv planar${w.includes("red[") ? " (lanes)" : ""}` : w.includes("oPerG") ? "conv general" : (w.match(/fn main[^{]*\{([^]{0,400})/)?.[1] ?? "").replace(/\s+/g, " ").slice(0, 110);
for (const k of ks.slice(0, 15)) console.log(`${(k.ms / 2).toFixed(1).padStart(8)} ms/step x${k.count / 2} ${kind(k.wgsl)}`);
console.log(`total device ${(tot/2).toFixed(1)} ms/step in ${ks.reduce((a,k)=>a+k.count,0)/2} dispatches`);
process.exit(0);

/**
 * A small MLP trained on WebGPU in one synchronous loop: no await, no
 * dispose, until the end. Run as a child process by webgpu-no-await.test.ts
 * (a segfault in the device's native code then fails that test instead of
 * killing the test runner). Usage: no-await-steps.ts <eager|jit> <steps>.
 * Prints `loss <before> <after>` and exits 0.
 */
import { defaultDevice, devicePut, grad, init, jit, np, random, type Array, type Value } from "../../src/index.js";

const mode = process.argv[2];
const steps = Number(process.argv[3]);
if ((mode !== "eager" && mode !== "jit") || !(steps > 0)) {
  console.error("usage: no-await-steps.ts <eager|jit> <steps>");
  process.exit(2);
}
const devices = await init({ quiet: true });
if (!devices.includes("webgpu")) {
  console.error("no webgpu adapter");
  process.exit(3);
}
defaultDevice("webgpu");
const [k1, k2] = random.split(random.key(0), 2);
// committed to the device: small arrays jaxon knows on the host would otherwise be computed there
const onGpu = (x: Value) => devicePut(x, "webgpu");
const xs = onGpu(random.normal(k1, [32, 8]));
const ys = np.sin(xs.sum(1, { keepdims: true }));
type Params = [Value, Value, Value, Value];
let p: Params = [onGpu(random.normal(k2, [8, 16]).mul(0.3)), onGpu(np.zeros([16])), onGpu(np.zeros([16, 1])), onGpu(np.zeros([1]))];
const loss = (q: Params) => np.tanh(xs.matmul(q[0]).add(q[1])).matmul(q[2]).add(q[3]).sub(ys).square().mean();
const sgd = (q: Params) => {
  const g = grad(loss)(q) as Params;
  return q.map((w, i) => w.sub(g[i].mul(0.05))) as Params;
};
const step = mode === "jit" ? jit(sgd) : sgd;
const before = await (loss(p) as Array).item();
for (let i = 0; i < steps; i++) p = step(p) as Params;
const after = await (loss(p) as Array).item();
console.log(`loss ${before} ${after}`);

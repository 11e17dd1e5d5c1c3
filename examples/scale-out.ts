/**
 * Scaling out (docs/guide/scaling-out.md): the W4 tutorial MLP's Adam step,
 * exported as StableHLO for XLA with the batch split over 4 devices, and the
 * parameters XLA trained brought back into jaxon.
 *
 *   npx tsx examples/scale-out.ts export out/scale-out     # writes step.mlir, step.json, inputs.npz
 *   python tools/run-stablehlo.py ...                       # trains in XLA (see the guide)
 *   npx tsx examples/scale-out.ts import out/scale-out     # reads trained.npz, checks against jaxon, saves params.safetensors
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportStableHLO, io, np, PartitionSpec, tree, valueAndGrad, type Value } from "jaxon-ts";

type Params = Record<string, Value>;
type Opt = { m: Params; v: Params; b1t: Value; b2t: Value };
const [N, H, lr, b1, b2, eps] = [1000, 50, 1e-3, 0.9, 0.999, 1e-8];

const sigmoid = (z: Value) => np.reciprocal(np.exp(z.neg()).add(1));
const loss = (p: Params, x: Value, y: Value) => sigmoid(x.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2).sub(y).square().sum();

/** One Adam step over the parameter pytree (b1t, b2t carry b1^t, b2^t). */
function step(p: Params, o: Opt, x: Value, y: Value): [Params, Opt, Value] {
  const [l, g] = valueAndGrad(loss)(p, x, y) as [Value, Params];
  const b1t = o.b1t.mul(b1);
  const b2t = o.b2t.mul(b2);
  const m = tree.map((m: Value, g: Value) => m.mul(b1).add(g.mul(1 - b1)), o.m, g) as Params;
  const v = tree.map((v: Value, g: Value) => v.mul(b2).add(g.square().mul(1 - b2)), o.v, g) as Params;
  const upd = (p: Value, m: Value, v: Value) => p.sub(m.div(b1t.neg().add(1)).mul(lr).div(np.sqrt(v.div(b2t.neg().add(1))).add(eps)));
  return [tree.map(upd, p, m, v) as Params, { m, v, b1t, b2t }, l];
}

/** The data (y = sin x0 + cos x1 on a deterministic cloud) and the initial state. */
function inputs(): [Params, Opt, Value, Value] {
  const t = np.arange(N);
  const [x0, x1] = [np.sin(t.mul(0.37)).mul(6), np.cos(t.mul(0.11)).mul(6)];
  const x = np.stack([x0, x1], 1);
  const y = np.sin(x0).add(np.cos(x1)).reshape([N, 1]);
  const init = (shape: number[], k: number) => np.sin(np.arange(shape.reduce((a, b) => a * b, 1)).mul(1.3).add(k)).mul(0.5).reshape(shape);
  const p: Params = { w1: init([2, H], 1), b1: init([H], 2), w2: init([H, 1], 3), b2: init([1], 4) };
  const zeros = () => tree.map((a: Value) => np.zerosLike(a), p) as Params;
  return [p, { m: zeros(), v: zeros(), b1t: np.array(1), b2t: np.array(1) }, x, y];
}

const [mode, dir = "out/scale-out"] = process.argv.slice(2);
mkdirSync(dir, { recursive: true });
const args = inputs();
// data parallel: x and y split by rows over the mesh axis "data"; params and optimizer state replicated (null)
const exported = exportStableHLO(step, {
  shardings: { mesh: { data: 4 }, inputs: [null, null, new PartitionSpec("data", null), new PartitionSpec("data", null)] },
})(...args);

if (mode === "export") {
  writeFileSync(join(dir, "step.mlir"), exported.text);
  writeFileSync(join(dir, "step.json"), exported.metadataJson());
  const leaves = tree.leaves(args) as Value[];
  writeFileSync(join(dir, "inputs.npz"), await io.saveNpz(Object.fromEntries(leaves.map((l, i) => [String(i), l]))));
  console.log(`wrote ${dir}/step.mlir (${exported.text.length} characters), step.json and inputs.npz (${leaves.length} inputs)`);
} else if (mode === "import") {
  const steps = Number(process.argv[4] ?? 100);
  const outs = await io.loadNpz(readFileSync(join(dir, "trained.npz")));
  const [params, , lastLoss] = tree.unflatten(exported.outTree, Object.keys(outs).map((_, i) => outs[String(i)])) as [Params, Opt, Value];
  // the same steps in jaxon, unsharded, for comparison
  let [p, o] = args;
  let l: Value = np.array(0);
  for (let k = 0; k < steps; k++) [p, o, l] = step(p, o, args[2], args[3]);
  const diff = Math.max(...(await Promise.all(Object.keys(p).map(async (k) => (await np.max(np.abs(p[k].sub(params[k]))).item()) as number))));
  console.log(`XLA's loss before its last step ${((await lastLoss.item()) as number).toFixed(4)}, jaxon's ${((await l.item()) as number).toFixed(4)}; largest parameter difference ${diff.toExponential(1)}`);
  writeFileSync(join(dir, "params.safetensors"), await io.saveSafetensors(params));
  console.log(`saved the trained parameters as ${dir}/params.safetensors`);
} else {
  console.log("usage: npx tsx examples/scale-out.ts export|import [dir] [steps]");
}

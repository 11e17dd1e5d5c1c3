/**
 * The W4 training step (MLP 2-50-1 on 1000 points, Adam, jitted) on the CPU,
 * in CPU time per step of this process (user + system: steadier than wall
 * time on a machine shared with other work), with the kernels per step of
 * its plan: this tree bundled as the package build does, and other built
 * bundles beside it (`--jaxon=<path>`, e.g. an older commit's, for
 * before/after in one run), alternating, 3 runs each.
 *
 *   npx tsx bench/w4-cpu-time.ts [--jaxon=<path of another built bundle>…]
 */
import { build } from "esbuild";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

type Lib = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const others = process.argv.slice(2).filter((a) => a.startsWith("--jaxon=")).map((a) => a.slice("--jaxon=".length));

async function bundled(): Promise<string> {
  const out = join(mkdtempSync(join(tmpdir(), "jaxon-w4-")), "jaxon.mjs");
  await build({
    entryPoints: [fileURLToPath(new URL("../src/index.ts", import.meta.url))],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    outfile: out,
    external: ["webgpu"],
    logLevel: "warning",
  });
  return out;
}

/** A W4 trainer on library J: its step, and its plan's kernels per step. */
function trainer(J: Lib) {
  const { np, jit } = J;
  const H = 50, lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8; // prettier-ignore
  let seed = 1;
  const rnd = (n: number) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1);
  const f32 = (a: Float32Array, s: number[]) => np.array(a, { dtype: "float32" }).reshape(s);
  const x = f32(rnd(2000), [1000, 2]);
  const y = f32(rnd(1000), [1000, 1]);
  const sigmoid = (z: Lib) => np.reciprocal(np.exp(z.neg()).add(1));
  const loss = (p: Lib, x: Lib, y: Lib) => sigmoid(x.matmul(p.w1).add(p.b1)).matmul(p.w2).add(p.b2).sub(y).square().sum();
  const vg = J.valueAndGrad(loss);
  const step = jit((p: Lib, o: Lib, x: Lib, y: Lib) => {
    const [l, g] = vg(p, x, y);
    const b1t = o.b1t.mul(b1);
    const b2t = o.b2t.mul(b2);
    const m = J.tree.map((m: Lib, g: Lib) => m.mul(b1).add(g.mul(1 - b1)), o.m, g);
    const v = J.tree.map((v: Lib, g: Lib) => v.mul(b2).add(g.square().mul(1 - b2)), o.v, g);
    const c1 = b1t.neg().add(1);
    const c2 = b2t.neg().add(1);
    const p2 = J.tree.map((p: Lib, m: Lib, v: Lib) => p.sub(m.div(c1).mul(lr).div(np.sqrt(v.div(c2)).add(eps))), p, m, v);
    return [p2, { m, v, b1t, b2t }, l];
  });
  const zeros = (t: Lib) => J.tree.map((a: Lib) => np.zerosLike(a), t);
  let p: Lib = { w1: f32(rnd(2 * H), [2, H]), b1: f32(rnd(H), [H]), w2: f32(rnd(H), [H, 1]), b2: f32(rnd(1), [1]) };
  let o: Lib = { m: zeros(p), v: zeros(p), b1t: f32(Float32Array.of(1), []), b2t: f32(Float32Array.of(1), []) };
  let l: Lib;
  const run = (steps: number) => {
    for (let i = 0; i < steps; i++) {
      [p, o, l] = step(p, o, x, y);
      if (i % 10 === 9) l.dataSync(); // a loop that logs its loss
    }
  };
  run(20);
  return { run, kernels: step.lower(p, o, x, y).kernels as number, loss: () => l.dataSync()[0] as number };
}

const libs: [string, ReturnType<typeof trainer>][] = [["jaxon/cpu (this tree, built)", trainer(await import(pathToFileURL(await bundled()).href))]];
for (const path of others) libs.push([`jaxon/cpu (${path.split(/[\\/]/).pop()})`, trainer(await import(pathToFileURL(path).href))]);
const rounds = 10;
const res = libs.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  libs.forEach(([, t], i) => {
    const t0 = process.cpuUsage();
    t.run(200);
    const dt = process.cpuUsage(t0);
    res[i].push((dt.user + dt.system) / 200);
  });
}
console.log("W4 step (MLP 2-50-1, 1000 points, Adam, jitted), CPU µs per step, q25 / median of 10 rounds of 200 steps:");
libs.forEach(([name, t], i) => {
  const s = [...res[i]].sort((a, b) => a - b);
  console.log(`  ${name.padEnd(34)} ${s[2].toFixed(0).padStart(5)} / ${s[5].toFixed(0).padStart(5)}   ${t.kernels} kernels/step   loss ${t.loss()}`);
});

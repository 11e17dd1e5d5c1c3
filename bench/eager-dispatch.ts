/**
 * Eager dispatch cost (issue 17, item 3): `grad` of sin((w+1)**3) with `pow`
 * on a float32 scalar, no jit, each call ending in a readback; jaxon/cpu and
 * tfjs/cpu alternating in one process. Times are this process's CPU time per
 * call (user + system), the first quartile and the median of 20 rounds:
 * steadier than wall time on a machine shared with other work; compare the
 * ratio.
 *
 * jaxon runs as users get it: bundled by esbuild as the package build does
 * (tsup), not from src/ through tsx, whose esbuild setting `keepNames` wraps
 * every closure jaxon creates in a `__name` call (an `Object.defineProperty`)
 * and makes eager tracing about 3x slower than the built package. `--src`
 * measures src/ as loaded here (through tsx) as well.
 *
 *   npx tsx bench/eager-dispatch.ts [--src] [--jaxon=<path of another built bundle>…] [calls]
 */
import { build } from "esbuild";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const argv = process.argv.slice(2);
const calls = Number(argv.find((a) => /^\d+$/.test(a)) ?? 10000);
const withSrc = argv.includes("--src");
/** Other built bundles of jaxon to measure beside this tree's (an older commit's, for before/after in one run). */
const others = argv.filter((a) => a.startsWith("--jaxon=")).map((a) => a.slice("--jaxon=".length));

type Lib = { np: any; grad: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function bundled(): Promise<Lib> {
  const out = join(mkdtempSync(join(tmpdir(), "jaxon-eager-")), "jaxon.mjs");
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
  return import(pathToFileURL(out).href);
}

function jaxonFn(J: Lib) {
  const g = J.grad((w: any) => J.np.sin(J.np.power(w.add(1), 3))); // eslint-disable-line @typescript-eslint/no-explicit-any
  const w = J.np.array(0.3, { dtype: "float32" });
  return () => {
    const r = g(w);
    const v = r.dataSync()[0];
    r.dispose?.();
    return v;
  };
}

async function tfjsFn() {
  const tf: any = await import("@tensorflow/tfjs-core"); // eslint-disable-line @typescript-eslint/no-explicit-any
  await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  await import("@tensorflow/tfjs-backend-cpu");
  tf.enableProdMode();
  await tf.setBackend("cpu");
  await tf.ready();
  const g = tf.grad((w: unknown) => tf.sin(tf.pow(tf.add(w, 1), 3)));
  const w = tf.scalar(0.3, "float32");
  return () => {
    const r = g(w);
    const v = r.dataSync()[0];
    r.dispose();
    return v;
  };
}

/** CPU time of this process per call, in µs. */
function time(f: () => number, n: number) {
  const t0 = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / n;
}

const fns: [string, () => number][] = [["jaxon/cpu (built)", jaxonFn(await bundled())]];
for (const path of others) fns.push([`jaxon/cpu (${path.split(/[\\/]/).pop()})`, jaxonFn(await import(pathToFileURL(path).href))]);
if (withSrc) fns.push(["jaxon/cpu (src via tsx)", jaxonFn((await import("../src/index.js")) as unknown as Lib)]);
fns.push(["tfjs/cpu", await tfjsFn()]);
for (const [, f] of fns) time(f, 2000);
const rounds = 20;
const res: Record<string, number[]> = {};
for (let r = 0; r < rounds; r++) for (const [name, f] of fns) (res[name] ??= []).push(time(f, Math.ceil(calls / rounds)));
const stat = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y);
  return { q25: s[rounds >> 2], median: s[rounds >> 1] };
};
const tf = stat(res["tfjs/cpu"]);
console.log(`eager grad of sin((w+1)**3), float32 scalar, ${calls} calls each, CPU µs/call (q25 / median), ratio to tfjs/cpu by q25:`);
for (const [name, xs] of Object.entries(res)) {
  const s = stat(xs);
  console.log(`  ${name.padEnd(24)} ${s.q25.toFixed(1).padStart(6)} / ${s.median.toFixed(1).padStart(6)}   ${(s.q25 / tf.q25).toFixed(2)}x`);
}
console.log("  values:", fns.map(([n, f]) => `${n}=${f()}`).join(", "));

/**
 * Runs an example by name: `npm run example -- mlp-regression`.
 * Options: `--steps N` (training steps), `--out DIR` (where the plots go,
 * default out/NAME/), `--no-png` (SVG only), `--quiet`, `--device cpu|webgpu`
 * (jaxon's default device while the example runs; cpu by default; webgpu takes
 * a software adapter too, and says which adapter it got).
 */
import { type ExampleOptions, useDevice } from "./plot.js";

type Example = { run: (options?: ExampleOptions) => unknown };
/**
 * `webgpu`: the example reads its results with `await` and so runs on either
 * device. The others read with the sync forms (`x.itemSync()`), which a GPU
 * cannot serve; they run on the CPU.
 */
type Entry = { about: string; load: () => Promise<Example>; webgpu?: true };

const examples: Record<string, Entry> = {
  "gradient-descent": { about: "y = x² from x = −4 with learning rates 0.1, 1.5 and 0.6", load: () => import("./gradient-descent.js") },
  "sgd-quadratic": { about: "optim.sgd on x² − 3x + 1, 500 steps", load: () => import("./sgd-quadratic.js") },
  "polynomial-optim": { about: "PyTorch's optim example: a + bx + cx² + dx³ fitted to sin(x) with RMSprop, 2000 steps", load: () => import("./polynomial-optim.js") },
  "linear-regression": { about: "a line fitted to y = 3x + 4 + noise with Adam at three learning rates", load: () => import("./linear-regression.js") },
  "mlp-regression": { about: "an MLP fitted to sin(x0) + cos(x1): SGD, Adam, then a deeper net", load: () => import("./mlp-regression.js") },
  "two-layer-net": { about: "PyTorch's two-layer network (1000 → 100 → 10) on random data: gradient descent by hand, then Adam", load: () => import("./two-layer-net.js") },
  "city-placement": { about: "36 European cities placed in 2-D from their distances", load: () => import("./city-placement.js") },
  "model-ensembling": { about: "PyTorch's Model ensembling: ten MLPs' predictions with vmap over stacked parameters, against a loop", load: () => import("./model-ensembling.js") },
  "batched-experiments": { about: "32 learning rates trained at once with vmap", load: () => import("./batched-experiments.js") },
  "char-transformer": { about: "a character-level GPT (2 blocks, 4 heads) on 20 KB of Shakespeare, AdamW, sampled text", load: () => import("./char-transformer.js"), webgpu: true },
  "cnn-digits": { about: "a LeNet-style CNN on scikit-learn's 8×8 digits, Adam, test accuracy", load: () => import("./cnn-digits.js") },
  "tiny-transformer": { about: "a character-level transformer (2 layers, 4 heads, width 128): AdamW, warmup-cosine, gradient clipping", load: () => import("./tiny-transformer.js"), webgpu: true },
  "signal-filter": { about: "a low-pass filter's cutoff and gain tuned by gradient descent through np.fft", load: () => import("./signal-filter.js") },
  "mnist-cnn": { about: "PyTorch's examples/mnist: a LeNet-style CNN on 10,000 MNIST digits, Adam, held-out accuracy, per-example gradient norms by vmap", load: () => import("./mnist-cnn.js"), webgpu: true },
};

function usage(): string {
  const width = Math.max(...Object.keys(examples).map((n) => n.length));
  return [
    "usage: npm run example -- NAME [--steps N] [--out DIR] [--no-png] [--quiet] [--device cpu|webgpu]",
    "examples:",
    ...Object.entries(examples).map(([name, e]) => `  ${name.padEnd(width)}  ${e.about}`),
  ].join("\n");
}

function parseArgs(argv: string[]): { name: string; options: ExampleOptions } {
  const options: ExampleOptions = {};
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--steps" || a.startsWith("--steps=")) {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`--steps takes a positive integer`);
      options.steps = n;
    } else if (a === "--out" || a.startsWith("--out=")) options.outDir = value();
    else if (a === "--device" || a.startsWith("--device=")) {
      const d = value();
      if (d !== "cpu" && d !== "webgpu") throw new Error(`--device takes cpu or webgpu, got ${JSON.stringify(d)}`);
      options.device = d;
    } else if (a === "--no-png") options.png = false;
    else if (a === "--quiet") options.quiet = true;
    else if (a === "--help" || a === "-h") {
      console.log(usage());
      process.exit(0);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else if (name === undefined) name = a;
    else throw new Error(`one example at a time (got ${name} and ${a})`);
  }
  return { name: name ?? "gradient-descent", options };
}

let parsed: { name: string; options: ExampleOptions };
try {
  parsed = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`${(e as Error).message}\n${usage()}`);
  process.exit(2);
}
const example = examples[parsed.name];
if (!example) {
  console.error(`unknown example ${JSON.stringify(parsed.name)}\n${usage()}`);
  process.exit(2);
}
if (parsed.options.device === "webgpu" && !example.webgpu) {
  const both = Object.keys(examples).filter((n) => examples[n].webgpu);
  console.error(`${parsed.name} reads its results synchronously (x.itemSync()), which WebGPU cannot serve: run it on the CPU. These run on WebGPU: ${both.join(", ")}`);
  process.exit(1);
}
let deviceLine: string;
try {
  deviceLine = await useDevice(parsed.options.device ?? "cpu");
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
if (!parsed.options.quiet && parsed.options.device) console.log(deviceLine);
const t0 = performance.now();
await (await example.load()).run(parsed.options);
if (!parsed.options.quiet) console.log(`\n${parsed.name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

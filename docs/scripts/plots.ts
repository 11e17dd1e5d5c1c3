/**
 * Regenerates the tutorials' plots for the docs site: runs each example of
 * examples/ at its full size, as `npm run example -- NAME` does, and copies its
 * SVG plots and what it printed into docs/public/tutorials/NAME/, where the
 * tutorial pages show them. The results are committed, so building the site
 * never trains anything.
 *
 *     npm run docs:plots                        # all six examples (about half a minute)
 *     npm run docs:plots -- city-placement      # just some of them
 */
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const examples = ["gradient-descent", "sgd-quadratic", "polynomial-optim", "linear-regression", "mlp-regression", "two-layer-net", "city-placement", "batched-experiments", "model-ensembling", "cnn-digits", "mnist-cnn", "char-transformer", "signal-filter"];
const root = join(import.meta.dirname, "..", "..");
const publicDir = join(root, "docs", "public", "tutorials");

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !examples.includes(name));
if (unknown.length > 0) {
  console.error(`unknown example(s): ${unknown.join(", ")}; the examples are ${examples.join(", ")}`);
  process.exit(2);
}

// On a terminal the examples draw progress bars, which bypass console.log; the pages show plain lines.
Object.defineProperty(process.stdout, "isTTY", { value: false });

for (const name of wanted.length > 0 ? wanted : examples) {
  const outDir = join(root, "out", name);
  const target = join(publicDir, name);
  console.log(`\n=== ${name}`);
  const example = (await import(join(root, "examples", `${name}.ts`))) as { run: (options: object) => Promise<{ files: string[] }> };

  // keep what the example prints, for its page, while still showing it here
  const printed: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => {
    printed.push(args.map(String).join(" "));
    log(...args);
  };
  let files: string[];
  try {
    ({ files } = await example.run({ outDir, png: false }));
  } finally {
    console.log = log;
  }

  // the lines that name the output folder point into out/, which is not where the site has them
  const output = printed.join("\n").replace(/\n*plots written to[\s\S]*$/, "").trim();
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  for (const file of files.filter((f) => f.endsWith(".svg"))) copyFileSync(file, join(target, basename(file)));
  writeFileSync(join(target, "output.txt"), `${output}\n`);
  console.log(`copied to docs/public/tutorials/${name}/: ${readdirSync(target).join(", ")}`);
}

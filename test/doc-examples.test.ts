/**
 * Every `@example` in the doc comments of the library (src/nn, optim, lax, transforms, numpy, random) runs (each in
 * a scope of its own, with the package's namespaces in scope), so the
 * examples in the API reference never rot.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import * as jaxon from "../src/index.js";

const root = join(import.meta.dirname, "..", "src");
// recursive: a family split into a folder (lax/control-flow/) keeps its examples run
const files = ["nn", "optim", "lax", "transforms", "numpy", "random", "scipy"].flatMap((dir) =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `${dir}/${f}`),
);

/** The @example blocks of a file's doc comments, with the line each starts on. */
function examples(source: string): { line: number; code: string }[] {
  const out: { line: number; code: string }[] = [];
  const re = /\/\*\*([\s\S]*?)\*\//g;
  for (let m = re.exec(source); m; m = re.exec(source)) {
    const lines = m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, ""));
    const start = lines.findIndex((l) => l.startsWith("@example"));
    if (start < 0) continue;
    const body: string[] = [lines[start].slice("@example".length)];
    for (const l of lines.slice(start + 1)) {
      if (l.startsWith("@")) break;
      body.push(l);
    }
    out.push({ line: source.slice(0, m.index).split("\n").length, code: body.join("\n").trim() });
  }
  return out;
}

const prelude = "const { np, nn, optim, random, scipy, grad, jit, vmap, tree, lax, valueAndGrad, jvp, vjp, linearize, jacfwd, jacrev, hessian, makeJaxpr, customJvp, customVjp, checkpoint, stopGradient } = jaxon;\nconst a = np.ones([2, 3]), b = np.ones([3, 4]), x = np.array([3, 1, 2]), v = np.array([1, 2, 3]), key = random.key(0);\n" +
  "const i = np.array(1, { dtype: \"int32\" }), idx = np.array([2, 0], { dtype: \"int32\" }), keys = np.array([3, 1, 2]), values = np.array([30, 10, 20]);\n" +
  "const k0 = np.array(0, { dtype: \"uint32\" }), k1 = np.array(42, { dtype: \"uint32\" }), iota0 = lax.iota(\"uint32\", 4), iota1 = lax.iota(\"uint32\", 4), logits = np.array([[0, 1, 2], [2, 1, 0]]), logits1d = np.array([0, 1, 2]);\n" +
  "const y = np.ones([2, 4, 5]), m = np.ones([3, 3]);\n";

async function run(code: string) {
  const body = code.replace(/^import\s+\{([^}]*)\}\s+from\s+"jaxon-ts";?$/gm, (_m, names: string) =>
    `const {${names.replace(/\btype\s+\w+\s*,?/g, "").replace(/\bas\b/g, ":")}} = jaxon;`,
  );
  const usesImport = body !== code;
  // the example runs in a block of its own, so its names may shadow the prelude's
  const js = (await transform((usesImport ? "" : prelude) + "{\n" + body + "\n}", { loader: "ts", format: "esm" })).code;
  await new Function("jaxon", `return (async () => {\n${js}\n})();`)(jaxon);
}

// files without doc examples (internal helpers, re-export indexes) have nothing to run
const withExamples = files.filter((f) => examples(readFileSync(join(root, f), "utf8")).length > 0);
describe.each(withExamples)("src/%s", (file) => {
  const found = examples(readFileSync(join(root, file), "utf8"));
  it.each(found.map((e) => [e.line, e] as const))("example of the comment at line %i runs", async (_line, e) => {
    await run(e.code);
  });
});

/**
 * Every `@example` in the doc comments of src/nn and src/optim runs (each in
 * a scope of its own, with the package's namespaces in scope), so the
 * examples in the API reference never rot.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import * as jaxon from "../src/index.js";

const root = join(import.meta.dirname, "..", "src");
const files = ["nn", "optim"].flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts")).map((f) => `${dir}/${f}`));

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

const prelude = "const { np, nn, optim, random, grad, jit, vmap, tree, lax, valueAndGrad } = jaxon;\n";

async function run(code: string) {
  const body = code.replace(/^import\s+\{([^}]*)\}\s+from\s+"jaxon";?$/gm, (_m, names: string) =>
    `const {${names.replace(/\btype\s+\w+\s*,?/g, "").replace(/\bas\b/g, ":")}} = jaxon;`,
  );
  const usesImport = body !== code;
  const js = (await transform((usesImport ? "" : prelude) + body, { loader: "ts", format: "esm" })).code;
  await new Function("jaxon", `return (async () => {\n${js}\n})();`)(jaxon);
}

describe.each(files)("src/%s", (file) => {
  const found = examples(readFileSync(join(root, file), "utf8"));
  it("has examples", () => expect(found.length).toBeGreaterThan(0));
  it.each(found.map((e) => [e.line, e] as const))("example of the comment at line %i runs", async (_line, e) => {
    await run(e.code);
  });
});

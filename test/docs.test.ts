/**
 * Every ```ts block in docs/*.md runs, and every `// => text` comment must
 * match what the block printed at that point (so the docs never rot).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { transform } from "esbuild";
import { describe, expect, it } from "vitest";
import * as jaxon from "../src/index.js";

const docsDir = join(import.meta.dirname, "..", "docs");
const pages = readdirSync(docsDir).filter((f) => f.endsWith(".md"));

interface Block {
  code: string;
  expected: string[];
  line: number;
}

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /```ts\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    const code = m[1];
    const expected = code
      .split("\n")
      .filter((l) => l.trimStart().startsWith("// =>"))
      .map((l) => l.trimStart().slice(5).replace(/^ /, ""));
    out.push({ code, expected, line: md.slice(0, m.index).split("\n").length });
  }
  return out;
}

async function run(code: string): Promise<string[]> {
  // imports from "jaxon" become the package under test; types are stripped by esbuild
  const body = code.replace(/^import\s+\{([^}]*)\}\s+from\s+"jaxon";?$/gm, (_m, names: string) => `const {${names.replace(/\bas\b/g, ":")}} = jaxon;`);
  const js = (await transform(body, { loader: "ts", format: "esm" })).code;
  const printed: string[] = [];
  const console = { log: (...args: unknown[]) => printed.push(...args.map(String).join(" ").split("\n")) };
  const fn = new Function("jaxon", "console", `return (async () => {\n${js}\n})();`);
  await fn(jaxon, console);
  return printed;
}

describe.each(pages)("docs/%s", (page) => {
  const md = readFileSync(join(docsDir, page), "utf8");
  it.each(blocks(md).map((b) => [b.line, b] as const))("block at line %i runs and prints what it says", async (_line, b) => {
    const printed = await run(b.code);
    expect(printed).toEqual(b.expected);
  });
});

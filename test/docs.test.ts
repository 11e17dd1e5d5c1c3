/**
 * Every ```ts block in the docs pages (docs/**\/*.md, but not the generated
 * API reference in docs/api/) runs, and every `// => text` comment must match
 * what the block printed at that point (so the docs never rot).
 *
 * Each block starts on the CPU, as a fresh program would before `init()`. A
 * block marked ```ts continued goes on from the block before it (a
 * tutorial's steps): it runs after that block's code, in one program.
 */
import * as nodeFs from "node:fs";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { transform } from "esbuild";
import { beforeEach, describe, expect, it } from "vitest";
import * as jaxon from "../src/index.js";

const docsDir = join(import.meta.dirname, "..", "docs");
/** Folders of docs/ that hold no hand-written pages: VitePress's own (config, cache, build), static files, TypeDoc's output. */
const skipped = new Set([".vitepress", "public", "api", "scripts"].map((d) => join(docsDir, d)));

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return skipped.has(path) ? [] : markdownFiles(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const pages = markdownFiles(docsDir).map((path) => relative(docsDir, path)).sort();

interface Block {
  code: string;
  expected: string[];
  line: number;
  /** The code and outputs of the blocks this one continues (```ts continued), run first; empty otherwise. */
  before: { code: string; expected: string[] };
}

function blocks(md: string): Block[] {
  const out: Block[] = [];
  // ```ts, also with VitePress's line highlights or a title after the language (```ts{2} or ```ts [title]);
  // a block whose info string says `continued` goes on from the block before it (a tutorial's steps,
  // each beside its PyTorch original): it runs after that block's code (and its chain), in one program
  const re = /^```(?:ts|typescript)((?:[ {][^\n]*)?)\n([\s\S]*?)^```/gm;
  for (let m = re.exec(md); m; m = re.exec(md)) {
    const code = m[2];
    const expected = code
      .split("\n")
      .filter((l) => l.trimStart().startsWith("// =>"))
      .map((l) => l.trimStart().slice(5).replace(/^ /, ""));
    const prev = out.at(-1);
    const before = /\bcontinued\b/.test(m[1]) && prev
      ? { code: `${prev.before.code}\n${prev.code}`, expected: [...prev.before.expected, ...prev.expected] }
      : { code: "", expected: [] };
    out.push({ code, expected, line: md.slice(0, m.index).split("\n").length, before });
  }
  return out;
}

async function run(code: string): Promise<string[]> {
  // imports from "jaxon-ts" become the package under test (type-only names dropped); types are stripped by esbuild
  // (and from "node:fs", for a tutorial that reads a file as its original does)
  const body = code.replace(/^import\s+\{([^}]*)\}\s+from\s+"(jaxon-ts|node:fs)";?$/gm, (_m, names: string, from: string) =>
    `const {${names.replace(/\btype\s+\w+\s*,?/g, "").replace(/\bas\b/g, ":")}} = ${from === "node:fs" ? "nodeFs" : "jaxon"};`,
  );
  const js = (await transform(body, { loader: "ts", format: "esm" })).code;
  const printed: string[] = [];
  const log = (...args: unknown[]) => {
    printed.push(...args.map(String).join(" ").split("\n"));
  };
  // what the library itself prints (jitConfig.logCompiles, for one) is part of the block's output too
  const original = globalThis.console.log;
  globalThis.console.log = log;
  try {
    const fn = new Function("jaxon", "nodeFs", "console", `return (async () => {\n${js}\n})();`);
    await fn(jaxon, nodeFs, { ...globalThis.console, log });
  } finally {
    globalThis.console.log = original;
  }
  return printed;
}

beforeEach(() => {
  jaxon.defaultDevice("cpu");
});

it("finds the docs pages", () => {
  expect(pages).toContain("guide/getting-started.md");
});

// pages without a ```ts block (the home page's hero, the tutorials' index) have nothing to run
const withBlocks = pages.filter((page) => blocks(readFileSync(join(docsDir, page), "utf8")).length > 0);

/**
 * DOCS_WRITE=1 rewrites a block's `// =>` comments with what it printed, when
 * it printed as many lines as it has comments (for a deliberate change of
 * output, e.g. a printing format; read the diff before committing it).
 */
const rewrite = process.env.DOCS_WRITE === "1";

describe.each(withBlocks)("docs/%s", (page) => {
  const md = readFileSync(join(docsDir, page), "utf8");
  it.each(blocks(md).map((b) => [b.line, b] as const))("block at line %i runs and prints what it says", async (_line, b) => {
    const all = await run(`${b.before.code}\n${b.code}`);
    // what the blocks it continues print is checked at those blocks
    const printed = all.slice(Math.min(all.length, b.before.expected.length));
    if (b.before.expected.length > 0) expect(all.slice(0, b.before.expected.length)).toEqual(b.before.expected);
    if (rewrite && printed.length === b.expected.length && printed.some((p, i) => p !== b.expected[i])) rewriteBlock(page, b, printed);
    else expect(printed).toEqual(b.expected);
  });
});

function rewriteBlock(page: string, b: Block, printed: string[]): void {
  const path = join(docsDir, page);
  const lines = readFileSync(path, "utf8").split("\n");
  let k = 0;
  for (let i = b.line; k < printed.length && i < lines.length && !lines[i].startsWith("```"); i++) {
    const m = /^(\s*)\/\/ =>/.exec(lines[i]);
    if (m) lines[i] = `${m[1]}// => ${printed[k++]}`.trimEnd();
  }
  writeFileSync(path, lines.join("\n"));
}

/**
 * The layering of src/ (docs/architecture.md), checked on the import
 * statements themselves: every `import`/`export ... from` and `import()` of
 * a file under src/, type-only ones included (a type names knowledge as much
 * as a value does). A new import that crosses a layer the wrong way fails
 * here with the rule it breaks.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const SRC = resolve(__dirname, "../src");

type Layer = "foundation" | "trace" | "backend" | "lax" | "runtime" | "transforms" | "libraries" | "api";

/** Which layer a file (path relative to src/, with `/`) belongs to. */
function layerOf(file: string): Layer {
  if (["dtype.ts", "shape.ts", "errors.ts", "static-args.ts", "array-methods.ts", "array-text.ts", "config-state.ts"].includes(file)) return "foundation";
  // the platform shims (Node's built-ins and Dawn, or the browser's): below everything, importing nothing of ours
  if (file.startsWith("host/")) return "foundation";
  if (file === "array.ts" || file.startsWith("runtime/")) return "runtime";
  if (file === "tree.ts") return "libraries";
  // the public surface: re-exports, and the device functions (init, devicePut, stats) that gather every layer's counters
  if (file === "index.ts" || file === "devices.ts") return "api";
  const top = file.split("/")[0];
  if (top === "trace" || top === "backend" || top === "lax" || top === "transforms") return top;
  if (["numpy", "random", "nn", "optim", "io", "scipy"].includes(top)) return "libraries";
  throw new Error(`layering: ${file} belongs to no layer; add it to docs/architecture.md and to layerOf`);
}

/** What a layer may import besides itself (docs/architecture.md, "What each layer may import"). */
const MAY_IMPORT: Record<Layer, Layer[]> = {
  foundation: [],
  trace: ["foundation"],
  backend: ["foundation"],
  lax: ["foundation", "trace", "transforms"],
  runtime: ["foundation", "trace", "backend", "lax"],
  transforms: ["foundation", "trace", "lax", "runtime"],
  libraries: ["foundation", "trace", "lax", "transforms", "runtime"],
  api: ["foundation", "trace", "backend", "lax", "runtime", "transforms", "libraries"],
};

/**
 * Narrower rules within an allowed pair. `lax/` writes lowerings in the
 * backend-neutral kernel IR (backend/kernel.ts, the `Lowering` and routine
 * parameter types of backend/device.ts) without knowing any device; the user
 * libraries reach the runtime only through its public surface (Array, the
 * runtime's index), never its internals.
 */
function allowedAcross(from: string, to: string, typeOnly: boolean): boolean {
  const [a, b] = [layerOf(from), layerOf(to)];
  if (a === b || MAY_IMPORT[a].includes(b) && !(a === "libraries" && b === "runtime")) return true;
  if (a === "lax" && b === "backend") return to === "backend/kernel.ts" || to === "backend/composites.ts" || to === "backend/stablehlo.ts" || (to === "backend/device.ts" && typeOnly);
  // the StableHLO exporter (transforms/export.ts) drives the builder the lax rules write with
  if (a === "transforms" && b === "backend") return to === "backend/stablehlo.ts";
  if (a === "libraries" && b === "runtime") return to === "array.ts" || to === "runtime/index.ts";
  return false;
}

/**
 * Known violations, each with its reason, to be emptied (the test fails when
 * one is fixed, so the list only shrinks). Format: "from -> to".
 */
const KNOWN: Record<string, string> = {
};

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** Every import of another src/ file, found by TypeScript's parser (comments and strings cannot fool it). */
function importsOf(path: string): Edge[] {
  const from = relative(SRC, path).split("\\").join("/");
  const sf = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const edges: Edge[] = [];
  const add = (spec: string, typeOnly: boolean) => {
    if (!spec.startsWith(".")) return; // packages (fp-ts, webgpu, node:…) are not layers
    const to = relative(SRC, resolve(dirname(path), spec.replace(/\.js$/, ".ts"))).split("\\").join("/");
    if (to.startsWith("..")) return;
    edges.push({ from, to: statExists(join(SRC, to)) ? to : to.replace(/\.ts$/, "/index.ts"), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!c.namedBindings && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false);
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      // `declare module "./x.js"` (augmentation) names x as much as an import does
      add(node.name.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

function statExists(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

const edges = sourceFiles(SRC).flatMap(importsOf);
const violations = edges.filter((e) => !allowedAcross(e.from, e.to, e.typeOnly)).map((e) => `${e.from} -> ${e.to}`);
const unique = [...new Set(violations)].sort();

describe("layering (docs/architecture.md)", () => {
  it("finds the imports it checks (the parser sees real edges, type-only ones and dynamic imports included)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(edges).toContainEqual({ from: "runtime/dispatch.ts", to: "lax/primitive.ts", typeOnly: false });
    expect(edges).toContainEqual({ from: "lax/dot.ts", to: "backend/device.ts", typeOnly: true });
    expect(edges.some((e) => e.from === "devices.ts" && e.to === "backend/webgpu/adapter.ts")).toBe(true); // import()
    // a doc comment's `import { tree } from "jaxon"` is not an import
    expect(edges.filter((e) => e.from === "tree.ts").every((e) => !e.to.includes("jaxon"))).toBe(true);
  });

  it("the rules reject what the architecture forbids", () => {
    expect(allowedAcross("trace/staging.ts", "array.ts", false)).toBe(false);
    expect(allowedAcross("trace/jaxpr.ts", "backend/device.ts", true)).toBe(false);
    expect(allowedAcross("backend/webgpu/index.ts", "lax/primitive.ts", false)).toBe(false);
    expect(allowedAcross("backend/cpu/index.ts", "array.ts", true)).toBe(false);
    expect(allowedAcross("lax/primitive.ts", "array.ts", false)).toBe(false);
    expect(allowedAcross("lax/primitive.ts", "backend/device.ts", false)).toBe(false); // getBackend: where it runs
    expect(allowedAcross("lax/elementwise.ts", "backend/kernel.ts", false)).toBe(true);
    expect(allowedAcross("lax/control-flow.ts", "runtime/execute.ts", false)).toBe(false);
    expect(allowedAcross("numpy/creation.ts", "runtime/placement.ts", false)).toBe(false);
    expect(allowedAcross("numpy/creation.ts", "backend/device.ts", true)).toBe(false);
    expect(allowedAcross("runtime/execute.ts", "transforms/jit.ts", false)).toBe(false);
  });

  it("every import follows the layering, except the known violations listed with their reasons", () => {
    const unexpected = unique.filter((v) => !(v in KNOWN));
    expect(unexpected, `imports that break docs/architecture.md's layering:\n${unexpected.join("\n")}`).toEqual([]);
    const fixed = Object.keys(KNOWN).filter((k) => !unique.includes(k));
    expect(fixed, "known violations that are gone: remove them from KNOWN").toEqual([]);
  });

  it("trace/ imports nothing but dtype, shape, errors, static-args and the method surface (and its own files)", () => {
    const outside = edges.filter((e) => e.from.startsWith("trace/") && !e.to.startsWith("trace/")).map((e) => e.to);
    expect([...new Set(outside)].sort()).toEqual(["array-methods.ts", "dtype.ts", "errors.ts", "shape.ts", "static-args.ts"].filter((f) => outside.includes(f)));
    expect(outside.filter((f) => !["array-methods.ts", "dtype.ts", "errors.ts", "shape.ts", "static-args.ts"].includes(f))).toEqual([]);
  });
});

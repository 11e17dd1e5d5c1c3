/**
 * The remaining NumPy and top-level names of issue 16: print options and
 * arrays as text (np.printoptions, np.arrayRepr, np.arrayStr, String(x)),
 * np.einsumPath, np.fromiter, np.frompyfunc, liveArrays, tree.static.
 * Texts and paths are JAX's, from test/fixtures/numpy-names3/generate.py.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Array as JArray, defaultDevice, np, ShapeError } from "../src/index.js";
import type { DType } from "../src/index.js";

defaultDevice("cpu");

const fixtures = join(import.meta.dirname, "fixtures", "numpy-names3");
interface FixtureArray {
  shape: number[];
  dtype: string;
  values: (number | string)[];
}
interface Printing {
  arrays: Record<string, FixtureArray>;
  options: Record<string, Record<string, unknown>>;
  cases: { array: string; options: string; repr: string; str: string }[];
  overrides: { array: string; options: { max_line_width?: number; precision?: number; suppress_small?: boolean }; repr: string; str: string }[];
}
const printing = JSON.parse(readFileSync(join(fixtures, "printing.json"), "utf8")) as Printing;

const decode = (v: number | string) => (v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number));

function make(name: string): JArray {
  const f = printing.arrays[name];
  const values = f.values.map(decode);
  const dtype = f.dtype as DType;
  const typed =
    dtype === "float64" || dtype === "complex128" ? new Float64Array(values)
    : dtype === "int32" ? new Int32Array(values)
    : dtype === "uint8" ? new Uint8Array(values)
    : dtype === "bool" ? new Uint8Array(values)
    : new Float32Array(values);
  return (np.array(typed, { dtype }) as JArray).reshape(f.shape) as JArray;
}

/** NumPy's option names as jaxon's (the same, camelCase where they differ: none do). */
const jaxonOptions = (o: Record<string, unknown>) => o as Partial<np.PrintOptions>;

describe("np.arrayRepr and np.arrayStr match JAX's repr and str", () => {
  for (const c of printing.cases) {
    it(`${c.array} with ${c.options}`, () => {
      const x = make(c.array);
      const [repr, str] = np.printoptions(jaxonOptions(printing.options[c.options]), () => [np.arrayRepr(x), np.arrayStr(x)]);
      expect(repr).toBe(c.repr);
      expect(str).toBe(c.str);
    });
  }

  for (const c of printing.overrides) {
    it(`${c.array} with ${JSON.stringify(c.options)} for one call`, () => {
      const x = make(c.array);
      const o = { maxLineWidth: c.options.max_line_width, precision: c.options.precision, suppressSmall: c.options.suppress_small };
      expect(np.arrayRepr(x, o)).toBe(c.repr);
      expect(np.arrayStr(x, o)).toBe(c.str);
      // the call's options do not stay
      expect(np.getPrintoptions()).toEqual(np.getPrintoptions());
      expect(np.getPrintoptions().precision).toBe(8);
    });
  }
});

describe("print options", () => {
  it("printoptions is a scope: returns the callback's value and restores the options, also after a throw", () => {
    const before = np.getPrintoptions();
    expect(np.printoptions({ precision: 2 }, () => np.getPrintoptions().precision)).toBe(2);
    expect(() => np.printoptions({ precision: 2 }, () => { throw new Error("inside"); })).toThrow("inside");
    expect(np.getPrintoptions()).toEqual(before);
  });

  it("setPrintoptions keeps what it does not name", () => {
    const saved = np.getPrintoptions();
    try {
      np.setPrintoptions({ precision: 3 });
      np.setPrintoptions({ suppress: true });
      expect(np.getPrintoptions()).toMatchObject({ precision: 3, suppress: true, threshold: 1000 });
    } finally {
      np.setPrintoptions(saved);
    }
    expect(np.getPrintoptions()).toEqual(saved);
  });

  it("refuses unknown options and bad values with a ShapeError naming the option", () => {
    expect(() => np.setPrintoptions({ precison: 3 } as never)).toThrow(/unknown print option "precison"/);
    expect(() => np.setPrintoptions({ precision: -1 })).toThrow(ShapeError);
    expect(() => np.printoptions({ floatmode: "exact" as never }, () => 0)).toThrow(/floatmode/);
    expect(() => np.printoptions({ sign: "x" as never }, () => 0)).toThrow(/sign/);
  });

  it("String(x) prints JAX's repr when a layout option is set", () => {
    for (const c of printing.cases) {
      if (["default", "threshold5", "nanstr"].includes(c.options)) continue;
      const x = make(c.array);
      expect(np.printoptions(jaxonOptions(printing.options[c.options]), () => String(x)), `${c.array} ${c.options}`).toBe(c.repr);
    }
  });

  it("String(x) keeps its compact text by default and honours threshold, edgeitems, nanstr and infstr", () => {
    expect(String(np.array([1, 2.5], { dtype: "float32" }))).toBe("Array([1, 2.5], dtype=float32)");
    expect(np.printoptions({ threshold: 5, edgeitems: 2 }, () => String(np.arange(10)))).toBe("Array([0, 1, ..., 8, 9], dtype=int32)");
    expect(np.printoptions({ threshold: 5, edgeitems: 1 }, () => String(np.arange(12).reshape([3, 4])))).toBe("Array([[0, ..., 3],\n       ...,\n       [8, ..., 11]], dtype=int32)");
    expect(np.printoptions({ nanstr: "NaN", infstr: "Inf" }, () => String(np.array([NaN, -Infinity, 1], { dtype: "float32" })))).toBe("Array([NaN, -Inf, 1], dtype=float32)");
    // the defaults are back after the scope
    expect(String(np.arange(1001))).toBe("Array([0, 1, 2, ..., 998, 999, 1000], dtype=int32)");
  });
});

interface PathCase {
  subscripts: string;
  shapes: number[][];
  optimize: string | boolean | number[][];
  path: number[][];
  summary: string[];
  naive_flops: number;
  optimized_flops: number;
  contractions: { operands: number[]; einsum: string; remaining: string[] }[];
}
const pathCases = JSON.parse(readFileSync(join(fixtures, "einsum-path.json"), "utf8")) as PathCase[];

describe("np.einsumPath matches jnp.einsum_path", () => {
  for (const c of pathCases) {
    it(`${c.subscripts} ${JSON.stringify(c.shapes)} optimize=${JSON.stringify(c.optimize)}`, () => {
      const operands = c.shapes.map((s) => np.zeros(s));
      const [path, info] = np.einsumPath(c.subscripts, ...operands, { optimize: c.optimize as np.EinsumPathOptimize });
      expect(path).toEqual(c.path);
      expect(String(info).split("\n")).toEqual(c.summary);
      expect([info.naiveFlops, info.optimizedFlops]).toEqual([c.naive_flops, c.optimized_flops]);
      expect(info.contractions.map((k) => ({ operands: k.operands, einsum: k.einsum, remaining: k.remaining }))).toEqual(c.contractions);
    });
  }

  it("the path it gives computes the same einsum", () => {
    const a = np.arange(6).reshape([2, 3]).astype("float32");
    const b = np.arange(12).reshape([3, 4]).astype("float32");
    const d = np.arange(8).reshape([4, 2]).astype("float32");
    const [path] = np.einsumPath("ij,jk,kl->il", a, b, d, { optimize: "optimal" });
    // contract in the path's order by hand
    let ops = [a, b, d] as JArray[];
    let subs = ["ij", "jk", "kl"];
    for (const step of path) {
      const sorted = [...step].sort((x, y) => y - x);
      const taken = sorted.map((p) => ops[p]);
      const names = sorted.map((p) => subs[p]);
      ops = ops.filter((_, k) => !sorted.includes(k));
      subs = subs.filter((_, k) => !sorted.includes(k));
      const all = names.join("");
      const out = [...new Set(all)].filter((l) => "il".includes(l) || subs.join("").includes(l)).join("");
      ops.push(np.einsum(`${names.join(",")}->${out}`, ...taken) as JArray);
      subs.push(out);
    }
    const got = np.einsum(`${subs[0]}->il`, ops[0]) as JArray;
    expect(got.arraySync()).toEqual((np.einsum("ij,jk,kl->il", a, b, d) as JArray).arraySync());
  });

  it("refuses bad subscripts, shapes and paths with a typed error", () => {
    expect(() => np.einsumPath("ij,jk", np.ones([2, 3]), np.ones([4, 5]))).toThrow(/letter "j" has size 3/);
    expect(() => np.einsumPath("ij,jk", np.ones([2, 3]))).toThrow(ShapeError);
    expect(() => np.einsumPath("ij,jk,kl", np.ones([2, 3]), np.ones([3, 4]), np.ones([4, 5]), { optimize: [[0, 7]] })).toThrow(/step 0/);
    expect(() => np.einsumPath("i$", np.ones([2, 3]))).toThrow(/invalid subscripts/);
  });
});

/**
 * The remaining NumPy and top-level names of issue 16: print options and
 * arrays as text (np.printoptions, np.arrayRepr, np.arrayStr, String(x)),
 * np.einsumPath, np.fromiter, np.frompyfunc, liveArrays, tree.static.
 * Texts and paths are JAX's, from test/fixtures/numpy-names3/generate.py.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Array as JArray, defaultDevice, grad, jit, liveArrays, np, ShapeError, tree, UnsupportedError } from "../src/index.js";
import type { DType, Value } from "../src/index.js";

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

const ufuncFixture = JSON.parse(readFileSync(join(fixtures, "frompyfunc.json"), "utf8")) as Record<string, unknown>;

describe("np.frompyfunc matches jnp.frompyfunc", () => {
  const body = (a: Value, b: Value) => a.mul(b).add(1);
  const u = np.frompyfunc(body, 2, 1, { identity: 5 });
  const v = np.frompyfunc(body, 2, 1);
  const x = np.array([1, 2, 3]);
  const m = np.arange(6).reshape([2, 3]).astype("float32").div(4);
  const read = (a: unknown) => (a as JArray).arraySync();

  it("calls, broadcasting its arguments", () => {
    expect(read(u(x, 2))).toEqual(ufuncFixture.call);
    expect(read(v(m, np.array([1, -1, 0.5])))).toEqual(ufuncFixture.call_broadcast);
    const w = np.frompyfunc((a: Value) => [a.add(1), a.mul(2)], 1, 2);
    expect((w(x) as Value[]).map(read)).toEqual(ufuncFixture.two_outputs);
    expect({ nin: u.nin, nout: u.nout, nargs: u.nargs, identity: u.identity }).toEqual(ufuncFixture.attrs);
  });

  it("reduces from the identity, the initial value or the first element, along any axis", () => {
    expect(read(u.reduce(x))).toEqual(ufuncFixture.reduce_identity);
    expect(read(v.reduce(x))).toEqual(ufuncFixture.reduce_first);
    expect(read(u.reduce(x, { initial: 2 }))).toEqual(ufuncFixture.reduce_initial);
    expect(read(v.reduce(m))).toEqual(ufuncFixture.reduce_axis0);
    expect(read(v.reduce(m, { axis: 1 }))).toEqual(ufuncFixture.reduce_axis1);
    expect(read(v.reduce(m, { axis: null }))).toEqual(ufuncFixture.reduce_none);
    expect(read(v.reduce(m, { axis: 1, keepdims: true }))).toEqual(ufuncFixture.reduce_keepdims);
  });

  it("accumulates and takes outer products", () => {
    expect(read(v.accumulate(x))).toEqual(ufuncFixture.accumulate);
    expect(read(v.accumulate(m, { axis: 1 }))).toEqual(ufuncFixture.accumulate_axis1);
    expect(read(u.outer(x, np.array([1, 2])))).toEqual(ufuncFixture.outer);
  });

  it("works under jit and grad", () => {
    expect(read(jit((a: Value) => v.reduce(a))(x))).toEqual(ufuncFixture.reduce_first);
    // d/dx of ((x0·x1+1)·x2+1) at (1, 2, 3) = [x1·x2, x0·x2, x0·x1+1]
    expect(read(grad((a: Value) => v.reduce(a) as Value)(x))).toEqual([6, 3, 3]);
  });

  it("refuses a wrong number of arguments and methods a ufunc of this arity lacks", () => {
    expect(() => u(x)).toThrow(/takes 2 arguments/);
    const w = np.frompyfunc((a: Value) => a.add(1), 1, 1);
    expect(() => w.reduce(x)).toThrow(/two inputs and one output/);
    expect(() => v.reduce(np.zeros([0]))).toThrow(/initial value or an identity/);
  });
});

describe("np.fromiter", () => {
  it("reads an iterable into a 1-d array, at most count items", () => {
    function* squares() {
      for (let i = 0; ; i++) yield i * i;
    }
    expect((np.fromiter(squares(), { dtype: "int32", count: 5 }) as JArray).arraySync()).toEqual([0, 1, 4, 9, 16]);
    const s = np.fromiter(new Set([1.5, 2, 2, 3])) as JArray;
    expect([s.dtype, s.arraySync()]).toEqual(["float32", [1.5, 2, 3]]);
    expect((np.fromiter([true, false], { dtype: "bool" }) as JArray).arraySync()).toEqual([true, false]);
  });

  it("refuses too few items, non-numbers and non-iterables", () => {
    expect(() => np.fromiter([1, 2], { count: 3 })).toThrow(/fewer than count=3/);
    expect(() => np.fromiter(["a"] as never)).toThrow(/numbers or booleans/);
    expect(() => np.fromiter(5 as never)).toThrow(/iterable/);
  });
});

describe("liveArrays", () => {
  it("says how to start tracking when it is off", () => {
    expect(() => liveArrays()).toThrow(/liveArrays.track\(\)/);
  });

  it("lists the arrays alive now, not disposed ones, and filters by device", () => {
    const untracked = np.zeros([1]) as JArray;
    liveArrays.track();
    const tracked = np.zeros([1]) as JArray;
    // arrays made before tracking began are not seen; those made after are, in order
    expect(liveArrays()).not.toContain(untracked);
    expect(liveArrays().at(-1)).toBe(tracked);
    const a = np.ones([2, 3]) as JArray;
    const b = np.zeros([4]) as JArray;
    expect(liveArrays()).toContain(a);
    expect(liveArrays("cpu")).toContain(b);
    expect(liveArrays("webgpu")).not.toContain(b);
    a.dispose();
    expect(liveArrays()).not.toContain(a);
    expect(liveArrays().every((x) => !x.isDisposed)).toBe(true);
    liveArrays.track(false);
    expect(() => liveArrays()).toThrow(UnsupportedError);
  });
});

describe("tree.static", () => {
  it("is part of the structure, not a leaf, and comes back on unflatten", () => {
    const op = { x: 1, y: 2, kind: tree.static("add") };
    const [leaves, def] = tree.flatten(op);
    expect(leaves).toEqual([1, 2]);
    expect(String(def)).toBe('PyTreeDef({x: *, y: *, kind: static("add")})');
    expect(tree.unflatten(def, [3, 4]).kind.value).toBe("add");
    expect(tree.structure(op).equals(tree.structure({ x: 0, y: 0, kind: tree.static("add") }))).toBe(true);
    expect(tree.structure(op).equals(tree.structure({ x: 0, y: 0, kind: tree.static("mul") }))).toBe(false);
    expect(tree.structure(op).key).not.toBe(tree.structure({ x: 0, y: 0, kind: tree.static("mul") }).key);
    expect(tree.map((l: number) => l * 10, op)).toEqual({ x: 10, y: 20, kind: op.kind });
  });

  it("jit compiles once per static value and grad passes it through", () => {
    let traces = 0;
    const f = jit((p: { x: Value; y: Value; kind: tree.Static<string> }) => {
      traces++;
      return p.kind.value === "add" ? p.x.add(p.y) : p.x.mul(p.y);
    });
    const x = np.array(3);
    const y = np.array(4);
    expect((f({ x, y, kind: tree.static("add") }) as JArray).itemSync()).toBe(7);
    expect((f({ x, y, kind: tree.static("mul") }) as JArray).itemSync()).toBe(12);
    expect((f({ x, y, kind: tree.static("add") }) as JArray).itemSync()).toBe(7);
    expect(traces).toBe(2);
    const g = grad((p: { x: Value; k: tree.Static<number> }) => p.x.mul(p.k.value).sum())({ x: np.array([1, 2]), k: tree.static(3) });
    expect((g.x as JArray).arraySync()).toEqual([3, 3]);
    expect(g.k.value).toBe(3);
  });
});

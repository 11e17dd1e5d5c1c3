/**
 * Complex numbers (issue #14): the foundation in src/dtype.ts — JAX's
 * promotion lattice with complex, the `{re, im}` literal form, the interleaved
 * layout, NumPy's text. Expected values come from real JAX/NumPy
 * (test/fixtures/complex/generate.py).
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  allocateComplex,
  asComplexLiteral,
  complex,
  complexOf,
  complexPartOf,
  flattenComplex,
  formatComplex,
  formatComplexArray,
  isComplexDType,
  nestComplex,
  promoteTypes,
  promoteTypesAny,
  type AnyDType,
  type DType,
} from "../src/dtype.js";
import { DTypeError, ShapeError } from "../src/errors.js";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/complex/${name}`, import.meta.url), "utf8"));
const num = (v: number | string) => (typeof v === "number" ? v : Number(v.replace("inf", "Infinity")));

describe("complex dtypes: promotion lattice (JAX's, fixtures from jax.dtypes.result_type)", () => {
  const cases: { a: [AnyDType, boolean]; b: [AnyDType, boolean]; out: [AnyDType, boolean] }[] = fixture("promotion.json");
  it("has every pair of dtypes and weak kinds", () => expect(cases.length).toBe(11 * 11));
  it.each(cases.map((c) => [`${c.a.join("/")} ⊔ ${c.b.join("/")}`, c] as const))("%s", (_, c) => {
    const got = promoteTypesAny({ dtype: c.a[0], weakType: c.a[1] }, { dtype: c.b[0], weakType: c.b[1] });
    expect([got.dtype, got.weakType]).toEqual(c.out);
  });
  it("agrees with promoteTypes on the real dtypes", () => {
    for (const c of cases) {
      if (isComplexDType(c.a[0]) || isComplexDType(c.b[0])) continue;
      const a = { dtype: c.a[0] as DType, weakType: c.a[1] };
      const b = { dtype: c.b[0] as DType, weakType: c.b[1] };
      expect(promoteTypesAny(a, b)).toEqual(promoteTypes(a, b));
    }
  });
  it("is associative over three operands where JAX's lattice is", () => {
    const ds: AnyDType[] = ["bool", "int32", "float16", "float32", "float64", "complex64", "complex128"];
    for (const a of ds) for (const b of ds) for (const c of ds) {
      const ab = promoteTypesAny({ dtype: a, weakType: false }, { dtype: b, weakType: false });
      const left = promoteTypesAny(ab, { dtype: c, weakType: false });
      expect(promoteTypesAny({ dtype: a, weakType: false }, { dtype: b, weakType: false }, { dtype: c, weakType: false })).toEqual(left);
    }
  });
  it("an unknown dtype is a DTypeError that calls nothing", () => {
    const hostile = { toString: () => { throw new Error("called"); } };
    expect(() => promoteTypesAny({ dtype: hostile as unknown as AnyDType, weakType: false })).toThrow(DTypeError);
    expect(() => promoteTypesAny()).toThrow(DTypeError);
  });
  it("part and whole dtypes", () => {
    expect(complexPartOf("complex64")).toBe("float32");
    expect(complexPartOf("complex128")).toBe("float64");
    expect(complexOf("float64")).toBe("complex128");
    expect(complexOf("float32")).toBe("complex64");
    expect(complexOf("int32")).toBe("complex64");
    expect(isComplexDType("complex64")).toBe(true);
    expect(isComplexDType("float32")).toBe(false);
  });
});

describe("complex literals and the interleaved layout", () => {
  it("complex(re, im) is a frozen {re, im}", () => {
    const z = complex(2, 3);
    expect(z).toEqual({ re: 2, im: 3 });
    expect(Object.isFrozen(z)).toBe(true);
    expect(complex(5)).toEqual({ re: 5, im: 0 });
    expect(() => complex("2" as unknown as number, 3)).toThrow(DTypeError);
  });
  it("flattens nested lists of numbers and literals into (re, im) pairs, row-major", () => {
    const { pairs, shape } = flattenComplex("t", [[complex(2, 3), 4], [{ re: -1, im: 0.5 }, complex(0, -1)]]);
    expect(shape).toEqual([2, 2]);
    expect([...pairs]).toEqual([2, 3, 4, 0, -1, 0.5, 0, -1]);
    expect(flattenComplex("t", complex(1, 2))).toEqual({ pairs: new Float64Array([1, 2]), shape: [] });
    expect(flattenComplex("t", [])).toEqual({ pairs: new Float64Array(0), shape: [0] });
  });
  it("nestComplex inverts flattenComplex", () => {
    const value = [[complex(1, 2), complex(3, 4), complex(5, 6)], [complex(-1, -2), complex(0, 0), complex(7, -8)]];
    const { pairs, shape } = flattenComplex("t", value);
    expect(nestComplex(pairs, shape)).toEqual(value);
    expect(nestComplex(new Float32Array([1.5, -2]), [])).toEqual({ re: 1.5, im: -2 });
  });
  it("ragged lists are a ShapeError, other elements a DTypeError", () => {
    expect(() => flattenComplex("t", [[1, 2], [3]])).toThrow(ShapeError);
    expect(() => flattenComplex("t", [[1, 2], 3])).toThrow(ShapeError);
    expect(() => flattenComplex("t", [1, "2"])).toThrow(DTypeError);
    expect(() => flattenComplex("t", [1, { re: 1 }])).toThrow(DTypeError);
    expect(() => flattenComplex("t", [1, { re: 1, im: "2" }])).toThrow(DTypeError);
    expect(() => flattenComplex("t", [1, null])).toThrow(DTypeError);
  });
  it("reads a literal without running its code (getters, proxies, class instances are refused)", () => {
    let called = 0;
    const getter = { get re() { called++; return 1; }, get im() { called++; return 2; } };
    const proxy = new Proxy({ re: 1, im: 2 }, { get: () => { called++; return 1; }, getOwnPropertyDescriptor: (t, k) => Reflect.getOwnPropertyDescriptor(t, k) });
    class C { re = 1; im = 2; }
    expect(asComplexLiteral(getter)).toBeNull();
    expect(asComplexLiteral(new C())).toBeNull();
    expect(asComplexLiteral(proxy)).toEqual({ re: 1, im: 2 });
    expect(() => flattenComplex("t", [getter])).toThrow(DTypeError);
    expect(called).toBe(0);
  });
  it("allocates 2·size floats of the part's width", () => {
    const a = allocateComplex("complex64", 3);
    expect(a).toBeInstanceOf(Float32Array);
    expect(a.length).toBe(6);
    expect(allocateComplex("complex128", 2)).toBeInstanceOf(Float64Array);
  });
});

describe("complex text as NumPy prints it (fixtures from np.array2string and repr of a jnp array)", () => {
  const cases: { re: number | string; im: number | string; c64: string; c128: string; jax: string }[] = fixture("text.json");
  it.each(cases.map((c) => [c.c128, c] as const))("%s", (_, c) => {
    const re = num(c.re);
    const im = num(c.im); // JSON.parse keeps -0.0 as -0
    expect(formatComplex(re, im, "complex64")).toBe(c.c64);
    expect(formatComplex(re, im, "complex128")).toBe(c.c128);
    expect(`Array([${formatComplex(re, im, "complex64")}], dtype=complex64)`).toBe(c.jax);
  });
  it("negative zero imaginary parts keep their sign", () => {
    expect(formatComplex(0, -0, "complex64")).toBe("0.-0.j");
  });
});

describe("complex arrays as JAX's repr prints them (shared formats and padding; fixtures from repr(jnp.array))", () => {
  const cases: { shape: number[]; pairs: (number | string)[]; dtype: "complex64" | "complex128"; repr: string }[] = fixture("arrays.json");
  it.each(cases.map((c) => [c.repr, c] as const))("%s", (_, c) => {
    const body = c.repr.replace(/^Array\(/, "").replace(/,\s*dtype=complex(64|128)\)$/, "");
    expect(formatComplexArray(c.pairs.map(num), c.shape, c.dtype)).toBe(body);
  });
});

describe("complex scalar math (src/backend/cpu/complex-math.ts) against XLA's complex128", async () => {
  const m = await import("../src/backend/cpu/complex-math.js");
  const data = fixture("math.json");
  const nums = (xs: (number | string)[]) => xs.map(num);
  type Unary = (a: number, b: number) => number | [number, number];
  const unary: Record<string, Unary> = {
    exp: m.cexp, log: m.clog, sqrt: m.csqrt, sin: m.csin, cos: m.ccos, tan: m.ctan, sinh: m.csinh, cosh: m.ccosh,
    tanh: m.ctanh, expm1: m.cexpm1, log1p: m.clog1p, abs: m.cabs, angle: m.cangle, sign: m.csign,
    square: m.csquare, reciprocal: m.creciprocal, neg: m.cneg, conj: m.cconj,
  };
  const binary: Record<string, (a: number, b: number, c: number, d: number) => [number, number]> = {
    add: m.cadd, sub: m.csub, mul: m.cmul, div: m.cdiv, pow: m.cpow,
  };
  const close = (got: number, want: number) =>
    Number.isNaN(want) ? Number.isNaN(got) : got === want || Math.abs(got - want) <= 1e-12 * Math.max(1, Math.abs(want));
  const pairOf = (r: number | [number, number]): [number, number] => (typeof r === "number" ? [r, 0] : r);
  it("covers every op the fixture has", () => {
    expect(Object.keys(unary).sort()).toEqual(Object.keys(data.unary).sort());
    expect(Object.keys(binary).sort()).toEqual(Object.keys(data.binary).sort());
  });
  it.each(Object.keys(unary))("%s on finite values", (name) => {
    const x = nums(data.finite);
    const want = nums(data.unary[name].finite);
    for (let k = 0; k < x.length; k += 2) {
      const [r, i] = pairOf(unary[name](x[k], x[k + 1]));
      expect([close(r, want[k]), close(i, want[k + 1])], `${name}(${x[k]}+${x[k + 1]}j) = ${r}+${i}j, XLA ${want[k]}+${want[k + 1]}j`).toEqual([true, true]);
    }
  });
  it.each(Object.keys(unary))("%s on special values (±0, ±inf, nan in each part; the sign of a zero result is not compared)", (name) => {
    const x = nums(data.special);
    const want = nums(data.unary[name].special);
    for (let k = 0; k < x.length; k += 2) {
      const [r, i] = pairOf(unary[name](x[k], x[k + 1]));
      expect([close(r, want[k]), close(i, want[k + 1])], `${name}(${x[k]}+${x[k + 1]}j) = ${r}+${i}j, XLA ${want[k]}+${want[k + 1]}j`).toEqual([true, true]);
    }
  });
  it.each(Object.keys(binary))("%s on finite values", (name) => {
    const [x, y] = data.binaryArgs.map(nums);
    const want = nums(data.binary[name]);
    for (let k = 0; k < x.length; k += 2) {
      const [r, i] = binary[name](x[k], x[k + 1], y[k], y[k + 1]);
      expect([close(r, want[k]), close(i, want[k + 1])], `${name}(${x[k]}+${x[k + 1]}j, ${y[k]}+${y[k + 1]}j) = ${r}+${i}j, XLA ${want[k]}+${want[k + 1]}j`).toEqual([true, true]);
    }
  });
});

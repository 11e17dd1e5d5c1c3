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

// ---- complex arrays (the wiring): creation, readback, arithmetic, conversions, derivatives ----------

import { grad, jit, jvp, lax, np, vjp, vmap, valueAndGrad, type Value } from "../src/index.js";
import { Array as JArray } from "../src/array.js";
import { UnsupportedError } from "../src/errors.js";
import { rand } from "./helpers.js";

const ops = fixture("ops.json");
/** A complex array from interleaved pairs (fixture values may be "nan"/"inf" strings). */
const C = (pairs: (number | string)[], dtype: "complex64" | "complex128" = "complex64", shape?: number[]) => {
  const data = dtype === "complex64" ? new Float32Array(pairs.map(num)) : new Float64Array(pairs.map(num));
  const a = np.array(data, { dtype }) as JArray;
  return shape ? lax.reshape(a, shape) : a;
};
const pairsOf = (x: Value) => globalThis.Array.from((x as JArray).dataSync());
/** Closeness of interleaved values (relative to max(1, |expected|)); NaN matches NaN, ±inf match exactly. */
function close(got: number[], want: (number | string)[], tol = 2e-6) {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => {
    const w = num(want[i]);
    if (Number.isNaN(w)) expect(g, `element ${i}`).toBeNaN();
    else if (!Number.isFinite(w)) expect(g, `element ${i}`).toBe(w);
    else expect(Math.abs(g - w), `element ${i}: ${g} vs ${w}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(w)));
  });
}

describe("complex arrays: creation and readback", () => {
  it("np.array of complex literals: {re, im} objects or np.complex; data() interleaved, array()/item() {re, im}", () => {
    const z = np.array([np.complex(2, 3), { re: 4, im: -5 }]) as JArray;
    expect(z.dtype).toBe("complex64");
    expect(z.shape).toEqual([2]);
    expect(z.dataSync()).toBeInstanceOf(Float32Array);
    expect(pairsOf(z)).toEqual([2, 3, 4, -5]);
    expect(z.arraySync()).toEqual([{ re: 2, im: 3 }, { re: 4, im: -5 }]);
    expect((z.get(1) as JArray | undefined) === undefined).toBe(false);
    const s = np.array(np.complex(1.5, -2)) as JArray;
    expect(s.weakType).toBe(true); // a lone literal is weak, as jnp.array(1.5-2j)
    expect(s.itemSync()).toEqual({ re: 1.5, im: -2 });
    const nested = np.array([[1, np.complex(0, 1)], [np.complex(2, 2), 3]], { dtype: "complex128" }) as JArray;
    expect(nested.dtype).toBe("complex128");
    expect(nested.shape).toEqual([2, 2]);
    expect(nested.dataSync()).toBeInstanceOf(Float64Array);
    expect(pairsOf(nested)).toEqual([1, 0, 0, 1, 2, 2, 3, 0]);
  });
  it("np.array(typed pairs, {dtype: complex}) reads interleaved (re, im); real numbers with a complex dtype get im 0", async () => {
    const z = np.array(new Float32Array([1, 2, 3, 4]), { dtype: "complex64" }) as JArray;
    expect(z.shape).toEqual([2]);
    expect(await z.array()).toEqual([{ re: 1, im: 2 }, { re: 3, im: 4 }]);
    expect(Array.from(await z.data())).toEqual([1, 2, 3, 4]);
    expect(pairsOf(np.array([1, 2], { dtype: "complex64" }))).toEqual([1, 0, 2, 0]);
    expect(() => np.array(new Float32Array([1, 2, 3]), { dtype: "complex64" })).toThrow(ShapeError);
    expect(() => np.array([np.complex(1, 2)], { dtype: "float32" })).toThrow(DTypeError);
    expect(() => np.array([np.complex(1, 2), "x" as never])).toThrow(DTypeError);
  });
  it("np.zeros/ones/full with complex dtypes", () => {
    expect(pairsOf(np.zeros([2], "complex64"))).toEqual([0, 0, 0, 0]);
    const o = np.ones([2], { dtype: "complex128" }) as JArray;
    expect(o.dtype).toBe("complex128");
    expect(pairsOf(o)).toEqual([1, 0, 1, 0]);
    expect(pairsOf(np.full([3], np.complex(1, -2)))).toEqual([1, -2, 1, -2, 1, -2]);
    expect(pairsOf(np.full([2], 7, { dtype: "complex64" }))).toEqual([7, 0, 7, 0]);
  });
  it("prints as JAX's repr (fixture from repr of a jnp complex64 product)", () => {
    const a = lax.slice(C(ops.z1), [0], [2]);
    const b = lax.slice(C(ops.z2), [0], [2]);
    expect(String(lax.mul(a, b))).toBe(ops.reprMul);
    expect(String(np.zeros([2], "complex64"))).toBe("Array([0.+0.j, 0.+0.j], dtype=complex64)");
  });
  it("iscomplexobj, isrealobj, iscomplex, isreal (fixtures from jnp)", () => {
    const z = np.array([np.complex(1, 0), np.complex(1, 2), np.complex(0, -0.5)]);
    expect(np.iscomplexobj(z)).toBe(true);
    expect(np.isrealobj(z)).toBe(false);
    expect(np.iscomplexobj(np.ones([2]))).toBe(false);
    expect(np.isrealobj(3)).toBe(true);
    expect((np.iscomplex(z) as JArray).arraySync()).toEqual(ops.iscomplex);
    expect((np.isreal(z) as JArray).arraySync()).toEqual(ops.isreal);
    expect((np.iscomplex(np.ones([2])) as JArray).arraySync()).toEqual([false, false]);
    expect((np.isreal(np.ones([2])) as JArray).arraySync()).toEqual([true, true]);
  });
});

describe("complex arrays: arithmetic, parts, conversions (complex64 against JAX)", () => {
  const z1 = C(ops.z1);
  const z2 = C(ops.z2);
  const x1 = np.array(ops.x1);
  const x2 = np.array(ops.x2);
  it("add, sub, mul, neg", () => {
    close(pairsOf(lax.add(z1, z2)), ops.add);
    close(pairsOf(lax.sub(z1, z2)), ops.sub);
    close(pairsOf(lax.mul(z1, z2)), ops.mul);
    close(pairsOf(lax.neg(z1)), ops.neg);
    close(pairsOf(z1.mul(z2)), ops.mul);
  });
  it("promotion in binary ops: weak JS numbers keep complex64, float32 arrays promote to complex64", () => {
    const a = z1.add(2.5);
    expect(a.dtype).toBe("complex64");
    close(pairsOf(a), ops.addScalar);
    const m = np.multiply(z1, x1);
    expect(m.dtype).toBe("complex64");
    close(pairsOf(m), ops.mulReal);
    expect(np.add(z1, np.ones([6], { dtype: "float64" })).dtype).toBe("complex128");
    expect(np.add(np.ones([6], { dtype: "int32" }), z1).dtype).toBe("complex64");
  });
  it("lax.complex, real, imag, conj (complex and real operands)", () => {
    close(pairsOf(lax.complex(x1, x2)), ops.complex);
    close(pairsOf(lax.real(z1)), ops.real);
    close(pairsOf(lax.imag(z1)), ops.imag);
    close(pairsOf(lax.conj(z1)), ops.conj);
    const cr = lax.conj(x1);
    expect(cr.dtype).toBe("complex64");
    close(pairsOf(cr), ops.conjReal);
    expect(lax.real(C([1, 2], "complex128")).dtype).toBe("float64");
    close(pairsOf(np.real(z1)), ops.real);
    close(pairsOf(np.imag(z1)), ops.imag);
    close(pairsOf(np.conjugate(z1)), ops.conj);
    expect(np.real(x1)).toBe(x1);
    expect(pairsOf(np.imag(x1))).toEqual(ops.x1.map(() => 0));
  });
  it("astype both ways (complex → real takes the real part, as jnp), complex64 ↔ complex128", () => {
    close(pairsOf(z1.astype("float32")), ops.toFloat);
    close(pairsOf(x1.astype("complex64")), ops.fromFloat);
    const w = z1.astype("complex128");
    expect(w.dtype).toBe("complex128");
    expect(pairsOf(w)).toEqual(pairsOf(z1));
    expect(pairsOf(w.astype("complex64"))).toEqual(pairsOf(z1));
    expect(pairsOf(np.array([np.complex(2.7, 1)]).astype("int32"))).toEqual([2]);
  });
  it("the pair views alias the buffer: complexToPairs ∘ pairsToComplex is the identity", () => {
    const p = lax.complexToPairs(z1);
    expect(p.shape).toEqual([6, 2]);
    expect(p.dtype).toBe("float32");
    expect(pairsOf(p)).toEqual(pairsOf(z1));
    expect(pairsOf(lax.pairsToComplex(p))).toEqual(pairsOf(z1));
    expect(() => lax.pairsToComplex(np.ones([3, 3]))).toThrow(ShapeError);
    expect(() => lax.pairsToComplex(np.ones([3, 2], { dtype: "int32" }))).toThrow(DTypeError);
    expect(() => lax.complexToPairs(np.ones([3]))).toThrow(DTypeError);
  });
  it("concatenate and stack of complex arrays (the routine copies whole pairs), on the CPU", () => {
    const a = lax.slice(z1, [0], [2]);
    const b = lax.slice(z2, [1], [4]);
    expect(pairsOf(np.concatenate([a, b]))).toEqual([...pairsOf(a), ...pairsOf(b)]);
    const s = np.stack([a, lax.slice(z2, [0], [2])], 1);
    expect(s.shape).toEqual([2, 2]);
    expect(pairsOf(s)).toEqual([...pairsOf(a).slice(0, 2), ...ops.z2.slice(0, 2), ...pairsOf(a).slice(2, 4), ...ops.z2.slice(2, 4)].map(num));
    const nested = np.array([a, a]);
    expect(nested.dtype).toBe("complex64");
    expect(pairsOf(nested)).toEqual([...pairsOf(a), ...pairsOf(a)]);
  });
  it("sum of complex values (reduce_sum over the parts)", () => {
    close(pairsOf(np.sum(z1)), ops.sum);
  });
});

describe("complex128 arithmetic on the CPU against XLA's complex128 (finite grid and special values)", () => {
  const data = fixture("math.json");
  for (const [name, fn] of [["neg", lax.neg], ["conj", lax.conj]] as const) {
    it(`${name}: finite and special values`, () => {
      close(pairsOf(fn(C(data.finite, "complex128"))), data.unary[name].finite, 1e-15);
      close(pairsOf(fn(C(data.special, "complex128"))), data.unary[name].special, 1e-15);
    });
  }
  for (const [name, fn] of [["add", lax.add], ["sub", lax.sub], ["mul", lax.mul]] as const) {
    it(name, () => close(pairsOf(fn(C(data.binaryArgs[0], "complex128"), C(data.binaryArgs[1], "complex128"))), data.binary[name], 1e-15));
  }
});

describe("complex arrays: derivatives with JAX's conventions", () => {
  const z1 = C(ops.z1);
  const z2 = C(ops.z2);
  const x1 = np.array(ops.x1);
  it("grad(|z|²)(3+4j) = 6−8j, as JAX", () => {
    const g = grad((z: Value) => lax.real(lax.mul(z, lax.conj(z))))(np.array(np.complex(3, 4)));
    close(pairsOf(g), ops.gradAbs2Scalar);
  });
  it("grad of real-valued functions of complex (and real) inputs", () => {
    close(pairsOf(grad((z: Value) => np.sum(lax.real(lax.mul(z, lax.conj(z)))))(z1)), ops.gradAbs2, 1e-5);
    const f = (z: Value, w: Value) => np.sum(lax.sub(lax.real(lax.mul(lax.mul(z, z), w)), lax.mul(lax.imag(lax.mul(lax.conj(z), w)), 0.5)));
    const [gz, gw] = grad(f, { argnums: [0, 1] })(z1, z2) as Value[];
    close(pairsOf(gz), ops.gradMix[0], 1e-5);
    close(pairsOf(gw), ops.gradMix[1], 1e-5);
    const h = (z: Value, x: Value) => np.sum(lax.real(lax.mul(z, lax.complex(x, lax.mul(x, 2)))));
    const [hz, hx] = grad(h, { argnums: [0, 1] })(z1, x1) as Value[];
    close(pairsOf(hz), ops.gradComplexReal[0], 1e-5);
    close(pairsOf(hx), ops.gradComplexReal[1], 1e-5);
  });
  const fC = (z: Value) => lax.add(lax.mul(lax.mul(z, z), z2), lax.mul(lax.conj(z), 1.5));
  it("vjp and jvp of a complex-valued function", () => {
    const [out, pull] = vjp(fC, z1);
    close(pairsOf(out as Value), ops.vjpCplx.out, 1e-5);
    close(pairsOf((pull(C(ops.vjpCplx.ct)) as Value[])[0]), ops.vjpCplx.grad, 1e-5);
    const [p, t] = jvp(fC, [z1], [z2]);
    close(pairsOf(p as Value), ops.jvpCplx.out, 1e-5);
    close(pairsOf(t as Value), ops.jvpCplx.tangent, 1e-5);
  });
  it("the pair views transpose as real/imag do (vjp through stack(real, imag))", () => {
    const [, pull] = vjp((z: Value) => np.multiply(lax.complexToPairs(z), np.array([1, 2])), z1);
    close(pairsOf((pull(np.ones([6, 2])) as Value[])[0]), ops.vjpPairs);
  });
  it("grad of a complex output without holomorphic is a DTypeError, as JAX's TypeError", () => {
    expect(() => grad((z: Value) => np.sum(lax.mul(z, z)))(z1)).toThrow(/real-valued output.*holomorphic/);
    expect(() => grad((z: Value) => np.sum(lax.mul(z, z)))(z1)).toThrow(DTypeError);
    expect(() => valueAndGrad((z: Value) => np.sum(z))(z1)).toThrow(DTypeError);
  });
  it("operations not defined on complex values yet are an UnsupportedError, never silent numbers", () => {
    // (lax.max on complex values orders them lexicographically, as JAX: test/complex-gaps.test.ts)
    expect(() => lax.iota("complex64", 3)).toThrow(UnsupportedError);
  });
});

describe("complex arrays: finite differences in complex128, transposes by the dot-product identity, vmap, jit", () => {
  const n = 5;
  const mk = (seed: number) => C(rand(2 * n, seed), "complex128");
  const z = mk(1);
  const w = mk(2);
  const x = np.array(rand(n, 3), { dtype: "float64" });
  /** Re Σ a·b: the pairing under which JAX's vjp is the transpose of its jvp (no conjugation). */
  const pairing = (a: Value, b: Value) => {
    const p = pairsOf(a);
    const q = pairsOf(b);
    if (p.length === q.length && a.dtype.startsWith("complex")) {
      let s = 0;
      for (let i = 0; i < p.length; i += 2) s += p[i] * q[i] - p[i + 1] * q[i + 1];
      return s;
    }
    return p.reduce((s, v, i) => s + v * q[i], 0);
  };
  const fns: [string, (z: Value) => Value][] = [
    ["mul/add/sub/neg", (v) => lax.sub(lax.mul(lax.mul(v, v), w), lax.neg(lax.add(v, w)))],
    ["conj", (v) => lax.mul(lax.conj(v), v)],
    ["real/imag/complex", (v) => lax.complex(lax.mul(lax.real(v), lax.imag(v)), lax.add(lax.real(lax.mul(v, v)), x))],
    ["pair views", (v) => lax.pairsToComplex(lax.mul(lax.complexToPairs(lax.mul(v, w)), lax.complexToPairs(v)))],
    ["astype complex→real→complex", (v) => lax.mul(v.astype("float64").astype("complex128"), v)],
    ["sum and broadcast", (v) => lax.mul(lax.broadcastInDim(np.sum(lax.mul(v, v)), [n], []), v)],
  ];
  for (const [name, f] of fns) {
    it(`${name}: jvp matches central differences, vjp is its transpose, vmap = loop, jit = eager`, () => {
      const t = mk(7);
      const [, tan] = jvp(f, [z], [t]);
      const h = 1e-6;
      const fd = pairsOf(f(lax.add(z, lax.mul(t, h)))).map((v, i) => (v - pairsOf(f(lax.sub(z, lax.mul(t, h))))[i]) / (2 * h));
      close(pairsOf(tan as Value), fd, 1e-6);
      const ct = mk(11);
      const [, pull] = vjp(f, z);
      const back = (pull(ct) as Value[])[0];
      expect(pairing(ct, tan as Value)).toBeCloseTo(pairing(back, t), 10);
      // vmap over a leading axis against a loop of slices
      const batch = lax.pairsToComplex(np.array(rand(3 * n * 2, 5)).astype("float64").reshape([3, n, 2]));
      const vm = vmap(f)(batch) as Value;
      for (let i = 0; i < 3; i++) {
        const row = lax.reshape(lax.slice(batch, [i, 0], [i + 1, n]), [n]);
        close(pairsOf(lax.reshape(lax.slice(vm, [i, 0], [i + 1, n]), [n])), pairsOf(f(row)), 1e-12);
      }
      close(pairsOf(jit(f)(z) as Value), pairsOf(f(z)), 1e-12);
    });
  }
});

// ---- elementwise math on complex values (milestone 2) ---------------------------------------------

import { DTypeError as DTE } from "../src/errors.js";
const ew = fixture("elementwise.json");

describe("complex elementwise math in complex64 against jnp (a grid of 35 values)", () => {
  const g = C(ew.g);
  const h = C(ew.h);
  const unary: [string, (z: Value) => Value][] = [
    ["exp", lax.exp], ["log", lax.log], ["sqrt", lax.sqrt], ["sin", lax.sin], ["cos", lax.cos], ["tan", lax.tan],
    ["sinh", lax.sinh], ["cosh", lax.cosh], ["tanh", lax.tanh], ["expm1", lax.expm1], ["log1p", lax.log1p],
    ["abs", np.abs], ["angle", (z) => np.angle(z)], ["sign", lax.sign], ["square", lax.square], ["reciprocal", lax.reciprocal], ["conj", lax.conj],
  ];
  for (const [name, fn] of unary) {
    it(name, () => {
      const out = fn(g);
      const real = name === "abs" || name === "angle";
      expect(out.dtype).toBe(real ? "float32" : "complex64");
      const want = real ? (ew.unary[name] as number[]).filter((_, i) => i % 2 === 0) : ew.unary[name];
      close(pairsOf(out), want, 4e-6);
    });
  }
  it("div, pow, equal, notEqual (np, promoting)", () => {
    close(pairsOf(np.divide(g, h)), ew.binary.div, 4e-6);
    // float32 pow is exp(w · log z) with float32 roundings at each step: ~3e-5 relative at |z^w| ≈ 40
    close(pairsOf(np.power(g, h)), ew.binary.pow, 1e-4);
    const eq = (np.equal(g, h) as JArray).arraySync() as boolean[];
    expect(eq.map(Number)).toEqual((ew.binary.equal as number[]).filter((_, i) => i % 2 === 0));
    expect(((np.notEqual(g, g) as JArray).arraySync() as boolean[]).every((v) => !v)).toBe(true);
  });
  it("pow with a real exponent or a real base; integer_pow", () => {
    close(pairsOf(np.power(g, np.array(1.5, { dtype: "float32" }))), ew.powRealExp, 2e-5);
    close(pairsOf(np.power(np.array(2, { dtype: "float32" }), g)), ew.powRealBase, 4e-6);
    close(pairsOf(lax.integerPow(g, 3)), ew.integerPow3, 4e-6);
    close(pairsOf(lax.integerPow(g, -2)), ew.integerPowM2, 4e-6);
  });
  it("isnan, isinf, isfinite on complex values (either part), angle in degrees and of reals", () => {
    const s = C(ew.special);
    expect((np.isnan(s) as JArray).arraySync()).toEqual(ew.isnan);
    expect((np.isinf(s) as JArray).arraySync()).toEqual(ew.isinf);
    expect((np.isfinite(s) as JArray).arraySync()).toEqual(ew.isfinite);
    close(pairsOf(np.angle(g, true)), ew.angleDeg, 4e-6);
    close(pairsOf(np.angle(np.array([1, -2, 0]))), ew.angleReal);
  });
  it("grad through a chain of complex elementwise ops (abs, angle, exp, sin, div, sqrt, tanh, log1p, pow) matches jax.grad", () => {
    const f = (z: Value) => {
      const w = lax.sub(
        lax.add(np.divide(lax.mul(lax.exp(lax.mul(z, 0.3)), lax.sin(z)), lax.add(z, 4)), lax.mul(lax.sqrt(lax.add(z, 5)), lax.tanh(lax.mul(z, 0.5)))),
        lax.log1p(lax.mul(lax.mul(z, z), 0.1)),
      );
      return np.sum(lax.add(lax.add(np.abs(w), lax.mul(np.angle(w), 0.5)), lax.mul(lax.real(np.power(w, 2)), 0.1)));
    };
    close(pairsOf(grad(f)(g)), ew.gradChain, 2e-4);
  });
  it("a complex elementwise chain is one fused kernel under jit, and equals eager", () => {
    const f = (z: Value, w: Value) => lax.add(lax.mul(lax.exp(z), lax.conj(w)), lax.div(lax.sin(z), lax.add(w, 3)));
    const j = jit(f);
    expect(j.lower(g, h).kernels).toBe(1);
    close(pairsOf(j(g, h) as Value), pairsOf(f(g, h)), 1e-6);
    const r = jit((z: Value) => np.sum(np.abs(lax.mul(z, z))));
    expect(r.lower(g).kernels).toBe(1);
  });
  it("where JAX raises on complex values, a DTypeError; what is not supported yet, an UnsupportedError", () => {
    expect(() => lax.lt(g, h)).toThrow(DTE);
    // (np.less orders complex values lexicographically, as jnp.less: test/complex-gaps.test.ts)
    expect(() => np.floor(g)).toThrow(DTE);
    expect(() => lax.floor(g)).toThrow(DTE);
    expect(() => lax.atan2(g, h)).toThrow(DTE);
    expect(() => lax.isFinite(g)).toThrow(DTE);
    expect(() => lax.erf(g)).toThrow(UnsupportedError);
  });
});

describe("complex128 elementwise math on the CPU against XLA's complex128 (finite grid and special values)", () => {
  const data = fixture("math.json");
  const fns: [string, (z: Value) => Value][] = [
    ["exp", lax.exp], ["log", lax.log], ["sqrt", lax.sqrt], ["sin", lax.sin], ["cos", lax.cos], ["tan", lax.tan],
    ["sinh", lax.sinh], ["cosh", lax.cosh], ["tanh", lax.tanh], ["expm1", lax.expm1], ["log1p", lax.log1p],
    ["abs", lax.abs], ["angle", (z) => np.angle(z)], ["sign", lax.sign], ["square", lax.square], ["reciprocal", lax.reciprocal],
  ];
  for (const [name, fn] of fns) {
    it(`${name}: finite and special values`, () => {
      for (const set of ["finite", "special"] as const) {
        const out = fn(C(data[set], "complex128"));
        const want = out.dtype === "float64" ? (data.unary[name][set] as (number | string)[]).filter((_, i) => i % 2 === 0) : data.unary[name][set];
        close(pairsOf(out), want, 1e-13);
      }
    });
  }
  for (const [name, fn] of [["div", lax.div], ["pow", lax.pow]] as const) {
    it(name, () => close(pairsOf(fn(C(data.binaryArgs[0], "complex128"), C(data.binaryArgs[1], "complex128"))), data.binary[name], 1e-12));
  }
  it("finite differences of every complex elementwise rule in complex128 (jvp), and vjp as its transpose", () => {
    const z = C(rand(10, 3).map((v, i) => (i % 2 ? v : v + 1.5)), "complex128");
    const t = C(rand(10, 9), "complex128");
    const ct = C(rand(10, 13), "complex128");
    const fs: ((v: Value) => Value)[] = [lax.exp, lax.log, lax.sqrt, lax.sin, lax.cos, lax.tan, lax.sinh, lax.cosh, lax.tanh, lax.expm1, lax.log1p,
      lax.square, lax.reciprocal, (v) => lax.div(v, lax.add(v, 2)), (v) => lax.pow(v, lax.mul(v, 0.5)), (v) => lax.integerPow(v, 3),
      (v) => lax.convert(np.abs(v), "complex128"), (v) => lax.mul(lax.sign(v), 1)];
    for (const f of fs) {
      const [, tan] = jvp(f, [z], [t]);
      const hh = 1e-6;
      const plus = pairsOf(f(lax.add(z, lax.mul(t, hh))));
      const minus = pairsOf(f(lax.sub(z, lax.mul(t, hh))));
      const fd = plus.map((v, i) => (v - minus[i]) / (2 * hh));
      const got = pairsOf(tan as Value);
      // sign's derivative is zero almost everywhere, as JAX's (its jvp is zero)
      if (f === fs[fs.length - 1]) expect(got.every((v) => v === 0)).toBe(true);
      else close(got, fd, 1e-5);
      const [, pull] = vjp(f, z);
      const back = (pull(ct) as Value[])[0];
      const pr = (a: number[], b: number[]) => a.reduce((s, v, i) => s + (i % 2 ? -v * b[i] : v * b[i]), 0);
      expect(pr(pairsOf(ct), got)).toBeCloseTo(pr(pairsOf(back), pairsOf(t)), 8);
    }
  });
});

// ---- holomorphic derivatives (milestone 3) -----------------------------------------------------------

import { jacfwd, jacrev } from "../src/index.js";
const holo = fixture("holomorphic.json");

describe("holomorphic derivatives (grad, valueAndGrad, jacfwd, jacrev with holomorphic: true) against JAX", () => {
  const z = C(holo.z);
  const f = (v: Value) => lax.add(lax.mul(lax.mul(v, v), lax.sin(v)), np.divide(lax.exp(lax.mul(v, 0.5)), lax.add(v, 3)));
  it("grad and valueAndGrad of a holomorphic function: the complex derivative f'(z)", () => {
    close(pairsOf(grad((v: Value) => np.sum(f(v)), { holomorphic: true })(z)), holo.grad, 1e-5);
    const [value, g] = valueAndGrad((v: Value) => np.sum(f(v)), { holomorphic: true })(z);
    close(pairsOf(value as Value), holo.valueAndGrad, 1e-5);
    close(pairsOf(g as Value), holo.grad, 1e-5);
  });
  it("jacfwd and jacrev with holomorphic: true", () => {
    close(pairsOf(jacfwd(f, { holomorphic: true })(z) as Value), holo.jacfwd, 1e-5);
    close(pairsOf(jacrev(f, { holomorphic: true })(z) as Value), holo.jacrev, 1e-5);
  });
  it("jacrev of a real output of complex inputs, jacfwd of a complex output of real inputs (no holomorphic)", () => {
    close(pairsOf(jacrev((v: Value) => lax.real(f(v)))(z) as Value), holo.jacrevReal, 1e-5);
    const j = jacfwd((x: Value) => lax.complex(x, lax.mul(x, x)))(np.array([1, 2])) as Value;
    expect(j.dtype).toBe("complex64");
    close(pairsOf(j), holo.jacfwdRealIn, 1e-6);
  });
  it("JAX's errors: holomorphic with real inputs or outputs; jacfwd of complex inputs and jacrev of complex outputs without it", () => {
    expect(() => grad((v: Value) => np.sum(v), { holomorphic: true })(np.array([1, 2]))).toThrow(/holomorphic: true needs inputs with a complex dtype/);
    expect(() => grad((v: Value) => np.sum(lax.real(v)), { holomorphic: true })(z)).toThrow(/needs a complex output/);
    expect(() => jacfwd(f)(z)).toThrow(/jacfwd needs real-valued inputs/);
    expect(() => jacrev(f)(z)).toThrow(/jacrev needs real-valued outputs/);
    expect(() => jacrev((v: Value) => lax.real(v), { holomorphic: true })(z)).toThrow(DTypeError);
    expect(() => jacfwd(f, { holomorphic: true })(np.array([1, 2]))).toThrow(DTypeError);
    expect(() => grad((v: Value) => np.sum(f(v)), { holomorphic: "yes" as never })(z)).toThrow(DTypeError);
  });
  it("holomorphic grad under jit and vmap equals eager", () => {
    const g = grad((v: Value) => np.sum(f(v)), { holomorphic: true });
    close(pairsOf(jit(g)(z) as Value), holo.grad, 1e-5);
    const per = vmap(grad((v: Value) => f(v), { holomorphic: true }))(z) as Value;
    close(pairsOf(per), holo.grad, 1e-5);
  });
});

describe("control flow over complex values (scan, cond, while) against JAX", () => {
  const cf = fixture("control.json");
  const z = C(cf.z);
  const xs = np.multiply(lax.reshape(np.array([np.complex(1, 0), np.complex(0, 1), np.complex(2, -1)]), [3, 1]), np.ones([3, 2], "complex64"));
  const fScan = (v: Value) => {
    const [c] = lax.scan((carry: Value, x: Value) => [lax.add(lax.mul(carry, v), x), carry], lax.mul(v, 0), xs) as [Value, Value];
    return np.sum(np.abs(c));
  };
  it("scan with a complex carry: value, grad, jit of grad", () => {
    close(pairsOf(fScan(z)), [cf.scan], 1e-6);
    close(pairsOf(grad(fScan)(z)), cf.gradScan, 1e-5);
    close(pairsOf(jit(grad(fScan))(z) as Value), cf.gradScan, 1e-5);
  });
  it("cond with complex branches: grad", () => {
    const f = (v: Value) => np.sum(np.abs(lax.cond(np.sum(np.abs(v)).gt(1), (a: Value) => lax.mul(a, a), (a: Value) => lax.conj(a), v) as Value));
    close(pairsOf(grad(f)(z)), cf.gradCond, 1e-5);
  });
  it("while with a complex carry under vmap", () => {
    const w = (v: Value) =>
      np.abs((lax.whileLoop((s: Value[]) => np.abs(s[1]).lt(5), (s: Value[]) => [s[0].add(1), lax.mul(s[1], np.array(np.complex(1.1, 0.5)))], [np.array(0), v]) as Value[])[1]);
    close(pairsOf(vmap(w)(z) as Value), cf.vmapWhile, 1e-5);
  });
});

describe("exportStableHLO of complex code (real, imag, complex, conj and the pair views lower as JAX's)", () => {
  const ex = fixture("export.json");
  const f = (x: Value, p: Value) => {
    const z = lax.complex(x, lax.mul(x, 2));
    const w = lax.mul(lax.conj(z), lax.pairsToComplex(p));
    const r = lax.add(lax.mul(w, lax.conj(x)), lax.mul(lax.exp(w), 0.5));
    return [lax.complexToPairs(lax.div(r, lax.add(z, 3))), lax.imag(lax.sqrt(w)), np.abs(r)];
  };
  const x = np.array([0.5, -1.25, 2]);
  const p = np.array([[1, 2], [-0.5, 0.25], [3, -1]]);
  it("jaxon's values equal JAX's, and the module has the complex ops (XLA ran it to the same numbers through tools/run-stablehlo.py)", async () => {
    const [a, b, c] = f(x, p);
    close(pairsOf(a), ex.pairs, 2e-6);
    close(pairsOf(b), ex.imagSqrt, 2e-6);
    close(pairsOf(c), ex.abs, 2e-6);
    const { exportStableHLO } = await import("../src/index.js");
    const text = exportStableHLO(f)(x, p).text;
    for (const op of ["stablehlo.complex", "stablehlo.real", "stablehlo.imag", "stablehlo.concatenate", "stablehlo.slice", "tensor<3xcomplex<f32>>"]) expect(text).toContain(op);
  });
});

describe("indexing and data movement of complex arrays (gather, scatter set/add, dynamic slices, pad, cumsum) against JAX", () => {
  const ix = fixture("indexing.json");
  const z = C(ix.z, "complex64", [3, 4]);
  const idx = np.array([2, 0, 2], { dtype: "int32" });
  const upd = np.array([np.complex(1, 1), np.complex(-2, 0.5), np.complex(3, -1), np.complex(0, 0.25)]);
  const ones = lax.mul(np.ones([3, 4], "complex64"), np.array(np.complex(1, 2)));
  const start = (i: number) => np.array(i, { dtype: "int32" });
  const fIndex = (v: Value) => {
    const a = v.get(idx);
    const b = v.at(1).set(upd);
    const c = v.at(idx).add(ones);
    const d = lax.dynamicSlice(v, [start(1), start(1)], [2, 2]);
    const e = lax.dynamicUpdateSlice(v, lax.mul(d, 2), [start(0), start(2)]);
    const p = np.pad(v, 1, { constantValue: np.array(np.complex(0.5, -1)) });
    const s = np.cumsum(v, 1);
    const sq = (w: Value) => lax.mul(np.abs(w), np.abs(w));
    return np.sum(
      lax.add(
        lax.add(lax.add(np.sum(sq(a)), np.sum(lax.real(lax.mul(b, c)))), lax.add(np.sum(lax.imag(e)), np.sum(np.abs(p)))),
        np.sum(lax.real(lax.mul(s, lax.conj(s)))),
      ),
    );
  };
  it("each operation's values", () => {
    close(pairsOf(z.get(idx)), ix.gather);
    close(pairsOf(z.at(1).set(upd)), ix.set);
    close(pairsOf(z.at(idx).add(ones)), ix.add, 4e-6);
    close(pairsOf(lax.dynamicSlice(z, [start(1), start(1)], [2, 2])), ix.dynamicSlice);
    close(pairsOf(lax.dynamicUpdateSlice(z, lax.mul(lax.dynamicSlice(z, [start(1), start(1)], [2, 2]), 2), [start(0), start(2)])), ix.dynamicUpdateSlice);
    close(pairsOf(np.pad(z, 1, { constantValue: np.array(np.complex(0.5, -1)) })), ix.pad);
    close(pairsOf(np.cumsum(z, 1)), ix.cumsum, 4e-6);
  });
  it("a real function through all of them: value, grad, jit(grad)", () => {
    close(pairsOf(fIndex(z)), [ix.value], 4e-6);
    close(pairsOf(grad(fIndex)(z)), ix.grad, 2e-5);
    close(pairsOf(jit(grad(fIndex))(z) as Value), ix.grad, 2e-5);
  });
  it("scatter with mul/min/max stays unsupported on complex values (an UnsupportedError)", () => {
    expect(() => z.at(idx).mul(ones)).toThrow(UnsupportedError);
    // cumulative products of complex values are defined now (s13-complexops: a scan of complex
    // multiplies, src/lax/complex-reduce.ts), checked against JAX in test/complex-ops.test.ts
    expect(np.cumprod(z, 1).dtype).toBe(z.dtype);
  });
});

describe("the CPU renderer's shared nodes (a const per node used twice, computed before the lane loop when lane-invariant)", () => {
  it("a kernel with shared nodes invariant over an innermost axis read only by an index equals the same kernel written as a tree", async () => {
    const { getBackend } = await import("../src/backend/device.js");
    const K = await import("../src/backend/kernel.js");
    const cpu = getBackend("cpu");
    const build = (share: boolean) => {
      const s0 = () => K.unary("sin", K.binary("mul", K.load(0, "float32"), K.constant(3, "float32")));
      const s = s0();
      const S = () => (share ? s : s0());
      const sh0 = () => K.binary("add", K.binary("mul", S(), S()), K.binary("div", S(), K.binary("add", K.binary("mul", S(), S()), K.constant(2, "float32"))));
      const sh = sh0();
      const SH = () => (share ? sh : sh0());
      const lane = K.cast({ kind: "index", axis: 1, dtype: "int32" }, "float32");
      return { loopShape: [6, 3], inputs: [{ dtype: "float32" as const, view: { strides: [1, 0], offset: 0 } }], expr: K.binary("add", K.binary("mul", SH(), lane), K.binary("mul", SH(), SH())), dtype: "float32" as const };
    };
    const x = cpu.upload(new Float32Array(rand(6, 21)), "float32");
    const t = { shape: [6], dtype: "float32" as const };
    const o = { shape: [6, 3], dtype: "float32" as const };
    const run = (share: boolean) => Array.from(cpu.readSync(cpu.run({ kind: "kernel", kernel: build(share) }, [x], [t], [o])[0], "float32", 18));
    expect(run(true)).toEqual(run(false));
    // the JavaScript source computes the shared nodes once, before the loop over the innermost axis
    const { renderKernel } = await import("../src/backend/cpu/codegen.js");
    const src = renderKernel(build(true));
    expect(src.indexOf("const s0 =")).toBeGreaterThan(-1);
    expect(src.indexOf("const s0 =")).toBeLessThan(src.indexOf("for (let i1"));
  });
});

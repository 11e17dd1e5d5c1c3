import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { DTypeError, ShapeError, UnsupportedError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";
import { expectClose } from "./helpers.js";

const i32 = (v: Parameters<typeof np.array>[0]) => np.array(v, { dtype: "int32" });

describe("tutorial arithmetic", () => {
  const v = np.array([1, 2, 3]);
  const M = np.array([[1, 2, 3], [4, 5, 6]]);
  it("v*v, 42*v, M*v", () => {
    expect(v.mul(v).arraySync()).toEqual([1, 4, 9]);
    expect(np.multiply(42, v).arraySync()).toEqual([42, 84, 126]);
    expect(M.mul(v).arraySync()).toEqual([[1, 4, 9], [4, 10, 18]]);
    expect(np.add(M, 1).arraySync()).toEqual([[2, 3, 4], [5, 6, 7]]);
  });
  it("exp(v), sin(v)", () => {
    expectClose(np.exp(v), [Math.exp(1), Math.exp(2), Math.exp(3)], 1e-6);
    expectClose(np.sin(v), [Math.sin(1), Math.sin(2), Math.sin(3)], 1e-6);
    expectClose(v.exp(), [Math.exp(1), Math.exp(2), Math.exp(3)], 1e-6);
  });
});

describe("promotion", () => {
  it("follows JAX's lattice with weak JS numbers", () => {
    const f = np.array([1, 2]);
    expect(f.mul(2).dtype).toBe("float32");
    expect(f.mul(2).weakType).toBe(false);
    const i = i32([1, 2]);
    const r = i.add(2.5);
    expect(r.dtype).toBe("float32");
    expect(r.arraySync()).toEqual([3.5, 4.5]);
    expect(i.add(2).dtype).toBe("int32");
    const u = np.array([1, 2], { dtype: "uint32" });
    expect(np.add(i, u).dtype).toBe("int32");
    const b = np.array([true, false]);
    expect(np.add(b, b).dtype).toBe("bool");
    expect(np.add(b, b).arraySync()).toEqual([true, false]);
    expect(np.add(np.add(b, b), i).dtype).toBe("int32");
    expect(np.add(b, i).arraySync()).toEqual([2, 2]);
    expect(np.add(f, np.array([1], { dtype: "float64" })).dtype).toBe("float64");
    expect(np.add(i, f).dtype).toBe("float32");
    // JS numbers alone stay weak
    const w = np.add(1, 2);
    expect(w.weakType).toBe(true);
    expect(w.dtype).toBe("int32");
    expect(np.multiply(0.5, 2).dtype).toBe("float32");
  });

  it("makes JS numbers directly in float64 (no float32 rounding)", () => {
    const d = np.array([0], { dtype: "float64" });
    expect(np.add(d, 0.1).dataSync()[0]).toBe(0.1);
  });

  it("resultType and promoteTypes", () => {
    expect(np.resultType("int32", 2.5)).toBe("float32");
    expect(np.resultType(np.zeros([2]), "float64")).toBe("float64");
    expect(np.resultType(i32([1]), 2)).toBe("int32");
    expect(np.resultType(true, true)).toBe("bool");
    expect(np.promoteTypes("int32", "uint32")).toBe("int32");
    expect(np.promoteTypes("bool", "float32")).toBe("float32");
    expect(() => np.promoteTypes("int64" as never, "int32")).toThrow(DTypeError);
    expect(np.promoteTypes("int8", "uint8")).toBe("int16");
  });

  it("float-only functions promote ints to float32", () => {
    expect(np.sin(i32([0])).dtype).toBe("float32");
    expect(np.sqrt(i32([4])).arraySync()).toEqual([2]);
    expect(np.divide(i32([1, 2]), 4).arraySync()).toEqual([0.25, 0.5]);
    expect(np.divide(i32([1]), i32([2])).dtype).toBe("float32");
    expect(np.exp(2).weakType).toBe(true);
  });
});

describe("broadcasting", () => {
  it("broadcasts rows and columns", () => {
    const col = np.array([[1], [2]]);
    const row = np.array([10, 20, 30]);
    expect(np.add(col, row).arraySync()).toEqual([[11, 21, 31], [12, 22, 32]]);
    expect(np.add(np.zeros([2, 1, 3]), np.ones([4, 1])).shape).toEqual([2, 4, 3]);
  });
  it("throws a ShapeError naming the function and both shapes", () => {
    let err: unknown;
    try {
      np.add(np.zeros([2, 3]), np.zeros([4]));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    const msg = (err as Error).message;
    expect(msg).toContain("np.add");
    expect(msg).toContain("(2, 3)");
    expect(msg).toContain("(4,)");
    expect(() => np.zeros([2, 3]).mul(np.zeros([2]))).toThrow(/np\.multiply/);
  });
  it("rejects non-arrays with a typed error", () => {
    expect(() => np.add([1, 2] as never, 1)).toThrow(DTypeError);
    expect(() => np.add("1" as never, 1)).toThrow(DTypeError);
  });
});

describe("integer arithmetic", () => {
  it("wraps int32 overflow", () => {
    expect(i32([2147483647]).add(1).arraySync()).toEqual([-2147483648]);
    expect(i32([-2147483648]).sub(1).arraySync()).toEqual([2147483647]);
    expect(i32([65536]).mul(65536).arraySync()).toEqual([0]);
  });

  it("floorDivide and mod follow NumPy's signs", () => {
    const a = i32([-7, 7, -7, 7, 6, -6]);
    const b = i32([2, 2, -2, -2, 3, 3]);
    expect(np.floorDivide(a, b).arraySync()).toEqual([-4, 3, 3, -4, 2, -2]);
    expect(np.mod(a, b).arraySync()).toEqual([1, 1, -1, -1, 0, 0]);
    expect(np.fmod(a, b).arraySync()).toEqual([-1, 1, -1, 1, 0, 0]);
    expect(np.floorDivide(a, b).dtype).toBe("int32");
    expect(a.floorDiv(b).arraySync()).toEqual([-4, 3, 3, -4, 2, -2]);
    expect(a.mod(b).arraySync()).toEqual([1, 1, -1, -1, 0, 0]);
  });

  it("floorDivide and mod on floats", () => {
    const a = np.array([-7, 7, -7, 7, -7.5, 7.5]);
    const b = np.array([2, 2, -2, -2, 2, 2]);
    expect(np.floorDivide(a, b).arraySync()).toEqual([-4, 3, 3, -4, -4, 3]);
    expect(np.mod(a, b).arraySync()).toEqual([1, 1, -1, -1, 0.5, 1.5]);
    expect(np.fmod(a, b).arraySync()).toEqual([-1, 1, -1, 1, -1.5, 1.5]);
    expect(np.floorDivide(-7, 2).arraySync()).toBe(-4);
    expect(np.mod(-7, 2).arraySync()).toBe(1);
    expect(np.fmod(-7, 2).arraySync()).toBe(-1);
  });

  it("power", () => {
    expect(np.power(np.array([1, 2, 3]), 2).arraySync()).toEqual([1, 4, 9]);
    expect(np.power(i32([2, 3]), 3).arraySync()).toEqual([8, 27]);
    expect(np.power(i32([2, 3]), 3).dtype).toBe("int32");
    expect(np.power(i32([2, 3]), i32([2, 1])).arraySync()).toEqual([4, 3]);
    expectClose(np.power(np.array([4, 9]), 0.5), [2, 3]);
    expectClose(np.power(2, np.array([0.5])), [Math.SQRT2]);
    expect(np.power(np.array([2]), -1).arraySync()).toEqual([0.5]);
    expect(() => np.power(i32([2]), -1)).toThrow(DTypeError);
    expect(np.array([3]).pow(2).arraySync()).toEqual([9]);
  });

  it("bitwise ops", () => {
    expect(np.bitwiseAnd(i32([12]), 10).arraySync()).toEqual([8]);
    expect(np.bitwiseOr(i32([12]), 10).arraySync()).toEqual([14]);
    expect(np.bitwiseXor(i32([12]), 10).arraySync()).toEqual([6]);
    expect(np.bitwiseNot(i32([0, 5])).arraySync()).toEqual([-1, -6]);
    expect(np.invert(np.array([true, false])).arraySync()).toEqual([false, true]);
    expect(() => np.bitwiseAnd(np.array([1.5]), 1)).toThrow(DTypeError);
  });

  it("refuses bool subtract and negative", () => {
    expect(() => np.subtract(np.array([true]), np.array([false]))).toThrow(DTypeError);
    expect(() => np.negative(np.array([true]))).toThrow(DTypeError);
  });
});

describe("unary math", () => {
  it("logs, exps, roots", () => {
    expectClose(np.log(np.array([1, Math.E])), [0, 1]);
    expectClose(np.log2(np.array([8, 1024])), [3, 10]);
    expectClose(np.log10(np.array([1000, 0.01])), [3, -2]);
    expectClose(np.log1p(np.array([0, 1])), [0, Math.LN2]);
    expectClose(np.exp2(np.array([3, -1])), [8, 0.5]);
    expectClose(np.expm1(np.array([0, 1])), [0, Math.E - 1]);
    expectClose(np.cbrt(np.array([-8, 27])), [-2, 3]);
    expectClose(np.sqrt(np.array([4, 2])), [2, Math.SQRT2]);
    expect(Number.isNaN(np.sqrt(-1).dataSync()[0])).toBe(true);
    expect(np.log(0).dataSync()[0]).toBe(-Infinity);
    expectClose(np.reciprocal(np.array([2, 4])), [0.5, 0.25]);
    expect(np.square(i32([3, -4])).arraySync()).toEqual([9, 16]);
  });

  it("trigonometry", () => {
    const x = [0.1, 0.5, -0.7];
    const a = np.array(x);
    expectClose(np.cos(a), x.map(Math.cos));
    expectClose(np.tan(a), x.map(Math.tan));
    expectClose(np.arcsin(a), x.map(Math.asin));
    expectClose(np.arccos(a), x.map(Math.acos));
    expectClose(np.arctan(a), x.map(Math.atan));
    expectClose(np.sinh(a), x.map(Math.sinh));
    expectClose(np.cosh(a), x.map(Math.cosh));
    expectClose(np.tanh(a), x.map(Math.tanh));
    expectClose(np.arcsinh(a), x.map(Math.asinh));
    expectClose(np.arctanh(a), x.map(Math.atanh));
    expectClose(np.arccosh(np.array([1, 2])), [0, Math.acosh(2)]);
    expectClose(np.arctan2(np.array([1, 1, -1]), np.array([1, -1, -1])), [Math.PI / 4, (3 * Math.PI) / 4, (-3 * Math.PI) / 4]);
    expectClose(np.deg2rad(180), [Math.PI]);
    expectClose(np.rad2deg(Math.PI), [180], 1e-5);
    expectClose(np.hypot(np.array([3, 0, 1e30]), np.array([4, 0, 1e30])), [5, 0, Math.SQRT2 * 1e30], 1e-6);
    expect(np.hypot(Infinity, NaN).dataSync()[0]).toBe(Infinity);
    expectClose(np.logaddexp(np.array([0, 1000]), np.array([0, 1000])), [Math.LN2, 1000 + Math.LN2]);
  });

  it("signs and absolute values", () => {
    expect(np.abs(np.array([-1.5, 2])).arraySync()).toEqual([1.5, 2]);
    expect(np.abs(i32([-3])).arraySync()).toEqual([3]);
    expect(np.sign(np.array([-3, 0, 2])).arraySync()).toEqual([-1, 0, 1]);
    expect(np.negative(np.array([1, -2])).arraySync()).toEqual([-1, 2]);
    expect(np.positive(np.array([1, -2])).arraySync()).toEqual([1, -2]);
  });

  it("rounding: half to even, decimals, trunc", () => {
    expect(np.round(np.array([0.5, 1.5, 2.5, 3.5, -1.5, -2.5, 0.4, 2.6])).arraySync()).toEqual([0, 2, 2, 4, -2, -2, 0, 3]);
    expect(Math.abs(np.round(-0.5).dataSync()[0])).toBe(0);
    expect(np.rint(np.array([0.5, 1.5, 2.5])).arraySync()).toEqual([0, 2, 2]);
    expectClose(np.round(np.array([3.14159, 2.71828]), 2), [3.14, 2.72], 1e-6);
    expect(np.round(i32([1234]), -2).arraySync()).toEqual([1200]);
    expect(np.round(i32([7])).dtype).toBe("int32");
    expect(np.floor(np.array([-1.5, 1.5])).arraySync()).toEqual([-2, 1]);
    expect(np.ceil(np.array([-1.5, 1.5])).arraySync()).toEqual([-1, 2]);
    expect(np.trunc(np.array([-1.7, 1.7])).arraySync()).toEqual([-1, 1]);
    expect(np.floor(i32([3])).dtype).toBe("int32");
    expect(np.array([2.5]).round().arraySync()).toEqual([2]);
  });

  it("clip", () => {
    expect(np.clip(np.array([-2, 0.5, 3]), 0, 1).arraySync()).toEqual([0, 0.5, 1]);
    expect(np.clip(np.array([-2, 3]), null, 1).arraySync()).toEqual([-2, 1]);
    expect(np.clip(np.array([-2, 3]), 0).arraySync()).toEqual([0, 3]);
    expect(np.array([-2, 3]).clip(np.array([-1, -1]), 2).arraySync()).toEqual([-1, 2]);
    expect(np.clip(i32([5, -5]), 0, 3).dtype).toBe("int32");
  });
});

describe("NaN and infinities", () => {
  const x = np.array([1, NaN, Infinity, -Infinity]);
  it("classifies", () => {
    expect(np.isnan(x).arraySync()).toEqual([false, true, false, false]);
    expect(np.isinf(x).arraySync()).toEqual([false, false, true, true]);
    expect(np.isfinite(x).arraySync()).toEqual([true, false, false, false]);
    expect(np.isposinf(x).arraySync()).toEqual([false, false, true, false]);
    expect(np.isneginf(x).arraySync()).toEqual([false, false, false, true]);
    expect(np.isnan(i32([1])).arraySync()).toEqual([false]);
    expect(np.isfinite(i32([1])).arraySync()).toEqual([true]);
  });
  it("maximum/minimum propagate NaN, fmax/fmin ignore it", () => {
    const y = np.array([2, 0, 0, 0]);
    const mx = Array.from(np.maximum(x, y).dataSync());
    expect(mx[0]).toBe(2);
    expect(Number.isNaN(mx[1])).toBe(true);
    expect(mx.slice(2)).toEqual([Infinity, 0]);
    expect(Array.from(np.fmax(x, y).dataSync())).toEqual([2, 0, Infinity, 0]);
    expect(Array.from(np.fmin(x, y).dataSync())).toEqual([1, 0, 0, -Infinity]);
    expect(Number.isNaN(np.fmax(NaN, NaN).dataSync()[0])).toBe(true);
  });
  it("nanToNum", () => {
    expect(Array.from(np.nanToNum(x, { posinf: 9, neginf: -9 }).dataSync())).toEqual([1, 0, 9, -9]);
  });
  it("arithmetic with infinities", () => {
    expect(Array.from(np.add(x, 1).dataSync()).slice(2)).toEqual([Infinity, -Infinity]);
    expect(np.divide(1, np.array([0, -0])).arraySync()).toEqual([Infinity, -Infinity]);
  });
});

describe("comparisons, logic, where", () => {
  const a = np.array([1, 2, 3]);
  it("compare with broadcasting", () => {
    expect(np.equal(a, 2).arraySync()).toEqual([false, true, false]);
    expect(np.notEqual(a, 2).arraySync()).toEqual([true, false, true]);
    expect(np.less(a, 2).arraySync()).toEqual([true, false, false]);
    expect(np.lessEqual(a, 2).arraySync()).toEqual([true, true, false]);
    expect(np.greater(a, 2).arraySync()).toEqual([false, false, true]);
    expect(np.greaterEqual(a, 2).arraySync()).toEqual([false, true, true]);
    expect(a.gt(np.array([[0], [5]])).arraySync()).toEqual([[true, true, true], [false, false, false]]);
    expect(np.equal(NaN, NaN).arraySync()).toBe(false);
    expect(np.equal(i32([2]), 2.5).arraySync()).toEqual([false]);
  });
  it("logic on truth values", () => {
    const p = np.array([true, true, false, false]);
    const q = np.array([true, false, true, false]);
    expect(np.logicalAnd(p, q).arraySync()).toEqual([true, false, false, false]);
    expect(np.logicalOr(p, q).arraySync()).toEqual([true, true, true, false]);
    expect(np.logicalXor(p, q).arraySync()).toEqual([false, true, true, false]);
    expect(np.logicalNot(np.array([0, 2])).arraySync()).toEqual([true, false]);
    expect(p.and(q).arraySync()).toEqual([true, false, false, false]);
    expect(p.not().arraySync()).toEqual([false, false, true, true]);
  });
  it("where broadcasts and promotes", () => {
    const x = np.array([1, -1, 2]);
    expect(np.where(x.gt(0), x, 0).arraySync()).toEqual([1, 0, 2]);
    expect(np.where(np.array([[true], [false]]), x, np.array([7, 8, 9])).arraySync()).toEqual([[1, -1, 2], [7, 8, 9]]);
    expect(np.where(true, 1, 2).arraySync()).toBe(1);
    expect(np.where(i32([1, 0]), i32([1, 1]), 0.5).dtype).toBe("float32");
    expect(np.where(i32([1, 0]), i32([1, 1]), 0.5).arraySync()).toEqual([1, 0.5]);
    expect(() => np.where(np.array([true, false, true]), np.zeros([2]), 0)).toThrow(ShapeError);
  });
  it("isclose/allclose", () => {
    expect(np.isclose(np.array([1, 2, Infinity, NaN]), np.array([1.000001, 2.1, Infinity, NaN])).arraySync()).toEqual([true, false, true, false]);
    expect(np.isclose(NaN, NaN, { equalNan: true }).arraySync()).toBe(true);
    expect(np.allclose(np.array([1, 2]), np.array([1, 2])).arraySync()).toBe(true);
    expect(np.arrayEqual(np.array([1, 2]), np.array([1, 2, 3])).arraySync()).toBe(false);
  });
});

describe("error types", () => {
  it("a 0-d boolean index is typed (1-d masks select, see numpy-indexing)", () => {
    expect(np.array([1, 2]).get(np.array([true, false])).arraySync()).toEqual([1]);
    expect(() => np.array([1, 2]).get(np.array(true))).toThrow(UnsupportedError);
  });
});

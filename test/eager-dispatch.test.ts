/**
 * Eager dispatch's fast paths (runtime/dispatch.ts, placement.ts, trace/core.ts):
 * the recent-signature lookup tells apart calls that differ only in a
 * parameter, a dtype, a weak type or a shape; shared scalar literals keep −0
 * and +0 (and NaN) apart; a ShapedArray never shares a shape its caller can
 * still change.
 */
import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import * as lax from "../src/lax/index.js";
import * as np from "../src/numpy/index.js";
import type { Array } from "../src/array.js";
import { ShapedArray } from "../src/trace/core.js";
import type { Value } from "../src/trace/core.js";
import { jit } from "../src/transforms/jit.js";
import { grad } from "../src/transforms/linearize.js";

const vals = (x: Value) => globalThis.Array.from((x as Array).dataSync());

describe("eager dispatch", () => {
  it("calls alternating in a parameter, a dtype, a weak type or a shape each get their own lowering", () => {
    const x = np.array([1, 2, 3], { dtype: "float32" }) as Array;
    const xi = np.array([1, 2, 3], { dtype: "int32" }) as Array;
    const y = np.array([1, 2], { dtype: "float32" }) as Array;
    for (let i = 0; i < 6; i++) {
      expect(vals(lax.integerPow(x, 2 + (i % 3)))).toEqual([1, 2, 3].map((v) => v ** (2 + (i % 3))));
      expect(vals(lax.integerPow(i % 2 ? xi : x, 3))).toEqual([1, 8, 27]);
      expect((lax.integerPow(i % 2 ? xi : x, 3) as Array).dtype).toBe(i % 2 ? "int32" : "float32");
      const weak = x.add(1) as Array; // a weak scalar keeps float32
      const strong = x.add(np.array(1, { dtype: "float64" })) as Array;
      expect([weak.dtype, strong.dtype]).toEqual(["float32", "float64"]);
      expect(vals(lax.integerPow(i % 2 ? y : x, 2))).toEqual(i % 2 ? [1, 4] : [1, 4, 9]);
    }
  });
  it("scalar literals shared between jaxprs keep −0, +0 and NaN apart", () => {
    const x = np.array([2, -3], { dtype: "float32" }) as Array;
    // separate jaxprs, whose literals share one array per value: −0 and +0 must not meet in it
    const negative = jit((v: Value) => np.copysign(v, -0));
    const positive = jit((v: Value) => np.copysign(v, 0));
    const f = jit((v: Value) => [v.mul(NaN), v.mul(-0)]);
    for (let i = 0; i < 2; i++) {
      const [neg, pos] = [negative(x), positive(x)].map((o) => vals(o as Value));
      const [nan, negZero] = (f(x) as unknown as Value[]).map(vals);
      expect(neg).toEqual([-2, -3]);
      expect(pos).toEqual([2, 3]);
      expect(nan.every(Number.isNaN)).toBe(true);
      expect(negZero.map((v) => Object.is(v, -0) || Object.is(v, 0))).toEqual([true, true]);
      expect(Object.is(negZero[0], -0)).toBe(true);
      expect(Object.is(negZero[1], 0)).toBe(true);
    }
    // a transposed product reads its scalar literal through the shared arrays: −0 and +0 stay apart
    const w1 = np.array(1, { dtype: "float32" }) as Array;
    const byNegZero = grad((w: Value) => w.mul(-0));
    const byZero = grad((w: Value) => w.mul(0));
    for (let i = 0; i < 2; i++) {
      expect(Object.is((byZero(w1) as Array).dataSync()[0], 0)).toBe(true);
      expect(Object.is((byNegZero(w1) as Array).dataSync()[0], -0)).toBe(true);
    }
    // gradients trace new literals on every call: the values stay right call after call
    const g = grad((w: Value) => np.sin(np.power(w.add(1), 3)));
    const w = np.array(0.3, { dtype: "float32" }) as Array;
    const want = 3 * 1.3 ** 2 * Math.cos(1.3 ** 3);
    for (let i = 0; i < 3; i++) expect(Math.abs((g(w) as Array).dataSync()[0] - want)).toBeLessThan(1e-5);
  });
  it("a ShapedArray copies a shape its caller owns and shares one another ShapedArray froze", () => {
    const s = [2, 3];
    const a = new ShapedArray(s, "float32");
    s[0] = 5;
    expect(a.shape).toEqual([2, 3]);
    const b = new ShapedArray(a.shape, "int32", true);
    expect(b.shape).toBe(a.shape);
    expect(Object.isFrozen(b.shape)).toBe(true);
    expect(new ShapedArray([], "float32").shape).toEqual([]);
    expect([new ShapedArray([], "float32").key, new ShapedArray([], "float32", true).key, new ShapedArray([], "int32").key]).toEqual(["f32[]", "f32[]~", "i32[]"]);
  });
});

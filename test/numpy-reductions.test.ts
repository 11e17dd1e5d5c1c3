import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { ShapeError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";
import { expectClose } from "./helpers.js";

const M = np.array([[1, 2, 3], [4, 5, 6]]);

describe("sum, mean, prod", () => {
  it("over all axes, one axis, several, negative axes", () => {
    expect(np.sum(M).arraySync()).toBe(21);
    expect(np.sum(M, 0).arraySync()).toEqual([5, 7, 9]);
    expect(np.sum(M, 1).arraySync()).toEqual([6, 15]);
    expect(np.sum(M, -1).arraySync()).toEqual([6, 15]);
    expect(np.sum(M, [0, 1]).arraySync()).toBe(21);
    expect(np.sum(M, null).arraySync()).toBe(21);
    expect(M.sum(0).arraySync()).toEqual([5, 7, 9]);
    expect(np.mean(M, 0).arraySync()).toEqual([2.5, 3.5, 4.5]);
    expect(M.mean().arraySync()).toBe(3.5);
    expect(np.prod(M, 1).arraySync()).toEqual([6, 120]);
    expect(M.prod().arraySync()).toBe(720);
  });

  it("keepdims", () => {
    expect(np.sum(M, 1, { keepdims: true }).arraySync()).toEqual([[6], [15]]);
    expect(np.sum(M, null, { keepdims: true }).shape).toEqual([1, 1]);
    expect(M.max(0, { keepdims: true }).shape).toEqual([1, 3]);
    expect(np.argmax(M, 1, { keepdims: true }).shape).toEqual([2, 1]);
    expect(np.argmax(M, undefined, { keepdims: true }).shape).toEqual([1, 1]);
  });

  it("dtypes: bools sum as int32, ints average to float32", () => {
    const b = np.array([true, true, false]);
    expect(np.sum(b).dtype).toBe("int32");
    expect(np.sum(b).arraySync()).toBe(2);
    const i = np.array([1, 2], { dtype: "int32" });
    expect(np.sum(i).dtype).toBe("int32");
    expect(np.mean(i).dtype).toBe("float32");
    expect(np.mean(i).arraySync()).toBe(1.5);
    expect(np.sum(i, null, { dtype: "float32" }).dtype).toBe("float32");
  });

  it("empty arrays: sum 0, prod 1, mean NaN, max throws", () => {
    const z = np.zeros([0, 3]);
    expect(np.sum(z, 0).arraySync()).toEqual([0, 0, 0]);
    expect(np.sum(z).arraySync()).toBe(0);
    expect(np.prod(z, 0).arraySync()).toEqual([1, 1, 1]);
    expect(Number.isNaN(np.mean(z).dataSync()[0])).toBe(true);
    expect(np.sum(z, 1).shape).toEqual([0]);
    expect(np.max(z, 1).shape).toEqual([0]);
    expect(() => np.max(z)).toThrow(ShapeError);
    expect(() => np.max(z, 0)).toThrow(/np\.max/);
    expect(() => np.argmax(z)).toThrow(ShapeError);
  });

  it("0-d arrays", () => {
    const s = np.array(5);
    expect(np.sum(s).arraySync()).toBe(5);
    expect(np.max(s).arraySync()).toBe(5);
    expect(np.argmax(s).arraySync()).toBe(0);
    expect(np.cumsum(s).arraySync()).toEqual([5]);
  });

  it("NaN and infinities", () => {
    const x = np.array([1, NaN, 3]);
    expect(Number.isNaN(np.max(x).dataSync()[0])).toBe(true);
    expect(Number.isNaN(np.min(x).dataSync()[0])).toBe(true);
    expect(Number.isNaN(np.sum(x).dataSync()[0])).toBe(true);
    expect(np.max(np.array([1, -Infinity])).arraySync()).toBe(1);
    expect(np.min(np.array([1, -Infinity])).arraySync()).toBe(-Infinity);
    expect(Number.isNaN(np.sum(np.array([Infinity, -Infinity])).dataSync()[0])).toBe(true);
  });

  it("rejects bad axes", () => {
    expect(() => np.sum(M, 2)).toThrow(ShapeError);
    expect(() => np.sum(M, [0, 0])).toThrow(ShapeError);
    expect(() => np.sum(M, -3)).toThrow(/np\.sum/);
  });
});

describe("max, min, argmax, argmin", () => {
  it("along axes", () => {
    const x = np.array([[1, 5], [3, 2]]);
    expect(np.max(x, 1).arraySync()).toEqual([5, 3]);
    expect(np.min(x, 0).arraySync()).toEqual([1, 2]);
    expect(np.max(x).arraySync()).toBe(5);
    expect(np.argmax(np.array([1, 5, 3])).arraySync()).toBe(1);
    expect(np.argmax(x).arraySync()).toBe(1);
    expect(np.argmax(x).dtype).toBe("int32");
    expect(np.argmin(x, 1).arraySync()).toEqual([0, 1]);
    expect(np.argmax(x, -2).arraySync()).toEqual([1, 0]);
    expect(np.argmax(np.array([2, 7, 7])).arraySync()).toBe(1);
    expect(x.argmin().arraySync()).toBe(0);
    expect(np.ptp(np.array([1, 5, 3])).arraySync()).toBe(4);
  });
});

describe("var, std", () => {
  it("population and sample", () => {
    const x = np.array([1, 2, 3, 4]);
    expectClose(np.var_(x), [1.25]);
    expectClose(np.var(x), [1.25]);
    expectClose(np.std(x), [Math.sqrt(1.25)]);
    expectClose(np.var(x, null, { ddof: 1 }), [5 / 3]);
    expectClose(np.std(M, 1), [Math.sqrt(2 / 3), Math.sqrt(2 / 3)]);
    expectClose(M.var(0), [2.25, 2.25, 2.25]);
    expect(M.std(0, { keepdims: true }).shape).toEqual([1, 3]);
  });
});

describe("all, any, countNonzero", () => {
  it("truth reductions", () => {
    const b = np.array([[true, false], [true, true]]);
    expect(np.all(b).arraySync()).toBe(false);
    expect(np.any(b).arraySync()).toBe(true);
    expect(np.all(b, 0).arraySync()).toEqual([true, false]);
    expect(np.any(b, 1).arraySync()).toEqual([true, true]);
    expect(np.all(np.array([1, 2])).arraySync()).toBe(true);
    expect(np.any(np.array([0, 0])).arraySync()).toBe(false);
    expect(np.all(np.zeros([0])).arraySync()).toBe(true);
    expect(np.any(np.zeros([0])).arraySync()).toBe(false);
    expect(np.any(np.zeros([2, 0]), 1).arraySync()).toEqual([false, false]);
    expect(np.countNonzero(np.array([0, 1, 2])).arraySync()).toBe(2);
  });
});

describe("cumsum, cumprod", () => {
  it("along axes and flattened", () => {
    expect(np.cumsum(np.array([1, 2, 3])).arraySync()).toEqual([1, 3, 6]);
    expect(np.cumsum(M).arraySync()).toEqual([1, 3, 6, 10, 15, 21]);
    expect(np.cumsum(M, 0).arraySync()).toEqual([[1, 2, 3], [5, 7, 9]]);
    expect(np.cumsum(M, -1).arraySync()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(M.cumsum(1).arraySync()).toEqual([[1, 3, 6], [4, 9, 15]]);
    expect(np.cumprod(np.array([1, 2, 3, 4])).arraySync()).toEqual([1, 2, 6, 24]);
    expect(np.cumsum(np.array([true, true])).dtype).toBe("int32");
  });
});

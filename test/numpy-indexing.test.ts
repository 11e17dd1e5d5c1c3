import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { DTypeError, ShapeError, UnsupportedError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";
import { grad } from "../src/index.js";
import type { Value } from "../src/index.js";

// x[i, j] = 10 i + j, shape [3, 4]
const X = () => np.array([[0, 1, 2, 3], [10, 11, 12, 13], [20, 21, 22, 23]]);
const idx = (v: number[] | number[][]) => np.array(v, { dtype: "int32" });

describe("x.get: basic indices", () => {
  it("numbers drop axes; negatives count from the end", () => {
    expect(X().get(1).arraySync()).toEqual([10, 11, 12, 13]);
    expect(X().get(-1).arraySync()).toEqual([20, 21, 22, 23]);
    expect(X().get(1, 2).arraySync()).toBe(12);
    expect(X().get(-1, -1).arraySync()).toBe(23);
    expect(X().get(":", 0).arraySync()).toEqual([0, 10, 20]);
    expect(X().get(2, 3).shape).toEqual([]);
  });
  it("out of range integers throw ShapeError", () => {
    expect(() => X().get(3)).toThrow(ShapeError);
    expect(() => X().get(0, -5)).toThrow(/out of bounds for axis 1 with size 4/);
    expect(() => X().get(0, 0, 0)).toThrow(/too many indices/);
    expect(() => X().get(1.5)).toThrow(ShapeError);
    expect(() => X().get("foo" as never)).toThrow(ShapeError);
    expect(() => X().get("...", "...")).toThrow(ShapeError);
  });
  it("slices [start, stop?, step?]", () => {
    expect(X().get([1, -1]).arraySync()).toEqual([[10, 11, 12, 13]]);
    expect(X().get([1]).arraySync()).toEqual([[10, 11, 12, 13], [20, 21, 22, 23]]);
    expect(X().get(":", [null, null, 2]).arraySync()).toEqual([[0, 2], [10, 12], [20, 22]]);
    expect(X().get(0, [1, 3]).arraySync()).toEqual([1, 2]);
    expect(X().get(0, [-3, null]).arraySync()).toEqual([1, 2, 3]);
    expect(X().get(0, [5, 10]).shape).toEqual([0]);
    expect(X().get(0, [3, 1]).shape).toEqual([0]);
    expect(X().get(0, [-100, 100]).arraySync()).toEqual([0, 1, 2, 3]);
    expect(X().get([0, 3, 2], [1, 4, 2]).arraySync()).toEqual([[1, 3], [21, 23]]);
    expect(() => X().get([0, 1, 0])).toThrow(/step cannot be zero/);
  });
  it("negative steps reverse", () => {
    expect(X().get(0, [null, null, -1]).arraySync()).toEqual([3, 2, 1, 0]);
    expect(X().get(0, [null, null, -2]).arraySync()).toEqual([3, 1]);
    expect(X().get(0, [2, null, -1]).arraySync()).toEqual([2, 1, 0]);
    expect(X().get(0, [2, 0, -1]).arraySync()).toEqual([2, 1]);
    expect(X().get(0, [-1, -3, -1]).arraySync()).toEqual([3, 2]);
    expect(X().get(0, [0, 2, -1]).shape).toEqual([0]);
    expect(X().get([null, null, -1], 0).arraySync()).toEqual([20, 10, 0]);
  });
  it("ellipsis and new axes", () => {
    expect(X().get("...", 1).arraySync()).toEqual([1, 11, 21]);
    expect(X().get(1, "...").arraySync()).toEqual([10, 11, 12, 13]);
    expect(X().get("...").shape).toEqual([3, 4]);
    expect(X().get(null).shape).toEqual([1, 3, 4]);
    expect(X().get(":", null).shape).toEqual([3, 1, 4]);
    expect(X().get("...", null).shape).toEqual([3, 4, 1]);
    expect(X().get(0, null, [1, 3]).arraySync()).toEqual([[1, 2]]);
    const cube = np.reshape(np.arange(24), [2, 3, 4]);
    expect(cube.get("...", 0).shape).toEqual([2, 3]);
    expect(cube.get(1, "...", 2).arraySync()).toEqual([14, 18, 22]);
    expect(np.array(5).get().arraySync()).toBe(5);
    expect(np.array(5).get(null).shape).toEqual([1]);
  });
});

describe("x.get: integer arrays", () => {
  it("one index array gathers along its axis", () => {
    expect(X().get(idx([2, 0])).arraySync()).toEqual([[20, 21, 22, 23], [0, 1, 2, 3]]);
    expect(X().get(":", idx([3, -1, 0])).arraySync()).toEqual([[3, 3, 0], [13, 13, 10], [23, 23, 20]]);
    expect(X().get(idx([[0], [2]])).shape).toEqual([2, 1, 4]);
    expect(X().get(1, idx([0, 2])).arraySync()).toEqual([10, 12]);
    expect(X().get(idx([0, 2]), 1).arraySync()).toEqual([1, 21]);
    expect(X().get(idx([1, 2]), [1, 3]).arraySync()).toEqual([[11, 12], [21, 22]]);
  });
  it("several index arrays broadcast together", () => {
    expect(X().get(idx([0, 1, 2]), idx([3, 2, 1])).arraySync()).toEqual([3, 12, 21]);
    expect(X().get(idx([[0], [2]]), idx([1, 3])).arraySync()).toEqual([[1, 3], [21, 23]]);
    const cube = np.reshape(np.arange(24), [2, 3, 4]);
    // adjacent advanced indices stay in place
    expect(cube.get(":", idx([0, 2]), idx([1, 3])).arraySync()).toEqual([[1, 11], [13, 23]]);
    // separated ones go first (NumPy's rule)
    const sep = cube.get(idx([0, 1]), ":", idx([1, 3]));
    expect(sep.shape).toEqual([2, 3]);
    expect(sep.arraySync()).toEqual([[1, 5, 9], [15, 19, 23]]);
    // an integer next to an array counts as advanced
    expect(cube.get(0, ":", idx([1, 2])).shape).toEqual([2, 3]);
    expect(cube.get(":", 0, idx([1, 2])).shape).toEqual([2, 2]);
  });
  it("0-d integer arrays index like numbers", () => {
    expect(X().get(np.array(2, { dtype: "int32" })).arraySync()).toEqual([20, 21, 22, 23]);
  });
  it("boolean masks select their trues; float indices are refused", () => {
    expect(X().get(np.array([true, false, true])).arraySync()).toEqual([[0, 1, 2, 3], [20, 21, 22, 23]]);
    expect(X().get(X().gt(12)).arraySync()).toEqual([13, 20, 21, 22, 23]);
    expect(() => X().get(np.array([true, false]))).toThrow(/boolean mask of shape \(2,\) must match/);
    expect(() => X().get(np.array(true))).toThrow(UnsupportedError);
    expect(() => X().get(np.array([0, 1]))).toThrow(DTypeError);
  });
});

describe("x.at", () => {
  it("set/add with numbers and slices", () => {
    expect(np.zeros([3]).at(1).set(5).arraySync()).toEqual([0, 5, 0]);
    expect(np.zeros([3]).at(-1).add(2).arraySync()).toEqual([0, 0, 2]);
    expect(np.zeros([2, 2]).at(":", 0).add(1).arraySync()).toEqual([[1, 0], [1, 0]]);
    expect(X().at([1]).set(np.array([7, 8, 9, 6])).arraySync()).toEqual([[0, 1, 2, 3], [7, 8, 9, 6], [7, 8, 9, 6]]);
    expect(X().at(0, [null, null, 2]).set(-1).arraySync()).toEqual([[-1, 1, -1, 3], [10, 11, 12, 13], [20, 21, 22, 23]]);
    expect(X().at(0, [null, null, -1]).set(np.array([1, 2, 3, 4])).get(0).arraySync()).toEqual([4, 3, 2, 1]);
    expect(X().at(0, [null, null, -2]).add(100).get(0).arraySync()).toEqual([0, 101, 2, 103]);
    expect(X().at(0, [2, 2]).set(5).arraySync()).toEqual(X().arraySync());
    expect(X().at(null, 1).set(0).get(1).arraySync()).toEqual([0, 0, 0, 0]);
  });
  it("mul, min, max, get", () => {
    expect(np.array([1, 2, 3]).at([1]).mul(10).arraySync()).toEqual([1, 20, 30]);
    expect(np.array([1, 5, 3]).at([0, 2]).min(2).arraySync()).toEqual([1, 2, 3]);
    expect(np.array([1, 5, 3]).at(":").max(4).arraySync()).toEqual([4, 5, 4]);
    expect(np.array([1, 5, 3]).at(1).get().arraySync()).toBe(5);
  });
  it("keeps the dtype, converting updates", () => {
    const i = np.array([1, 2, 3], { dtype: "int32" });
    const r = i.at(0).set(2.7);
    expect(r.dtype).toBe("int32");
    expect(r.arraySync()).toEqual([2, 2, 3]);
    const b = np.array([false, false]).at(1).set(true);
    expect(b.dtype).toBe("bool");
    expect(b.arraySync()).toEqual([false, true]);
  });
  it("integer arrays: repeats combine every update, set keeps the last; out-of-range ones are dropped", () => {
    expect(np.zeros([4]).at(idx([0, 2, 0])).add(1).arraySync()).toEqual([2, 0, 1, 0]);
    expect(np.zeros([4]).at(idx([0, 2, 0])).add(np.array([1, 2, 3])).arraySync()).toEqual([4, 0, 2, 0]);
    expect(np.zeros([4]).at(idx([3, -1, 1])).set(np.array([5, 5, 6])).arraySync()).toEqual([0, 6, 0, 5]);
    expect(np.zeros([2, 3]).at(":", idx([2, 0])).set(np.array([1, 2])).arraySync()).toEqual([[2, 0, 1], [2, 0, 1]]);
    expect(np.zeros([2, 3]).at(idx([0, 1]), idx([2, 0])).set(7).arraySync()).toEqual([[0, 0, 7], [7, 0, 0]]);
    expect(np.ones([3]).at(idx([2, 0])).mul(np.array([5, 3])).arraySync()).toEqual([3, 1, 5]);
    expect(np.array([1, 5, 3]).at(idx([0, 1])).max(4).arraySync()).toEqual([4, 5, 3]);
    expect(np.ones([3]).at(idx([1, 1])).mul(2).arraySync()).toEqual([1, 4, 1]);
    expect(np.zeros([3]).at(idx([0, 0, 1])).set(np.array([1, 2, 3])).arraySync()).toEqual([2, 3, 0]);
    expect(np.zeros([3]).at(idx([3, -4, 1])).set(5).arraySync()).toEqual([0, 5, 0]);
    expect(np.zeros([3]).at(3).set(5).arraySync()).toEqual([0, 0, 0]);
    // an empty axis has no index in range: nothing changes, as in JAX
    expect(np.zeros([0]).at(idx([0, -1])).set(1).shape).toEqual([0]);
    expect(np.zeros([0, 3]).at(idx([1])).add(1).shape).toEqual([0, 3]);
    expect(() => np.take(np.zeros([0]), idx([0]))).toThrow(ShapeError);
  });
  it("on an empty axis every update is dropped, and so is its gradient", () => {
    const i = idx([0, 2]);
    for (const op of ["set", "add", "mul", "min", "max"] as const) {
      const g = grad((u: Value) => np.sum(np.zeros([0, 2]).at(i)[op](u)))(np.ones([2, 2])) as Value;
      expect(g.arraySync()).toEqual([[0, 0], [0, 0]]);
    }
  });
  it("update shapes must broadcast to the region", () => {
    expect(() => np.zeros([3]).at([0, 2]).set(np.array([1, 2, 3]))).toThrow(ShapeError);
  });
});

describe("take and takeAlongAxis", () => {
  it("take", () => {
    expect(np.take(np.array([10, 20, 30]), [2, 0]).arraySync()).toEqual([30, 10]);
    expect(np.take(X(), [1], 1).arraySync()).toEqual([[1], [11], [21]]);
    expect(np.take(X(), 5).arraySync()).toBe(11);
    expect(np.take(X(), -1, 0).arraySync()).toEqual([20, 21, 22, 23]);
    expect(np.take(X(), idx([0, -1]), 1).arraySync()).toEqual([[0, 3], [10, 13], [20, 23]]);
    expect(np.take(X(), [[0, 1], [2, 0]], 0).shape).toEqual([2, 2, 4]);
    // many scattered static indices take the gather path
    const perm = [3, 0, 2, 1, 3, 0, 2, 1, 3, 0, 2, 1];
    expect(np.take(np.array([0, 1, 2, 3]), perm).arraySync()).toEqual(perm);
    // out of range: JAX's fill value (int32's minimum; NaN for floats)
    expect(np.take(X().astype("int32"), [4], 1).arraySync()).toEqual([[-2147483648], [-2147483648], [-2147483648]]);
    expect(np.take(np.array([1.5, 2.5]), [0, -3]).arraySync()).toEqual([1.5, NaN]);
    expect(np.take(np.array([1.5, 2.5]), [0, -3], null, { mode: "clip" }).arraySync()).toEqual([1.5, 1.5]);
  });
  it("takeAlongAxis", () => {
    const x = np.array([[10, 30, 20], [60, 40, 50]]);
    const order = np.argsort(x, 1);
    expect(order.arraySync()).toEqual([[0, 2, 1], [1, 2, 0]]);
    expect(np.takeAlongAxis(x, order, 1).arraySync()).toEqual([[10, 20, 30], [40, 50, 60]]);
    expect(np.takeAlongAxis(x, idx([[1, 0, 1]]), 0).arraySync()).toEqual([[60, 30, 50]]);
    expect(np.takeAlongAxis(x, idx([[0], [2]]), -1).arraySync()).toEqual([[10], [50]]);
    expect(np.takeAlongAxis(x, idx([5, 0]), null).arraySync()).toEqual([50, 10]);
  });
});

describe("sort and argsort", () => {
  it("along axes, stable, NaN last", () => {
    expect(np.sort(np.array([3, 1, 2])).arraySync()).toEqual([1, 2, 3]);
    expect(np.sort(np.array([[3, 1], [0, 2]]), 0).arraySync()).toEqual([[0, 1], [3, 2]]);
    expect(np.sort(np.array([[3, 1], [0, 2]]), null).arraySync()).toEqual([0, 1, 2, 3]);
    expect(np.sort(np.array([3, 1, 2]), -1, { descending: true }).arraySync()).toEqual([3, 2, 1]);
    const s = Array.from(np.sort(np.array([2, NaN, 1])).dataSync());
    expect(s.slice(0, 2)).toEqual([1, 2]);
    expect(Number.isNaN(s[2])).toBe(true);
    expect(np.argsort(np.array([3, 1, 2])).arraySync()).toEqual([1, 2, 0]);
    expect(np.argsort(np.array([1, 0, 1, 0])).arraySync()).toEqual([1, 3, 0, 2]);
    expect(np.argsort(np.array([1, 0, 1, 0]), -1, { descending: true }).arraySync()).toEqual([0, 2, 1, 3]);
    expect(np.argsort(np.array([3, 1, 2])).dtype).toBe("int32");
    expect(() => np.sort(np.array(1))).toThrow(ShapeError);
  });
});

import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { ShapeError, UnsupportedError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";

const a6 = () => np.arange(6);
const M = () => np.array([[1, 2, 3], [4, 5, 6]]);

describe("reshape and axes", () => {
  it("reshape with -1", () => {
    expect(np.reshape(a6(), [2, -1]).shape).toEqual([2, 3]);
    expect(np.reshape(a6(), [-1]).shape).toEqual([6]);
    expect(a6().reshape([3, 2]).arraySync()).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(np.reshape(np.zeros([0, 3]), [-1, 3]).shape).toEqual([0, 3]);
    expect(np.reshape(np.array(5), [1, 1]).shape).toEqual([1, 1]);
  });
  it("reshape errors name the function and shapes", () => {
    expect(() => np.reshape(a6(), [4, -1])).toThrow(ShapeError);
    expect(() => np.reshape(a6(), [4, -1])).toThrow(/np\.reshape.*\(6,\)/);
    expect(() => np.reshape(a6(), [4])).toThrow(/\(4,\)/);
    expect(() => np.reshape(a6(), [-1, -1])).toThrow(ShapeError);
  });
  it("transpose, moveaxis, swapaxes", () => {
    expect(np.transpose(M()).arraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(M().T.arraySync()).toEqual([[1, 4], [2, 5], [3, 6]]);
    const x = np.zeros([2, 3, 4]);
    expect(np.transpose(x).shape).toEqual([4, 3, 2]);
    expect(np.transpose(x, [1, 0, 2]).shape).toEqual([3, 2, 4]);
    expect(np.transpose(x, [-1, 0, 1]).shape).toEqual([4, 2, 3]);
    expect(() => np.transpose(x, [0, 0, 1])).toThrow(ShapeError);
    expect(() => np.transpose(x, [0, 1])).toThrow(ShapeError);
    expect(np.moveaxis(x, 0, -1).shape).toEqual([3, 4, 2]);
    expect(np.moveaxis(x, [0, 1], [-1, -2]).shape).toEqual([4, 3, 2]);
    expect(np.moveaxis(x, -1, 0).shape).toEqual([4, 2, 3]);
    expect(np.swapaxes(x, 0, 2).shape).toEqual([4, 3, 2]);
    const y = np.reshape(np.arange(6), [1, 2, 3]);
    expect(np.moveaxis(y, 2, 0).arraySync()).toEqual([[[0, 3]], [[1, 4]], [[2, 5]]]);
  });
  it("expandDims, squeeze, ravel, broadcastTo", () => {
    expect(np.expandDims(np.ones([3]), 0).shape).toEqual([1, 3]);
    expect(np.expandDims(np.ones([3]), -1).shape).toEqual([3, 1]);
    expect(np.expandDims(np.ones([3]), [0, -1]).shape).toEqual([1, 3, 1]);
    expect(np.squeeze(np.ones([1, 3, 1])).shape).toEqual([3]);
    expect(np.squeeze(np.ones([1, 3, 1]), -1).shape).toEqual([1, 3]);
    expect(() => np.squeeze(np.ones([1, 3]), 1)).toThrow(ShapeError);
    expect(np.ravel(M()).arraySync()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(M().flatten().shape).toEqual([6]);
    expect(np.broadcastTo(np.array([1, 2, 3]), [2, 3]).arraySync()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(() => np.broadcastTo(np.array([1, 2, 3]), [2, 2])).toThrow(/np\.broadcastTo/);
    const [p, q] = np.broadcastArrays(np.ones([3, 1]), np.ones([4]));
    expect(p.shape).toEqual([3, 4]);
    expect(q.shape).toEqual([3, 4]);
    expect(np.astype(np.array([1.7, -1.7]), "int32").arraySync()).toEqual([1, -1]);
    expect(np.array([1, 0]).astype("bool").arraySync()).toEqual([true, false]);
  });
});

describe("joining and splitting", () => {
  it("concatenate and stack", () => {
    expect(np.concatenate([np.ones([2, 3]), np.zeros([1, 3])]).shape).toEqual([3, 3]);
    expect(np.concatenate([np.array([[1], [2]]), np.array([[3], [4]])], 1).arraySync()).toEqual([[1, 3], [2, 4]]);
    expect(np.concatenate([M(), M()], -1).shape).toEqual([2, 6]);
    expect(np.concatenate([M(), np.array([7])], null).arraySync()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const c = np.concatenate([np.array([1], { dtype: "int32" }), np.array([0.5])]);
    expect(c.dtype).toBe("float32");
    expect(() => np.concatenate([np.ones([2, 3]), np.ones([2, 2])])).toThrow(/np\.concatenate/);
    expect(() => np.concatenate([np.array(1), np.array(2)])).toThrow(ShapeError);
    expect(np.stack([np.array([1, 2]), np.array([3, 4])]).arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(np.stack([np.array([1, 2]), np.array([3, 4])], 1).arraySync()).toEqual([[1, 3], [2, 4]]);
    expect(np.stack([np.array([1, 2]), np.array([3, 4])], -1).shape).toEqual([2, 2]);
    expect(() => np.stack([np.ones([2]), np.ones([3])])).toThrow(ShapeError);
    expect(np.hstack([np.array([1, 2]), np.array([3])]).arraySync()).toEqual([1, 2, 3]);
    expect(np.hstack([np.ones([2, 1]), np.zeros([2, 2])]).shape).toEqual([2, 3]);
    expect(np.vstack([np.array([1, 2]), np.array([3, 4])]).arraySync()).toEqual([[1, 2], [3, 4]]);
    expect(np.dstack([np.ones([2]), np.zeros([2])]).shape).toEqual([1, 2, 2]);
    expect(np.columnStack([np.array([1, 2]), np.array([3, 4])]).arraySync()).toEqual([[1, 3], [2, 4]]);
  });
  it("split and arraySplit", () => {
    const parts = np.split(a6(), 3);
    expect(parts.map((p) => p.arraySync())).toEqual([[0, 1], [2, 3], [4, 5]]);
    expect(np.split(a6(), [1, 4]).map((p) => p.arraySync())).toEqual([[0], [1, 2, 3], [4, 5]]);
    expect(np.split(a6(), [-2]).map((p) => p.arraySync())).toEqual([[0, 1, 2, 3], [4, 5]]);
    expect(np.split(a6(), [4, 10]).map((p) => p.shape[0])).toEqual([4, 2, 0]);
    expect(np.split(M(), 3, 1).map((p) => p.arraySync())).toEqual([[[1], [4]], [[2], [5]], [[3], [6]]]);
    expect(() => np.split(a6(), 4)).toThrow(/np\.arraySplit/);
    expect(np.arraySplit(np.arange(5), 2).map((p) => p.arraySync())).toEqual([[0, 1, 2], [3, 4]]);
    expect(np.arraySplit(np.arange(5), 3).map((p) => p.shape[0])).toEqual([2, 2, 1]);
  });
});

describe("repetition", () => {
  it("tile", () => {
    expect(np.tile(np.array([1, 2]), 2).arraySync()).toEqual([1, 2, 1, 2]);
    expect(np.tile(np.array([1, 2]), [2, 1]).arraySync()).toEqual([[1, 2], [1, 2]]);
    expect(np.tile(np.array([[1, 2], [3, 4]]), [1, 2]).arraySync()).toEqual([[1, 2, 1, 2], [3, 4, 3, 4]]);
    expect(np.tile(np.array([[1], [2]]), 2).arraySync()).toEqual([[1, 1], [2, 2]]);
  });
  it("repeat", () => {
    expect(np.repeat(np.array([1, 2]), 2).arraySync()).toEqual([1, 1, 2, 2]);
    expect(np.repeat(np.array([[1, 2], [3, 4]]), 2).arraySync()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(np.repeat(np.array([[1, 2], [3, 4]]), 2, 0).arraySync()).toEqual([[1, 2], [1, 2], [3, 4], [3, 4]]);
    expect(np.repeat(np.array([[1, 2], [3, 4]]), 2, -1).arraySync()).toEqual([[1, 1, 2, 2], [3, 3, 4, 4]]);
    expect(np.repeat(np.array([1, 2]), [1, 3]).arraySync()).toEqual([1, 2, 2, 2]);
    expect(np.repeat(np.array([1, 2, 3]), [0, 2, 1]).arraySync()).toEqual([2, 2, 3]);
    expect(() => np.repeat(np.array([1, 2]), [1])).toThrow(ShapeError);
    expect(() => np.repeat(np.array([1, 2]), np.array([1, 1]) as never)).toThrow(UnsupportedError);
  });
});

describe("flip, roll, pad", () => {
  it("flip", () => {
    expect(np.flip(np.array([1, 2, 3])).arraySync()).toEqual([3, 2, 1]);
    expect(np.flip(M()).arraySync()).toEqual([[6, 5, 4], [3, 2, 1]]);
    expect(np.flip(M(), 1).arraySync()).toEqual([[3, 2, 1], [6, 5, 4]]);
    expect(np.flipud(M()).arraySync()).toEqual([[4, 5, 6], [1, 2, 3]]);
    expect(np.fliplr(M()).arraySync()).toEqual([[3, 2, 1], [6, 5, 4]]);
  });
  it("roll", () => {
    expect(np.roll(np.array([1, 2, 3, 4]), 1).arraySync()).toEqual([4, 1, 2, 3]);
    expect(np.roll(np.array([1, 2, 3, 4]), -1).arraySync()).toEqual([2, 3, 4, 1]);
    expect(np.roll(np.array([1, 2, 3, 4]), 6).arraySync()).toEqual([3, 4, 1, 2]);
    expect(np.roll(M(), 1).arraySync()).toEqual([[6, 1, 2], [3, 4, 5]]);
    expect(np.roll(M(), 1, 1).arraySync()).toEqual([[3, 1, 2], [6, 4, 5]]);
    expect(np.roll(M(), [1, 1], [0, 1]).arraySync()).toEqual([[6, 4, 5], [3, 1, 2]]);
  });
  it("pad", () => {
    expect(np.pad(np.array([1, 2]), 1).arraySync()).toEqual([0, 1, 2, 0]);
    expect(np.pad(np.array([1, 2]), [2, 1], { constantValue: 9 }).arraySync()).toEqual([9, 9, 1, 2, 9]);
    expect(np.pad(np.array([[1]]), [[1, 0], [0, 2]]).arraySync()).toEqual([[0, 0, 0], [1, 0, 0]]);
    expect(np.pad(np.array([1, 2, 3]), [2, 2], { mode: "edge" }).arraySync()).toEqual([1, 1, 1, 2, 3, 3, 3]);
    expect(np.pad(np.array([1, 2, 3]), [2, 2], { mode: "reflect" }).arraySync()).toEqual([3, 2, 1, 2, 3, 2, 1]);
    expect(np.pad(np.array([1, 2, 3]), [2, 2], { mode: "symmetric" }).arraySync()).toEqual([2, 1, 1, 2, 3, 3, 2]);
    expect(np.pad(np.array([1, 2, 3]), [2, 4], { mode: "wrap" }).arraySync()).toEqual([2, 3, 1, 2, 3, 1, 2, 3, 1]);
    expect(np.pad(np.array([[1, 2], [3, 4]]), 1, { mode: "edge" }).arraySync()).toEqual([
      [1, 1, 2, 2],
      [1, 1, 2, 2],
      [3, 3, 4, 4],
      [3, 3, 4, 4],
    ]);
    expect(() => np.pad(np.array([1]), -1)).toThrow(ShapeError);
    expect(() => np.pad(np.array([1]), 1, { mode: "mean" as never })).toThrow(UnsupportedError);
  });
});

describe("triangles and diagonals", () => {
  const S = () => np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
  it("tril, triu", () => {
    expect(np.tril(S()).arraySync()).toEqual([[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    expect(np.triu(S()).arraySync()).toEqual([[1, 2, 3], [0, 5, 6], [0, 0, 9]]);
    expect(np.triu(S(), 1).arraySync()).toEqual([[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    expect(np.tril(S(), -1).arraySync()).toEqual([[0, 0, 0], [4, 0, 0], [7, 8, 0]]);
    expect(np.tril(np.ones([2, 2, 2])).arraySync()).toEqual([[[1, 0], [1, 1]], [[1, 0], [1, 1]]]);
    expect(() => np.tril(np.ones([3]))).toThrow(ShapeError);
  });
  it("diagonal and diag", () => {
    expect(np.diagonal(S()).arraySync()).toEqual([1, 5, 9]);
    expect(np.diagonal(S(), 1).arraySync()).toEqual([2, 6]);
    expect(np.diagonal(S(), -1).arraySync()).toEqual([4, 8]);
    expect(np.diagonal(S(), 5).shape).toEqual([0]);
    expect(np.diagonal(M()).arraySync()).toEqual([1, 5]);
    expect(np.diagonal(M(), 1).arraySync()).toEqual([2, 6]);
    expect(np.diagonal(np.reshape(np.arange(8), [2, 2, 2]), 0, 1, 2).arraySync()).toEqual([[0, 3], [4, 7]]);
    expect(np.diag(np.array([1, 2])).arraySync()).toEqual([[1, 0], [0, 2]]);
    expect(np.diag(np.array([1, 2]), 1).arraySync()).toEqual([[0, 1, 0], [0, 0, 2], [0, 0, 0]]);
    expect(np.diag(np.array([1, 2]), -1).arraySync()).toEqual([[0, 0, 0], [1, 0, 0], [0, 2, 0]]);
    expect(np.diag(S()).arraySync()).toEqual([1, 5, 9]);
    expect(np.diagflat(np.array([[1, 2]])).arraySync()).toEqual([[1, 0], [0, 2]]);
    expect(np.trace(S()).arraySync()).toBe(15);
    expect(np.trace(S(), 1).arraySync()).toBe(8);
    expect(np.shape(S())).toEqual([3, 3]);
    expect(np.ndim(S())).toBe(2);
    expect(np.size(S())).toBe(9);
    expect(np.shape(3)).toEqual([]);
  });
});

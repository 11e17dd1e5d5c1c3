import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";
import { expectClose } from "./helpers.js";

describe("np.array", () => {
  it("makes float32 from numbers (a lone number weakly typed, as jnp.array(3.0)), bool from booleans", () => {
    const a = np.array(3);
    expect(a.dtype).toBe("float32");
    expect(a.weakType).toBe(true);
    expect(np.array([3]).weakType).toBe(false);
    expect(np.array(3, "float32").weakType).toBe(false);
    expect(a.shape).toEqual([]);
    expect(a.arraySync()).toBe(3);
    expect(np.array(3, { dtype: "int32" }).dtype).toBe("int32");
    expect(np.array(true).dtype).toBe("bool");
    expect(np.array(true).arraySync()).toBe(true);
    const b = np.array([[true, false], [false, true]]);
    expect(b.dtype).toBe("bool");
    expect(b.arraySync()).toEqual([[true, false], [false, true]]);
    expect(np.array([true, 2]).dtype).toBe("float32");
  });

  it("reads nested lists", () => {
    const a = np.array([[1, 2, 3], [4, 5, 6]]);
    expect(a.shape).toEqual([2, 3]);
    expect(a.arraySync()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(np.array([]).shape).toEqual([0]);
    expect(np.array([[], []]).shape).toEqual([2, 0]);
  });

  it("converts values to the requested dtype", () => {
    expect(np.array([1.7, -1.7, 3], { dtype: "int32" }).arraySync()).toEqual([1, -1, 3]);
    expect(np.array([0, 2, -1], { dtype: "bool" }).arraySync()).toEqual([false, true, true]);
    expect(np.array([1, 2], { dtype: "float64" }).dtype).toBe("float64");
  });

  it("takes the dtype of a TypedArray and copies it", () => {
    const data = new Float64Array([1, 2]);
    const a = np.array(data);
    expect(a.dtype).toBe("float64");
    data[0] = 99;
    expect(a.arraySync()).toEqual([1, 2]);
    expect(np.array(new Float32Array([1])).dtype).toBe("float32");
    expect(np.array(new Int32Array([1])).dtype).toBe("int32");
    expect(np.array(new Uint32Array([1])).dtype).toBe("uint32");
    // as NumPy: each integer TypedArray is the dtype of its width (image data is uint8)
    expect(np.array(new Uint8Array([1, 0])).dtype).toBe("uint8");
    expect(np.array(new Uint8Array([1, 0]), { dtype: "bool" }).dtype).toBe("bool");
    expect(np.array(new Uint8Array([1, 200])).arraySync()).toEqual([1, 200]);
    expect(np.array(new Int8Array([-1])).dtype).toBe("int8");
    expect(np.array(new Int16Array([-1])).dtype).toBe("int16");
    expect(np.array(new Uint16Array([1])).dtype).toBe("uint16");
    expect(np.array(new Uint8Array([1, 7]), { dtype: "int32" }).arraySync()).toEqual([1, 7]);
  });

  it("returns arrays as they are, converted when asked", () => {
    const a = np.array([1, 2]);
    expect(np.array(a)).toBe(a);
    const b = np.array(a, { dtype: "int32" });
    expect(b.dtype).toBe("int32");
    expect(np.asarray([1, 2]).arraySync()).toEqual([1, 2]);
  });

  it("stacks lists of arrays", () => {
    const a = np.array([np.array([1, 2]), np.array([3, 4])]);
    expect(a.shape).toEqual([2, 2]);
    expect(a.arraySync()).toEqual([[1, 2], [3, 4]]);
  });

  it("names the ragged position", () => {
    expect(() => np.array([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => np.array([[1, 2], [3]])).toThrow(/values\[1\]/);
    expect(() => np.array([[1, 2], 3] as never)).toThrow(/values\[1\]/);
    expect(() => np.array([[[1], [2]], [[3], [4, 5]]])).toThrow(/values\[1\]\[1\]/);
    expect(() => np.array(["a"] as never)).toThrow(DTypeError);
    expect(() => np.array([1], { dtype: "bfloat16" as never })).toThrow(DTypeError);
  });
});

describe("filled arrays", () => {
  it("zeros, ones, full, *Like", () => {
    expect(np.zeros([2, 3]).arraySync()).toEqual([[0, 0, 0], [0, 0, 0]]);
    expect(np.zeros(2).dtype).toBe("float32");
    expect(np.ones(3, { dtype: "int32" }).arraySync()).toEqual([1, 1, 1]);
    expect(np.ones(3, { dtype: "int32" }).dtype).toBe("int32");
    expect(np.full([2], 7).arraySync()).toEqual([7, 7]);
    expect(np.full([2], true).dtype).toBe("bool");
    expect(np.full([], 2.5).shape).toEqual([]);
    const x = np.array([[1, 2]], { dtype: "int32" });
    expect(np.zerosLike(x).dtype).toBe("int32");
    expect(np.zerosLike(x).shape).toEqual([1, 2]);
    expect(np.onesLike(x).arraySync()).toEqual([[1, 1]]);
    expect(np.fullLike(x, 4, { dtype: "float32" }).arraySync()).toEqual([[4, 4]]);
    expect(np.zeros([0, 3]).shape).toEqual([0, 3]);
    expect(() => np.zeros([-1])).toThrow(ShapeError);
    expect(() => np.zeros([1.5])).toThrow(ShapeError);
  });
});

describe("ranges", () => {
  it("arange: int32 for integer arguments, float32 otherwise", () => {
    const a = np.arange(5);
    expect(a.dtype).toBe("int32");
    expect(a.arraySync()).toEqual([0, 1, 2, 3, 4]);
    expect(np.arange(2, 8, 3).arraySync()).toEqual([2, 5]);
    expect(np.arange(5, 0, -2).arraySync()).toEqual([5, 3, 1]);
    expect(np.arange(3, 1).shape).toEqual([0]);
    const f = np.arange(0, 1, 0.25);
    expect(f.dtype).toBe("float32");
    expect(f.arraySync()).toEqual([0, 0.25, 0.5, 0.75]);
    // ceil((1 - 0) / 0.3) = 4
    expectClose(np.arange(0, 1, 0.3), [0, 0.3, 0.6, 0.9], 1e-6);
    expect(np.arange(3, { dtype: "float32" }).dtype).toBe("float32");
    expect(() => np.arange(0, 1, 0)).toThrow(ShapeError);
  });

  it("linspace(-5, 5, 100): endpoints and step 10/99", () => {
    const x = np.linspace(-5, 5, 100);
    expect(x.shape).toEqual([100]);
    expect(x.dtype).toBe("float32");
    const d = Array.from(x.dataSync());
    expect(d[0]).toBe(-5);
    expect(d[99]).toBe(5);
    for (let i = 1; i < 100; i++) expect(d[i] - d[i - 1]).toBeCloseTo(10 / 99, 5);
    expect(np.linspace(0, 1, 5).arraySync()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(np.linspace(0, 1, 4, { endpoint: false }).arraySync()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(np.linspace(2, 3, 1).arraySync()).toEqual([2]);
    expect(np.linspace(0, 1, 0).shape).toEqual([0]);
  });

  it("eye, identity, tri", () => {
    expect(np.eye(2).arraySync()).toEqual([[1, 0], [0, 1]]);
    expect(np.eye(2, 3, 1).arraySync()).toEqual([[0, 1, 0], [0, 0, 1]]);
    expect(np.eye(3, 2, -1).arraySync()).toEqual([[0, 0], [1, 0], [0, 1]]);
    expect(np.identity(2, { dtype: "int32" }).dtype).toBe("int32");
    expect(np.tri(3).arraySync()).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
  });
});

describe("meshgrid", () => {
  const x = np.array([1, 2, 3]);
  const y = np.array([10, 20]);
  it("xy indexing (default) swaps the first two axes", () => {
    const [X, Y] = np.meshgrid(x, y);
    expect(X.shape).toEqual([2, 3]);
    expect(Y.shape).toEqual([2, 3]);
    expect(X.arraySync()).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(Y.arraySync()).toEqual([[10, 10, 10], [20, 20, 20]]);
  });
  it("ij indexing", () => {
    const [X, Y] = np.meshgrid(x, y, { indexing: "ij" });
    expect(X.shape).toEqual([3, 2]);
    expect(X.arraySync()).toEqual([[1, 1], [2, 2], [3, 3]]);
    expect(Y.arraySync()).toEqual([[10, 20], [10, 20], [10, 20]]);
  });
  it("three inputs", () => {
    const [A, B, C] = np.meshgrid(np.arange(2), np.arange(3), np.arange(4));
    expect(A.shape).toEqual([3, 2, 4]);
    expect(B.shape).toEqual([3, 2, 4]);
    expect(C.shape).toEqual([3, 2, 4]);
    expect(() => np.meshgrid(x, { indexing: "zz" as never })).toThrow(ShapeError);
  });
});

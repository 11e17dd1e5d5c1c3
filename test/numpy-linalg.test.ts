import { describe, expect, it } from "vitest";
import "../src/backend/cpu/index.js";
import { DTypeError, ShapeError } from "../src/errors.js";
import * as np from "../src/numpy/index.js";
import type { Value } from "../src/trace/core.js";
import { expectClose as closeFlat, rand } from "./helpers.js";

type Nested = number | Nested[];
/** expectClose for nested expected values. */
const expectClose = (actual: Value, expected: Value | Nested, tol = 1e-6) =>
  closeFlat(actual, typeof expected === "number" || Array.isArray(expected) ? [expected].flat(Infinity as 1) as number[] : expected, tol);

/** A random float64 array (values in [-1, 1)). */
const randn = (shape: number[], seed: number) => np.reshape(np.array(rand(shape.reduce((a, b) => a * b, 1), seed), { dtype: "float64" }), shape);

/** Reference matmul of nested JS arrays. */
function refMatmul(a: number[][], b: number[][]): number[][] {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
}
const nested = (x: Value) => x.arraySync() as number[][];

describe("matmul", () => {
  const v = np.array([1, 2, 3]);
  const M = np.array([[1, 2, 3], [4, 5, 6]]);
  it("tutorial values", () => {
    const A = np.array([[1, 2], [3, 4]]);
    const B = np.array([[5, 6, 7], [8, 9, 0]]);
    expect(np.matmul(A, B).arraySync()).toEqual([[21, 24, 7], [47, 54, 21]]);
    expect(A.matmul(B).arraySync()).toEqual([[21, 24, 7], [47, 54, 21]]);
    expect(np.matmul(v, v).arraySync()).toBe(14);
    expect(np.matmul(v, v).shape).toEqual([]);
    expect(np.matmul(M, v).arraySync()).toEqual([14, 32]);
    expect(np.matmul(np.array([1, 1]), M).arraySync()).toEqual([5, 7, 9]);
  });
  it("batches and broadcasts leading axes", () => {
    const a = randn([2, 3, 4], 1);
    const b = randn([4, 5], 2);
    const out = np.matmul(a, b);
    expect(out.shape).toEqual([2, 3, 5]);
    const A = a.arraySync() as number[][][];
    expectClose(out, A.map((m) => refMatmul(m, nested(b))), 1e-12);
    const c = randn([3, 1, 4, 2], 3);
    const d = randn([5, 2, 3], 4);
    const cd = np.matmul(c, d);
    expect(cd.shape).toEqual([3, 5, 4, 3]);
    const C = c.arraySync() as number[][][][];
    const D = d.arraySync() as number[][][];
    expectClose(cd, C.map((ci) => D.map((dj) => refMatmul(ci[0], dj))), 1e-12);
    const m2 = randn([4, 2], 5);
    const b3 = randn([3, 2, 5], 6);
    const r = np.matmul(m2, b3);
    expect(r.shape).toEqual([3, 4, 5]);
    expectClose(r, (b3.arraySync() as number[][][]).map((bi) => refMatmul(nested(m2), bi)), 1e-12);
    expect(np.matmul(randn([2, 3, 4], 7), randn([4], 8)).shape).toEqual([2, 3]);
    expect(np.matmul(randn([4], 7), randn([2, 4, 3], 8)).shape).toEqual([2, 3]);
  });
  it("promotes dtypes", () => {
    const i = np.array([[1, 2]], { dtype: "int32" });
    expect(np.matmul(i, np.array([[1], [1]], { dtype: "int32" })).dtype).toBe("int32");
    expect(np.matmul(i, np.array([[0.5], [1]])).dtype).toBe("float32");
    expect(np.matmul(i, np.array([[0.5], [1]])).arraySync()).toEqual([[2.5]]);
  });
  it("errors name the function and shapes", () => {
    expect(() => np.matmul(np.ones([2, 3]), np.ones([2, 3]))).toThrow(ShapeError);
    expect(() => np.matmul(np.ones([2, 3]), np.ones([2, 3]))).toThrow(/np\.matmul.*\(2, 3\)/);
    expect(() => np.matmul(np.ones([2, 2, 3]), np.ones([3, 3, 2]))).toThrow(/np\.matmul/);
    expect(() => np.matmul(np.array(1), np.ones([2]))).toThrow(ShapeError);
  });
});

describe("dot, vdot, inner, outer, tensordot", () => {
  it("dot follows NumPy", () => {
    const v = np.array([1, 2, 3]);
    expect(np.dot(v, v).arraySync()).toBe(14);
    expect(v.dot(v).arraySync()).toBe(14);
    expect(np.dot(2, v).arraySync()).toEqual([2, 4, 6]);
    expect(np.dot(np.array([[1, 2, 3], [4, 5, 6]]), v).arraySync()).toEqual([14, 32]);
    expect(np.dot(np.array([[1, 2], [3, 4]]), np.array([[5, 6, 7], [8, 9, 0]])).arraySync()).toEqual([[21, 24, 7], [47, 54, 21]]);
    // N-D · M-D: sum over the last axis of a and the second-to-last of b
    const a = randn([2, 3], 1);
    const b = randn([4, 3, 5], 2);
    const r = np.dot(a, b);
    expect(r.shape).toEqual([2, 4, 5]);
    const A = nested(a);
    const B = b.arraySync() as number[][][];
    expectClose(r, A.map((row) => B.map((bk) => refMatmul([row], bk)[0])), 1e-12);
    expect(() => np.dot(np.ones([2]), np.ones([3]))).toThrow(/np\.dot/);
  });
  it("vdot, inner, outer", () => {
    expect(np.vdot(np.array([[1, 2], [3, 4]]), np.array([[1, 1], [1, 1]])).arraySync()).toBe(10);
    expect(np.inner(np.array([1, 2]), np.array([3, 4])).arraySync()).toBe(11);
    expect(np.inner(np.array([[1, 2], [3, 4]]), np.array([[1, 0], [0, 1], [1, 1]])).arraySync()).toEqual([[1, 2, 3], [3, 4, 7]]);
    expect(np.outer(np.array([1, 2]), np.array([3, 4, 5])).arraySync()).toEqual([[3, 4, 5], [6, 8, 10]]);
    expect(np.outer(np.array([[1], [2]]), np.array([3])).shape).toEqual([2, 1]);
  });
  it("tensordot", () => {
    expect(np.tensordot(np.ones([2, 3, 4]), np.ones([3, 4, 5]), 2).arraySync()).toEqual(Array(2).fill(Array(5).fill(12)));
    expect(np.tensordot(np.ones([2, 3]), np.ones([3, 2]), [[0, 1], [1, 0]]).arraySync()).toBe(6);
    expect(np.tensordot(np.array([1, 2]), np.array([3, 4]), 0).arraySync()).toEqual([[3, 4], [6, 8]]);
    const a = randn([3, 4], 3);
    const b = randn([4, 3], 4);
    expectClose(np.tensordot(a, b, [[1], [0]]), np.matmul(a, b), 1e-12);
    expectClose(np.tensordot(a, b, [1, 0]), np.matmul(a, b), 1e-12);
    expect(() => np.tensordot(np.ones([2]), np.ones([3]), 1)).toThrow(ShapeError);
  });
});

describe("einsum", () => {
  const a = randn([2, 3], 1);
  const b = randn([3, 4], 2);
  it("matrix forms", () => {
    expectClose(np.einsum("ij,jk->ik", a, b), np.matmul(a, b), 1e-12);
    expectClose(np.einsum("ij,jk", a, b), np.matmul(a, b), 1e-12);
    expectClose(np.einsum("ij->ji", a), np.transpose(a), 0);
    expectClose(np.einsum("ji", a), np.transpose(a), 0);
    expectClose(np.einsum("ij", a), a, 0);
    expectClose(np.einsum("ij->", a), np.sum(a), 1e-12);
    expectClose(np.einsum("ij->j", a), np.sum(a, 0), 1e-12);
    expectClose(np.einsum("ik,jk->ij", a, a), np.matmul(a, np.transpose(a)), 1e-12);
    expectClose(np.einsum(" ij , jk -> ik ", a, b), np.matmul(a, b), 1e-12);
  });
  it("vector forms", () => {
    const v = np.array([1, 2, 3]);
    expect(np.einsum("i,i->", v, v).arraySync()).toBe(14);
    expect(np.einsum("i,i", v, v).arraySync()).toBe(14);
    expect(np.einsum("i,j->ij", v, np.array([1, 10])).arraySync()).toEqual([[1, 10], [2, 20], [3, 30]]);
    expect(np.einsum("i,i->i", v, v).arraySync()).toEqual([1, 4, 9]);
    expect(np.einsum("i->", v).arraySync()).toBe(6);
  });
  it("batched and three operands", () => {
    const x = randn([5, 2, 3], 3);
    const y = randn([5, 3, 4], 4);
    expectClose(np.einsum("bij,bjk->bik", x, y), np.matmul(x, y), 1e-12);
    const c = randn([4, 2], 5);
    expectClose(np.einsum("ij,jk,kl->il", a, b, c), np.matmul(np.matmul(a, b), c), 1e-12);
    expectClose(np.einsum("bij,bjk->", x, y), np.sum(np.matmul(x, y)), 1e-12);
    expectClose(np.einsum("...ij,...jk->...ik", x, y), np.matmul(x, y), 1e-12);
    expectClose(np.einsum("...ij,jk", x, b), np.matmul(x, b), 1e-12);
  });
  it("repeated letters take diagonals", () => {
    const m = np.array([[1, 2], [3, 4]]);
    expect(np.einsum("ii->i", m).arraySync()).toEqual([1, 4]);
    expect(np.einsum("ii", m).arraySync()).toBe(5);
    expect(np.einsum("ii,i->i", m, np.array([10, 100])).arraySync()).toEqual([10, 400]);
  });
  it("validates the subscripts", () => {
    expect(() => np.einsum("ij,jk->ik", a)).toThrow(ShapeError);
    expect(() => np.einsum("ij->ik", a)).toThrow(/"k"/);
    expect(() => np.einsum("i1->i", a)).toThrow(ShapeError);
    expect(() => np.einsum("ij;alert(1)", a)).toThrow(/invalid character/);
    expect(() => np.einsum("ij->i->j", a)).toThrow(ShapeError);
    expect(() => np.einsum("ij-i", a)).toThrow(ShapeError);
    expect(() => np.einsum("ijk", a)).toThrow(/operand 0 has 2 axes/);
    expect(() => np.einsum("ij,jk", a, a)).toThrow(/letter "j"/);
    expect(() => np.einsum("ij->ii", a)).toThrow(ShapeError);
    expect(() => np.einsum("i..j", a)).toThrow(ShapeError);
    expect(() => np.einsum(3 as never, a)).toThrow(ShapeError);
  });
});

describe("norm and cdist", () => {
  it("vector norms", () => {
    expectClose(np.norm(np.array([3, 4])), [5]);
    expectClose(np.norm(np.array([3, -4]), 1), [7]);
    expectClose(np.norm(np.array([3, -4]), Infinity), [4]);
    expectClose(np.norm(np.array([3, -4]), -Infinity), [3]);
    expectClose(np.norm(np.array([3, 0, -4]), 0), [2]);
    expectClose(np.norm(np.array([1, 2, 3]), 3), [Math.cbrt(36)], 1e-6);
    expectClose(np.norm(np.array([[3, 4], [6, 8]]), null, 1), [5, 10]);
    expect(np.norm(np.array([[3, 4], [6, 8]]), null, 1, { keepdims: true }).shape).toEqual([2, 1]);
    expect(np.norm(np.array([3, 4], { dtype: "int32" })).dtype).toBe("float32");
  });
  it("matrix norms", () => {
    const m = np.array([[1, -2], [3, 4]]);
    expectClose(np.norm(m), [Math.sqrt(30)]);
    expectClose(np.norm(m, "fro"), [Math.sqrt(30)]);
    expectClose(np.norm(m, 1), [6]);
    expectClose(np.norm(m, -1), [4]);
    expectClose(np.norm(m, Infinity), [7]);
    expectClose(np.norm(m, -Infinity), [3]);
    expectClose(np.norm(np.ones([2, 3, 4])), [Math.sqrt(24)]);
    expectClose(np.norm(np.ones([2, 3, 4]), null, [1, 2]), [Math.sqrt(12), Math.sqrt(12)]);
    expect(np.norm(m, 1, null, { keepdims: true }).shape).toEqual([1, 1]);
    // the singular values of m are √(15 ± √125): 2 is the largest, -2 the smallest, "nuc" their sum
    expectClose(np.norm(m, 2), [Math.sqrt(15 + Math.sqrt(125))], 1e-6);
    expectClose(np.norm(m, -2), [Math.sqrt(15 - Math.sqrt(125))], 1e-6);
    expectClose(np.norm(m, "nuc"), [Math.sqrt(15 + Math.sqrt(125)) + Math.sqrt(15 - Math.sqrt(125))], 1e-6);
    expect(() => np.norm(m, 3)).toThrow(ShapeError);
    expect(() => np.norm(np.ones([2, 2, 2]), 1)).toThrow(ShapeError);
    expect(() => np.norm(np.ones([3]), "fro")).toThrow(ShapeError);
  });
  it("cdist matches a loop", () => {
    const A = randn([5, 3], 11);
    const B = randn([4, 3], 12);
    const a = nested(A);
    const b = nested(B);
    const ref = a.map((p) => b.map((q) => Math.sqrt(p.reduce((s, v, k) => s + (v - q[k]) ** 2, 0))));
    const d = np.cdist(A, B);
    expect(d.shape).toEqual([5, 4]);
    expect(d.dtype).toBe("float64");
    expectClose(d, ref, 1e-12);
    const d32 = np.cdist(np.array([[0, 0], [1, 0]]), np.array([[3, 4], [0, 0]]));
    expect(d32.dtype).toBe("float32");
    expectClose(d32, [[5, 0], [Math.sqrt(20), 1]], 1e-6);
    // identical points: exactly zero, never NaN
    expect(Array.from(np.cdist(A, A).dataSync()).every((v) => v >= 0 && !Number.isNaN(v))).toBe(true);
    expect(() => np.cdist(np.ones([2, 3]), np.ones([2, 2]))).toThrow(ShapeError);
    expect(() => np.cdist(np.ones([3]), np.ones([2, 3]))).toThrow(ShapeError);
  });
  it("linalg namespace", () => {
    expectClose(np.linalg.norm(np.array([3, 4])), [5]);
    expect(() => np.linalg.norm(np.array([3, 4]), "nuc" as never)).toThrow(ShapeError);
    void DTypeError;
  });
});

describe("hostile input", () => {
  it("einsum and get refuse arbitrary strings with typed errors", async () => {
    const fc = await import("fast-check");
    const { JaxonError } = await import("../src/errors.js");
    const m = np.ones([2, 2]);
    const alphabet = ["i", "j", "k", "I", ",", ".", "-", ">", " ", "1", "$", "'", "\\", "\u{1F600}", "(", ")", "`", ";", "\n"];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }), (chars) => {
        const spec = chars.join("");
        try {
          np.einsum(spec, m, m);
        } catch (e) {
          if (!(e instanceof JaxonError)) throw e;
        }
        try {
          m.get(spec as never);
        } catch (e) {
          if (!(e instanceof JaxonError)) throw e;
        }
      }),
      { numRuns: 150 },
    );
    expect(() => np.einsum("i".repeat(5000), m)).toThrow(ShapeError);
    expect(() => np.array([1], { dtype: "constructor" as never })).toThrow(DTypeError);
    expect(() => np.zeros([2], { dtype: "__proto__" as never })).toThrow(DTypeError);
  });
});

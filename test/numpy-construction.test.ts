/**
 * np products, polynomials, construction and windows (kron, convolve,
 * correlate, poly*, vander, trapezoid, logspace, geomspace, index helpers,
 * select, piecewise, choose, insert, delete, append, resize, rot90, block,
 * splits, unstack, rollaxis, putAlongAxis, fillDiagonal, emptyLike, the
 * windows) against JAX fixtures (test/fixtures/numpy/generate.py): values,
 * dtypes, gradients, jit, WebGPU; vmap against a loop; errors.
 */
import { describe, expect, it } from "vitest";
import { jit, np, vmap, type Value } from "../src/index.js";
import { ArgumentError, ConcretizationError, ShapeError } from "../src/errors.js";
import { probeWebGPU } from "./device-helpers.js";
import { expectClose } from "./helpers.js";
import { type Entry, runFixtureTable, withCpu } from "./numpy-fixture-helpers.js";

const hasGpu = await probeWebGPU("numpy-construction.test.ts");
const i32 = (v: number[]) => np.array(v, { dtype: "int32" });

const table: Record<string, Entry> = {
  "kron/1d": (a, b) => np.kron(a, b),
  "kron/2d-1d": (a, b) => np.kron(a, b),
  "convolve/int": (a, v) => np.convolve(a, v),
  "polyval/p": (p, x) => np.polyval(p, x),
  "polyval/x": (x, p) => np.polyval(p, x),
  "polyval/2d": (p, x) => np.polyval(p, x),
  "polyval/int": (p, x) => np.polyval(p, x),
  polyadd: (a, b) => np.polyadd(a, b),
  polysub: (a, b) => np.polysub(a, b),
  polymul: (a, b) => np.polymul(a, b),
  "polyder/1": (p) => np.polyder(p),
  "polyder/2": (p) => np.polyder(p, 2),
  "polyder/int": (p) => np.polyder(p),
  "polyint/1": (p) => np.polyint(p),
  "polyint/2-k": (p) => np.polyint(p, 2, np.array([1, -2])),
  "vander/default": (x) => np.vander(x),
  "vander/n-increasing": (x) => np.vander(x, 3, true),
  "vander/int": (x) => np.vander(x, 3),
  "trapezoid/dx": (y) => np.trapezoid(y, null, 0.5),
  "trapezoid/x": (y, x) => np.trapezoid(y, x),
  "trapezoid/axis0": (y, x) => np.trapezoid(y, x, 1, 0),
  "logspace/default": () => np.logspace(0, 2, 5),
  "logspace/base2-noend": () => np.logspace(1, 4, 6, { endpoint: false, base: 2 }),
  "geomspace/default": () => np.geomspace(1, 1000, 7),
  "geomspace/negative": () => np.geomspace(-2, -32, 5, { endpoint: false }),
  "indices/dense": () => np.indices([2, 3]),
  "indices/sparse": () => np.indices([2, 3], { sparse: true }),
  fromfunction: () => np.fromfunction((i, j) => i.mul(10).add(j.pow(2)), [3, 4]),
  triuIndices: () => np.triuIndices(4, 1),
  "triuIndices/m": () => np.triuIndices(3, -1, 5),
  trilIndices: () => np.trilIndices(4),
  "trilIndices/m": () => np.trilIndices(3, 1, 2),
  triuIndicesFrom: (a) => np.triuIndicesFrom(a, 1),
  trilIndicesFrom: (a) => np.trilIndicesFrom(a),
  diagIndices: () => np.diagIndices(3, 3),
  diagIndicesFrom: (a) => np.diagIndicesFrom(a),
  unravelIndex: (i) => np.unravelIndex(i, [3, 4]),
  "ravelMultiIndex/clip": (i, j) => np.ravelMultiIndex([i, j], [3, 4], { mode: "clip" }),
  "ravelMultiIndex/wrap-F": (i, j) => np.ravelMultiIndex([i, j], [3, 4], { mode: "wrap", order: "F" }),
  "ravelMultiIndex/raise": { fn: (i, j) => np.ravelMultiIndex([i, j], [3, 4]), concrete: true },
  select: (x) => np.select([x.lt(-1), x.gt(1), x.gt(0)], [x.mul(2), x.pow(2), x.neg()], 7.5),
  "select/int": (x) => np.select([x.lt(2)], [x.mul(3)]),
  "piecewise/default-last": (x) => np.piecewise(x, [x.lt(0), x.gt(1)], [(v) => v.pow(2), (v) => v.mul(3), (v) => v.div(2)]),
  "piecewise/consts": (x) => np.piecewise(x, [x.lt(0), x.gt(1)], [-1, (v) => v.mul(2)]),
  "choose/wrap": (a, c0, c1, c2) => np.choose(a, [c0, c1, c2], "wrap"),
  "choose/clip": (a, c0, c1, c2) => np.choose(a, [c0, c1, c2], "clip"),
  "choose/raise": { fn: (a, c0, c1, c2) => np.choose(a, [c0, c1, c2]), concrete: true },
  "choose/grad-choice": (c0, a, c1, c2) => np.choose(a, [c0, c1, c2], "clip"),
  "insert/scalar": (a) => np.insert(a, 2, 9.5),
  "insert/list": (a) => np.insert(a, [0, 3, 3, -1], np.array([1, 2, 3, 4])),
  "insert/axis1": (a) => np.insert(a, 1, np.array([7, 8, 9]), 1),
  "insert/axis0-row": (a) => np.insert(a, 3, 0.5, 0),
  "delete/int": (a) => np.delete(a, 1, 1),
  "delete/list": (a) => np.delete(a, [0, 2, -1]),
  "delete/mask": (a) => np.delete(a, np.array([true, false, true]), 0),
  "append/flat": (a, b) => np.append(a, b),
  "append/axis0": (a, b) => np.append(a, b, 0),
  "resize/grow": (a) => np.resize(a, [4, 5]),
  "resize/shrink": (a) => np.resize(a, [2, 2]),
  "rot90/axes": (a) => np.rot90(np.reshape(a, [3, 5, 1]), 1, [1, 2]),
  block: (a, b) => np.block([[a, b], [np.matmul(np.transpose(b), np.ones([3, 3])), np.ones([2, 2])]]),
  "block/1d": (a, b) => np.block([a, b]),
  hsplit: (a) => np.hsplit(a.get(":", [0, 4]), 2),
  vsplit: (a) => np.vsplit(a, [1]),
  dsplit: (a) => np.dsplit(np.reshape(a, [1, 3, 5]), [2, 4]),
  "unstack/0": (a) => np.unstack(a),
  "unstack/1": (a) => np.unstack(a, { axis: 1 }),
  rollaxis: (a) => np.rollaxis(np.reshape(a, [3, 5, 1]), 2, 1),
  "putAlongAxis/axis1": (a, i) => np.putAlongAxis(a, i, -7, 1),
  "putAlongAxis/values": (a, v, i) => np.putAlongAxis(a, i, v, 0),
  "putAlongAxis/none": (a, i) => np.putAlongAxis(a, i, 9, null),
  "fillDiagonal/scalar": (a) => np.fillDiagonal(a, 5),
  "fillDiagonal/values": (a, v) => np.fillDiagonal(a, v),
  emptyLike: (a) => np.emptyLike(a, { dtype: "int32" }),
  "meshgrid/sparse-xy": (a, b, c) => np.meshgrid(a, b, c, { sparse: true }),
  "meshgrid/sparse-ij": (a, b) => np.meshgrid(a, b, { sparse: true, indexing: "ij" }),
  place: (a, m) => np.place(a, m, np.array([9, 8])),
  "place/none": (a, m) => np.place(a, m, np.array([9])),
  polydiv: (u, v) => np.polydiv(u, v),
  poly: (z) => np.poly(z),
  "polyfit/deg3": (y, x) => np.polyfit(x, y, 3),
  "polyfit/deg1-weights": (y, x, w) => np.polyfit(x, y, 1, { w }),
  "polyfit/2d-y": (y, x) => np.polyfit(x, y, 2),
  ix_: (a, b) => np.ix_(a, b),
  trimZeros: { fn: (a) => np.trimZeros(a), concrete: true },
  "trimZeros/f": { fn: (a) => np.trimZeros(a, "f"), concrete: true },
  "trimZeros/2d": { fn: (a) => np.trimZeros(a, "fb", 1), concrete: true },
  "put/fill": (a, i, v) => np.put(a, i, v),
  "put/wrap-cycle": (a, i) => np.put(a, i, np.array([8, 9]), { mode: "wrap" }),
  "put/clip": (a, i) => np.put(a, i, -1, { mode: "clip" }),
  maskIndices: { fn: () => np.maskIndices(4, np.triu, 1), concrete: true },
  "maskIndices/size": () => np.maskIndices(3, np.tril, 0, { size: 8 }),
  "arrayEquiv/broadcast": (a, b) => np.arrayEquiv(a, b),
  "arrayEquiv/different": (a, b) => np.arrayEquiv(a, b),
  "vectorize/scalar": (a, b) => np.vectorize((x: Value, y: Value) => np.where(x.gt(y), x.sub(y), y.mul(x)))(a, b),
  "vectorize/signature": (a, b) => np.vectorize((x: Value, y: Value) => np.dot(x, y), { signature: "(n,m),(m)->(n)" })(a, b),
  "vectorize/multi-out": (a) => np.vectorize((x: Value) => [np.sum(x), x.mul(2)], { signature: "(n)->(),(n)" })(a),
  "vectorize/excluded": (a) => np.vectorize((x: Value, p: number) => x.pow(p), { excluded: [1] })(a, 3),
  "applyAlongAxis/0": (a) => np.applyAlongAxis((r: Value) => np.sort(r).mul(np.arange(r.shape[0])), 0, a),
  "applyAlongAxis/1-scalar": (a) => np.applyAlongAxis((r: Value) => np.sum(r.pow(2)), 1, a),
  "applyAlongAxis/3d-outer": (a) => np.applyAlongAxis((r: Value) => np.outer(r, r.get([0, 2])), 1, np.reshape(a, [3, 5, 1])),
  applyOverAxes: (a) => np.applyOverAxes(np.sum, np.reshape(a, [3, 5, 1]), [0, 2]),
  "kaiser/7-5": () => np.kaiser(7, 5),
  "kaiser/6-14": () => np.kaiser(6, 14),
  "kaiser/1": () => np.kaiser(1, 3),
};
for (const mode of ["full", "same", "valid"] as const) {
  table[`convolve/${mode}`] = (a, v) => np.convolve(a, v, mode);
  table[`convolve/${mode}-swapped`] = (a, v) => np.convolve(a, v, mode);
  table[`correlate/${mode}`] = (a, v) => np.correlate(a, v, mode);
  table[`correlate/${mode}-swapped`] = (a, v) => np.correlate(a, v, mode);
}
for (const k of [1, 2, 3, -1]) table[`rot90/${k}`] = (a) => np.rot90(a, k);
for (const w of ["bartlett", "blackman", "hamming", "hanning"] as const) for (const M of [0, 1, 6, 7]) table[`${w}/${M}`] = () => np[w](M);
runFixtureTable("construction", table, hasGpu);

describe("under vmap, equal to a loop", () => {
  const x = withCpu(() => np.array([[3, 0, 4, 1, 5], [0, 2, 6, 5, 0], [5, 8, 0, 7, 9]]));
  const fs: [string, (r: Value) => Value][] = [
    ["convolve", (r) => np.convolve(r, np.array([1, -2, 0.5]), "same")],
    ["correlate", (r) => np.correlate(np.array([1, -2, 0.5, 3, 1, 1]), r)],
    ["polyval", (r) => np.polyval(r, np.array([0.5, -1, 2]))],
    ["polyder", (r) => np.polyder(r, 2)],
    ["kron", (r) => np.kron(r, np.array([1, -1]))],
    ["trapezoid", (r) => np.trapezoid(r, np.array([0, 1, 3, 4, 7]))],
    ["select", (r) => np.select([r.lt(2), r.gt(6)], [r.neg(), r.mul(2)], 1)],
    ["insert", (r) => np.insert(r, [1, 4], np.array([-1, -2]))],
    ["delete", (r) => np.delete(r, [0, 3])],
    ["resize", (r) => np.resize(r, [7])],
    ["putAlongAxis", (r) => np.putAlongAxis(r, i32([4, 0]), 9, 0)],
    ["fillDiagonal", (r) => np.fillDiagonal(np.reshape(np.resize(r, [9]), [3, 3]), 0)],
    ["choose(clip)", (r) => np.choose(np.array([0, 1, 1, 0, 5], { dtype: "int32" }), [r, r.mul(10)], "clip")],
    ["piecewise", (r) => np.piecewise(r, [r.gt(3)], [(v) => v.mul(v), (v) => v.neg()])],
  ];
  for (const [name, f] of fs) {
    it(name, () =>
      withCpu(() => {
        const loop = np.stack([0, 1, 2].map((i) => f(x.get(i))));
        expectClose(vmap(f)(x), loop, 1e-6);
      }),
    );
  }
});

describe("errors, as JAX's", () => {
  it("choose and ravelMultiIndex with mode raise need concrete indices, and check them", () => {
    withCpu(() => {
      const cs = [np.ones([2]), np.zeros([2])];
      expect(() => jit((a: Value) => np.choose(a, cs))(i32([0, 1]))).toThrow(ConcretizationError);
      expect(() => np.choose(i32([0, 2]), cs)).toThrow(ShapeError);
      expect(() => np.ravelMultiIndex([i32([3]), i32([0])], [3, 4])).toThrow(ShapeError);
    });
  });
  it("checks shapes and arguments", () => {
    withCpu(() => {
      expect(() => np.convolve(np.ones([2, 2]), np.ones([2]))).toThrow(ShapeError);
      expect(() => np.convolve(np.ones([2]), np.ones([2]), "middle" as never)).toThrow(ArgumentError);
      expect(() => np.rot90(np.ones([3]))).toThrow(ShapeError);
      expect(() => np.block([[np.ones([1])], np.ones([1])] as never)).toThrow(ShapeError);
      expect(() => np.fillDiagonal(np.ones([2, 2]), 1, { wrap: true })).toThrow(ArgumentError);
      expect(() => np.piecewise(np.ones([2]), [np.ones([2])], [1, 2, 3])).toThrow(ShapeError);
      expect(() => np.delete(np.ones([3]), 5)).toThrow(ShapeError);
    });
  });
});

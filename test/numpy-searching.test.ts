/**
 * np searching, selecting, differences and sets (searchsorted, digitize,
 * interp, nonzero & co. with static size, compress/extract, partition,
 * lexsort, diff, ediff1d, gradient, unique, isin and the 1-d set algebra)
 * against JAX fixtures (test/fixtures/numpy/generate.py): values, dtypes,
 * gradients, jit (or JAX's ConcretizationError where the shape depends on
 * the data), WebGPU; vmap against a loop.
 */
import { describe, expect, it } from "vitest";
import { jit, np, vmap, type Value } from "../src/index.js";
import { ArgumentError, ConcretizationError, ShapeError } from "../src/errors.js";
import { probeWebGPU } from "./device-helpers.js";
import { expectClose } from "./helpers.js";
import { type Entry, runFixtureTable, withCpu } from "./numpy-fixture-helpers.js";

const hasGpu = await probeWebGPU("numpy-searching.test.ts");
const concrete = (fn: (...a: Value[]) => Value | Value[]): Entry => ({ fn, concrete: true });

const table: Record<string, Entry> = {
  "searchsorted/left": (a, v) => np.searchsorted(a, v),
  "searchsorted/right": (a, v) => np.searchsorted(a, v, "right"),
  "searchsorted/sorter": (a, v, s) => np.searchsorted(a, v, "left", { sorter: s }),
  "searchsorted/int": (a, v) => np.searchsorted(a, v),
  "digitize/up": (x, b) => np.digitize(x, b),
  "digitize/up-right": (x, b) => np.digitize(x, b, true),
  "digitize/down": (x, b) => np.digitize(x, b),
  "interp/plain": (x, xp, fp) => np.interp(x, xp, fp),
  "interp/left-right": (x, xp, fp) => np.interp(x, xp, fp, { left: -9, right: 9 }),
  "interp/extrapolate": (x, xp, fp) => np.interp(x, xp, fp, { left: "extrapolate", right: "extrapolate" }),
  "interp/period": (x, xp, fp) => np.interp(x, xp, fp, { period: 4 }),
  "interp/fp-grad": (fp, x, xp) => np.interp(x, xp, fp),
  "nonzero/2d": concrete((a) => np.nonzero(a)),
  "nonzero/size-fill": (a) => np.nonzero(a, { size: 5, fillValue: -1 }),
  "nonzero/size-cut": (a) => np.nonzero(a, { size: 2 }),
  "nonzero/fill-per-axis": (a) => np.nonzero(a, { size: 4, fillValue: [7, 8] }),
  "argwhere/2d": concrete((a) => np.argwhere(a)),
  "argwhere/size": (a) => np.argwhere(a, { size: 4, fillValue: 9 }),
  flatnonzero: concrete((a) => np.flatnonzero(a)),
  "flatnonzero/size": (a) => np.flatnonzero(a, { size: 4 }),
  "where/one": concrete((a) => np.where(a)),
  "where/one-size": (a) => np.where(a, { size: 3, fillValue: -2 }),
  "countNonzero/all": (a) => np.countNonzero(a),
  "countNonzero/axis0-keepdims": (a) => np.countNonzero(a, 0, { keepdims: true }),
  "countNonzero/axes-bool": (a) => np.countNonzero(a, [0, 1]),
  "compress/axis1": concrete((c, a) => np.compress(c, a, 1)),
  "compress/flat": concrete((c, a) => np.compress(c, a)),
  "compress/size": (a, c) => np.compress(c, a, 0, { size: 2, fillValue: -5 }),
  extract: concrete((c, a) => np.extract(c, a)),
  "extract/size": (a, c) => np.extract(c, a, { size: 9, fillValue: 0.5 }),
  "partition/axis0": (a) => np.partition(a, 1, 0),
  "argpartition/axis0-ties": (a) => np.argpartition(a, 1, 0),
  "lexsort/two": (a, b) => np.lexsort([a, b]),
  "lexsort/axis0": (a, b) => np.lexsort([a, b], 0),
  "diff/n1": (a) => np.diff(a),
  "diff/n2-axis0": (a) => np.diff(a, 2, 0),
  "diff/prepend-append": (a) => np.diff(a, 1, -1, { prepend: 0.5, append: np.ones([3, 2]) }),
  "diff/bool": (a) => np.diff(a),
  "ediff1d/plain": (a) => np.ediff1d(a),
  "ediff1d/ends": (a) => np.ediff1d(a, { toBegin: np.array([-1, -2]), toEnd: 9 }),
  "gradient/1d": (a) => np.gradient(a),
  "gradient/2d": (a) => np.gradient(a),
  "gradient/spacing": (a) => np.gradient(a, 0.5, { axis: 1 }),
  "gradient/coords": (a, x) => np.gradient(a, x),
  "gradient/per-axis": (a) => np.gradient(a, 2, 3),
  "unique/plain": concrete((a) => np.unique(a)),
  "unique/all": concrete((a) => np.unique(a, { returnIndex: true, returnInverse: true, returnCounts: true })),
  "unique/2d-inverse": concrete((a) => np.unique(a, { returnInverse: true })),
  "unique/size-fill": (a) => np.unique(a, { size: 9, fillValue: -1, returnCounts: true }),
  "unique/size-nofill": (a) => np.unique(a, { size: 8, returnIndex: true }),
  "unique/size-cut": (a) => np.unique(a, { size: 3, returnCounts: true }),
  "unique/nan": concrete((a) => np.unique(a)),
  "unique/nan-unequal": concrete((a) => np.unique(a, { equalNan: false })),
  "unique/axis0": concrete((a) => np.unique(a, { axis: 0, returnIndex: true, returnInverse: true, returnCounts: true })),
  "unique/axis1": concrete((a) => np.unique(a, { axis: 1 })),
  "isin/plain": (a, b) => np.isin(a, b),
  "isin/invert": (a, b) => np.isin(a, b, { invert: true }),
  "union1d/plain": concrete((a, b) => np.union1d(a, b)),
  "union1d/size": (a, b) => np.union1d(a, b, { size: 12, fillValue: 0 }),
  "setdiff1d/plain": concrete((a, b) => np.setdiff1d(a, b)),
  "setdiff1d/size": (a, b) => np.setdiff1d(a, b, { size: 8 }),
  "setdiff1d/size-fill": (a, b) => np.setdiff1d(a, b, { size: 8, fillValue: -3 }),
  "setxor1d/plain": concrete((a, b) => np.setxor1d(a, b)),
  "setxor1d/size": (a, b) => np.setxor1d(a, b, { size: 12 }),
  "setxor1d/size-fill": (a, b) => np.setxor1d(a, b, { size: 12, fillValue: -1 }),
  "intersect1d/plain": concrete((a, b) => np.intersect1d(a, b)),
  "intersect1d/indices": concrete((a, b) => np.intersect1d(a, b, { returnIndices: true })),
  "intersect1d/size": (a, b) => np.intersect1d(a, b, { size: 4 }),
  "intersect1d/size-fill": (a, b) => np.intersect1d(a, b, { size: 4, fillValue: 0 }),
  "intersect1d/assume-unique": concrete((a, b) => np.intersect1d(a, b, { assumeUnique: true })),
  uniqueAll: concrete((a) => {
    const r = np.uniqueAll(a);
    return [r.values, r.indices, r.inverseIndices, r.counts];
  }),
  "uniqueAll/size": (a) => {
    const r = np.uniqueAll(a, { size: 7, fillValue: -1 });
    return [r.values, r.indices, r.inverseIndices, r.counts];
  },
  uniqueCounts: concrete((a) => {
    const r = np.uniqueCounts(a);
    return [r.values, r.counts];
  }),
  uniqueInverse: concrete((a) => {
    const r = np.uniqueInverse(a);
    return [r.values, r.inverseIndices];
  }),
  uniqueValues: concrete((a) => np.uniqueValues(a)),
};
for (const k of [0, 2, -1]) {
  table[`partition/${k}`] = (a) => np.partition(a, k);
  table[`argpartition/${k}`] = (a) => np.argpartition(a, k);
}
runFixtureTable("searching", table, hasGpu);

describe("under vmap, equal to a loop", () => {
  const x = withCpu(() => np.array([[3, 0, 4, 1, 5], [0, 2, 6, 5, 0], [5, 8, 0, 7, 9]]));
  const fs: [string, (r: Value) => Value][] = [
    ["searchsorted", (r) => np.searchsorted(np.sort(r), np.array([0.5, 4, 9]))],
    ["interp", (r) => np.interp(np.array([0.5, 2.5]), np.array([0, 1, 2, 3, 4]), r)],
    ["nonzero(size)", (r) => np.nonzero(r, { size: 4, fillValue: -1 })[0]],
    ["unique(size)", (r) => np.unique(r, { size: 5, fillValue: 99 })],
    ["setdiff1d(size)", (r) => np.setdiff1d(r, np.array([0, 5]), { size: 4 })],
    ["isin", (r) => np.isin(r, np.array([0, 5]))],
    ["partition", (r) => np.partition(r, 2)],
    ["argpartition", (r) => np.argpartition(r, 1)],
    ["gradient", (r) => np.gradient(r) as Value],
    ["diff", (r) => np.diff(r, 1, -1, { prepend: 0 })],
    ["compress(size)", (r) => np.compress(r.gt(2), r, 0, { size: 3 })],
  ];
  for (const [name, f] of fs) {
    it(name, () =>
      withCpu(() => {
        const loop = np.stack([0, 1, 2].map((i) => f(x.get(i))));
        expectClose(vmap(f)(x), loop, 1e-6);
      }),
    );
  }
  it("nonzero without size under vmap is JAX's ConcretizationError", () => {
    withCpu(() => expect(() => vmap((r: Value) => np.nonzero(r)[0])(x)).toThrow(ConcretizationError));
  });
});

describe("errors", () => {
  it("name the size fix", () => {
    withCpu(() => {
      expect(() => jit((a: Value) => np.unique(a))(np.array([1, 2]))).toThrow(/size/);
      expect(() => jit((a: Value) => np.nonzero(a))(np.array([1, 2]))).toThrow(/size/);
    });
  });
  it("check arguments", () => {
    withCpu(() => {
      expect(() => np.nonzero(np.array(1))).toThrow(ShapeError);
      expect(() => np.searchsorted(np.ones([2, 2]), 1)).toThrow(ShapeError);
      expect(() => np.searchsorted(np.ones([2]), 1, "middle" as never)).toThrow(ArgumentError);
      expect(() => np.partition(np.ones([3]), 3)).toThrow(ShapeError);
      expect(() => np.compress(np.array([true, false, true]), np.ones([2]))).toThrow(ShapeError);
      expect(() => np.unique(np.zeros([0]), { size: 2 })).toThrow(ArgumentError);
      expect(() => np.interp(1, np.array([1, 2]), np.array([1, 2]), { left: "nope" as never })).toThrow(ArgumentError);
    });
  });
});

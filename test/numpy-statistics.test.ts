/**
 * np statistics (quantile, percentile, median and their NaN-ignoring forms,
 * average, cov, corrcoef, histograms, bincount) and the NaN-aware reductions
 * against JAX fixtures (test/fixtures/numpy/generate.py): values, dtypes,
 * gradients, jit, WebGPU; vmap against a loop; JAX's errors.
 */
import { describe, expect, it } from "vitest";
import { jit, np, vmap, type Value } from "../src/index.js";
import { ConcretizationError, ArgumentError, ShapeError, DTypeError } from "../src/errors.js";
import { probeWebGPU } from "./device-helpers.js";
import { expectClose } from "./helpers.js";
import { type Entry, runFixtureTable, withCpu } from "./numpy-fixture-helpers.js";

const hasGpu = await probeWebGPU("numpy-statistics.test.ts");

const methods = ["linear", "lower", "higher", "midpoint", "nearest"] as const;
const stats: Record<string, Entry> = {};
for (const m of methods) {
  stats[`quantile/${m}/all`] = (a, q) => np.quantile(a, q, null, { method: m });
  stats[`quantile/${m}/axis1`] = (a, q) => np.quantile(a, q, 1, { method: m });
  stats[`nanquantile/${m}/axis1`] = (a, q) => np.nanquantile(a, q, 1, { method: m });
}
Object.assign(stats, {
  "quantile/inverted_cdf/all": (a: Value, q: Value) => np.quantile(a, q, null, { method: "inverted_cdf" }),
  "quantile/inverted_cdf/weights": (a: Value, q: Value, w: Value) => np.quantile(a, q, 1, { method: "inverted_cdf", weights: w }),
  "quantile/inverted_cdf/axis-weights-keepdims": (a: Value, q: Value, w: Value) => np.quantile(a, q, 1, { method: "inverted_cdf", weights: w, keepdims: true }),
  "quantile/inverted_cdf/bad-weight": (a: Value, w: Value) => np.quantile(a, 0.5, 0, { method: "inverted_cdf", weights: w }),
  "quantile/inverted_cdf/nan": (a: Value, q: Value) => np.quantile(a, q, 1, { method: "inverted_cdf" }),
  "nanquantile/inverted_cdf/weights": (a: Value, q: Value, w: Value) => np.nanquantile(a, q, 1, { method: "inverted_cdf", weights: w }),
  "percentile/inverted_cdf/weights": (a: Value, w: Value) => np.percentile(a, 40, 1, { method: "inverted_cdf", weights: w }),
  "quantile/scalar-q/axis0-keepdims": (a: Value) => np.quantile(a, 0.3, 0, { keepdims: true }),
  "quantile/axes01-keepdims": (a: Value, q: Value) => np.quantile(np.reshape(a, [3, 5, 1]), q, [0, 1], { keepdims: true }),
  "quantile/nan": (a: Value) => np.quantile(a, 0.5, 1),
  "percentile/axis1": (a: Value) => np.percentile(a, np.array([10, 50, 90]), 1),
  "nanpercentile/axis1": (a: Value) => np.nanpercentile(a, 25, 1),
  "median/all": (a: Value) => np.median(a),
  "median/axis0": (a: Value) => np.median(a, 0),
  "median/int": (a: Value) => np.median(a),
  "nanmedian/axis1": (a: Value) => np.nanmedian(a, 1),
  "average/plain": (a: Value) => np.average(a, 1),
  "average/weights-full": (a: Value, w: Value) => np.average(a, null, { weights: w }),
  "average/weights-axis": (a: Value, w: Value) => np.average(a, 1, { weights: w, returned: true }),
  "average/keepdims": (a: Value, w: Value) => np.average(a, 0, { weights: w, keepdims: true }),
  "cov/rows": (a: Value) => np.cov(a),
  "cov/cols-bias": (a: Value) => np.cov(a, null, { rowvar: false, bias: true }),
  "cov/xy": (a: Value, b: Value) => np.cov(a, b),
  "cov/ddof2": (a: Value) => np.cov(a, null, { ddof: 2 }),
  "cov/fweights": (a: Value, f: Value) => np.cov(a, null, { fweights: f }),
  "cov/aweights": (a: Value, w: Value) => np.cov(a, null, { aweights: w }),
  "cov/both": (a: Value, f: Value, w: Value) => np.cov(a, null, { fweights: f, aweights: w }),
  "cov/one-variable": (a: Value) => np.cov(a),
  "corrcoef/rows": (a: Value) => np.corrcoef(a),
  "corrcoef/xy": (a: Value, b: Value) => np.corrcoef(a, b),
  "histogram/count": (a: Value) => np.histogram(a, 4),
  "histogram/range-density": (a: Value) => np.histogram(a, 5, { range: [-2, 2], density: true }),
  "histogram/edges-weights": (a: Value, e: Value, w: Value) => np.histogram(a, e, { weights: w }),
  "histogram/constant": (a: Value) => np.histogram(a, 3),
  histogramBinEdges: (a: Value) => np.histogramBinEdges(a, 6),
  "histogram2d/count": (x: Value, y: Value) => np.histogram2d(x, y, 3),
  "histogram2d/bins-pair-density": (x: Value, y: Value) => np.histogram2d(x, y, [2, 4], { range: [[-3, 3], [-3, 3]], density: true }),
  "histogram2d/weights": (x: Value, y: Value, w: Value) => np.histogram2d(x, y, 2, { weights: w }),
  "histogramdd/3d": (a: Value) => {
    const [h, edges] = np.histogramdd(a, [2, 3, 2]);
    return [h, ...edges];
  },
  "histogramdd/range-weights-density": (a: Value, w: Value) => {
    const [h, edges] = np.histogramdd(a, 2, { range: [[-3, 3], null], weights: w, density: true });
    return [h, ...edges];
  },
  "bincount/plain": { fn: (x: Value) => np.bincount(x), concrete: true },
  "bincount/weights-minlength": { fn: (x: Value, w: Value) => np.bincount(x, w, 10), concrete: true },
  "bincount/length-negative": (x: Value) => np.bincount(x, null, 0, { length: 3 }),
});
runFixtureTable("statistics", stats, hasGpu);

const nans: Record<string, Entry> = {};
for (const name of ["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd"] as const) {
  const fn = np[name] as (a: Value, axis?: number | null, o?: { keepdims?: boolean }) => Value;
  nans[`${name}/all`] = (a) => fn(a);
  nans[`${name}/axis1`] = (a) => fn(a, 1);
  nans[`${name}/axis0-keepdims`] = (a) => fn(a, 0, { keepdims: true });
  nans[`${name}/int`] = (a) => fn(a, 0);
}
nans["nanvar/ddof1"] = (a) => np.nanvar(a, 1, { ddof: 1 });
nans["nanstd/ddof1"] = (a) => np.nanstd(a, 0, { ddof: 1 });
for (const name of ["nanargmax", "nanargmin"] as const) {
  nans[`${name}/all`] = (a) => np[name](a);
  nans[`${name}/axis1`] = (a) => np[name](a, 1);
  nans[`${name}/axis0-keepdims`] = (a) => np[name](a, 0, { keepdims: true });
}
for (const name of ["nancumsum", "nancumprod"] as const) {
  nans[`${name}/flat`] = (a) => np[name](a);
  nans[`${name}/axis1`] = (a) => np[name](a, 1);
  nans[`${name}/bool`] = (a) => np[name](a, 0);
}
runFixtureTable("nan-functions", nans, hasGpu);

describe("statistics under vmap equal a loop", () => {
  const x = withCpu(() => np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9]]));
  const loop = (f: (r: Value) => Value) => np.stack([0, 1, 2].map((i) => f(x.get(i))));
  const fs: [string, (r: Value) => Value][] = [
    ["quantile", (r) => np.quantile(r, np.array([0.2, 0.6]))],
    ["median", (r) => np.median(r)],
    ["nanpercentile", (r) => np.nanpercentile(np.where(r.gt(7), NaN, r), 40, null, { method: "midpoint" })],
    ["average", (r) => np.average(r, null, { weights: np.array([1, 2, 3, 4, 5]) })],
    ["cov", (r) => np.cov(np.stack([r, np.square(r)]))],
    ["histogram", (r) => np.histogram(r, 3, { range: [0, 9] })[0]],
    ["bincount(length)", (r) => np.bincount(r.astype("int32"), null, 0, { length: 10 })],
    ["nanvar", (r) => np.nanvar(np.where(r.gt(7), NaN, r))],
  ];
  for (const [name, f] of fs) it(name, () => withCpu(() => expectClose(vmap(f)(withCpu(() => x)), loop(f), 1e-6)));
});

describe("errors, as JAX's", () => {
  it("bincount without length under jit names the fix", () => {
    expect(() => jit((x: Value) => np.bincount(x))(np.array([1, 2], { dtype: "int32" }))).toThrow(ConcretizationError);
    expect(() => jit((x: Value) => np.bincount(x))(np.array([1, 2], { dtype: "int32" }))).toThrow(/length/);
    expect(() => np.bincount(np.array([1.5]))).toThrow(DTypeError);
  });
  it("quantile checks method and q", () => {
    expect(() => np.quantile(np.array([1, 2]), 0.5, null, { method: "cubic" as never })).toThrow(ArgumentError);
    expect(() => np.quantile(np.array([1, 2]), np.ones([2, 2]))).toThrow(ShapeError);
    // as JAX: only inverted_cdf takes weights
    expect(() => np.quantile(np.array([1, 2]), 0.5, null, { weights: np.array([1, 1]) })).toThrow(ArgumentError);
  });
  it("average with weights of another shape needs an axis", () => {
    expect(() => np.average(np.ones([2, 3]), null, { weights: np.ones([3]) })).toThrow(ShapeError);
    expect(() => np.average(np.ones([2, 3]), 1, { weights: np.ones([2]) })).toThrow(ShapeError);
  });
  it("cov refuses float fweights", () => {
    expect(() => np.cov(np.ones([2, 3]), null, { fweights: np.ones([3]) })).toThrow(DTypeError);
  });
});

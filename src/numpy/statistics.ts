/**
 * Order statistics and histograms, as JAX's: quantiles (five methods; the
 * NaN-ignoring forms live in nan-functions.ts and share the machinery here),
 * weighted averages, covariance and correlation, histograms and bincount.
 * All are compositions of lax (sort, gather, scatter-add, dot), so they work
 * under grad, vmap and jit; only bincount without `length` and histogram
 * edges from data need concrete values, as in JAX.
 */
import { ArgumentError, ShapeError, DTypeError } from "../errors.js";
import { isFloat, isInt } from "../dtype.js";
import * as lax from "../lax/index.js";
import { optionsArg, sizeArg } from "../static-args.js";
import { sizeOf } from "../shape.js";
import { full, zeros } from "./creation.js";
import { concreteValues } from "./concrete.js";
import { multiply } from "./elementwise.js";
import { at } from "./indexing.js";
import { dot } from "./linalg.js";
import { searchsorted } from "./searching.js";
import type { ArrayLike, Axis, DType, Value } from "./util.js";
import { asValue, axesOf, broadcastValue, cast, promote, promoteInexact, range, toInexact } from "./util.js";

/** As JAX: statistics of a weak input (a JS number under jit) are strongly typed. */
const strong = (x: Value): Value => (x.weakType ? cast(x, x.dtype) : x);

// ---- quantiles ------------------------------------------------------------------------

/** The interpolation between the two order statistics around a quantile's position (JAX's `method`). */
export type QuantileMethod = "linear" | "lower" | "higher" | "midpoint" | "nearest" | "inverted_cdf";
const METHODS: readonly QuantileMethod[] = ["linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf"];

export interface QuantileOptions {
  /** How to pick between the order statistics around the position (default "linear"). */
  method?: QuantileMethod;
  /** Keep the reduced axes as size 1, after q's axis (default false). */
  keepdims?: boolean;
  /** Weights of a's elements (a's shape, or the reduced axes' shape); only with method "inverted_cdf", as JAX. */
  weights?: ArrayLike | null;
}

/**
 * The order statistics of `a` over `axis` at fractions `q` (0-d or 1-d, in
 * [0, 1]): JAX's _quantile. The reduced axes are moved last and merged, the
 * slices sorted, and the two neighbours of position `q·(n-1)` gathered;
 * `ignoreNan` counts only the non-NaN entries of each slice (NaNs sort last).
 * The result has q's axis first, then the kept axes.
 */
export function quantileImpl(op: string, a: ArrayLike, q: ArrayLike, axis: Axis, options: QuantileOptions, ignoreNan: boolean): Value {
  options = optionsArg(op, options);
  const method = options.method ?? "linear";
  if (!METHODS.includes(method)) {
    throw new ArgumentError(`${op}: method must be one of ${METHODS.map((m) => JSON.stringify(m)).join(", ")}, got ${JSON.stringify(method)}`);
  }
  const hasWeights = options.weights !== undefined && options.weights !== null;
  if (hasWeights && method !== "inverted_cdf") throw new ArgumentError(`${op}: weights need method "inverted_cdf" (as in JAX), got ${JSON.stringify(method)}`);
  let v: Value;
  let wv: Value | null = null;
  if (hasWeights) {
    [v, wv] = promoteInexact(op, [a, options.weights as ArrayLike]).map(strong);
  } else v = strong(toInexact(op, a));
  const qv = cast(asValue(q, op), v.dtype);
  if (qv.ndim > 1) throw new ShapeError(`${op}: q must be a number or a 1-d array, got shape [${qv.shape.join(", ")}]`);
  const axes = axesOf(op, axis, v.ndim);
  const kept = range(v.ndim).filter((i) => !axes.includes(i));
  const batch = kept.map((i) => v.shape[i]);
  const n = sizeOf(axes.map((i) => v.shape[i]));
  const k = qv.ndim === 0 ? 1 : qv.shape[0];
  const last = batch.length;
  let x = lax.reshape(lax.transpose(v, [...kept, ...axes]), [...batch, n]);
  if (wv) {
    if (wv.shape.length !== v.shape.length || wv.shape.some((d, i) => d !== v.shape[i])) {
      const along = axes.map((i) => v.shape[i]);
      if (axis === undefined || axis === null || wv.ndim !== along.length || wv.shape.some((d, i) => d !== along[i])) {
        throw new ShapeError(`${op}: weights of shape [${wv.shape.join(", ")}] must have a's shape [${v.shape.join(", ")}] or the reduced axes' [${along.join(", ")}]`);
      }
      wv = lax.broadcastInDim(wv, v.shape, axes);
    }
    wv = lax.reshape(lax.transpose(wv, [...kept, ...axes]), [...batch, n]);
  }
  let result: Value;
  if (n > 0 && method === "inverted_cdf") {
    result = invertedCdf(x, wv, qv, batch, k, ignoreNan);
  } else if (n === 0) {
    result = full([...batch, k], NaN, { dtype: v.dtype });
  } else {
    const nan = lax.ne(x, x);
    const nanConst = lax.broadcastInDim(lax.scalar(NaN, v.dtype), x.shape, []);
    if (!ignoreNan) {
      // one NaN makes the whole slice's quantiles NaN
      const anyNan = lax.reduceMax(nan, [last]);
      x = lax.select(lax.broadcastInDim(anyNan, x.shape, range(last)), nanConst, x);
    } else {
      // as JAX: NaNs become constants, so no gradient reaches them (an all-NaN slice picks one)
      x = lax.select(nan, nanConst, x);
    }
    const s = lax.sort(x, { dimension: last });
    const qk = lax.broadcastInDim(lax.reshape(qv, [k]), [...batch, k], [last]);
    // the number of entries that count, per slice, broadcast against q
    const count = ignoreNan
      ? lax.broadcastInDim(lax.reduceSum(cast(lax.not(nan), v.dtype), [last]), [...batch, k], range(last))
      : lax.broadcastInDim(lax.scalar(n, v.dtype), [...batch, k], []);
    const pos = lax.mul(qk, lax.sub(count, 1));
    const lo = lax.floor(pos);
    const hi = lax.ceil(pos);
    const highWeight = lax.sub(pos, lo);
    const lowWeight = lax.sub(lax.scalar(1, v.dtype), highWeight);
    const clampIndex = (i: Value) => cast(lax.max(lax.min(i, lax.sub(count, 1)), lax.broadcastInDim(lax.scalar(0, v.dtype), i.shape, [])), "int32");
    const pick = (i: Value) => lax.gather(s, clampIndex(i), { axis: last, batchDims: last, mode: "promise_in_bounds" });
    const low = pick(lo);
    const high = pick(hi);
    switch (method) {
      case "linear":
        result = lax.add(lax.mul(low, lowWeight), lax.mul(high, highWeight));
        break;
      case "lower":
        result = low;
        break;
      case "higher":
        result = high;
        break;
      case "nearest":
        result = lax.select(lax.le(highWeight, lax.broadcastInDim(lax.scalar(0.5, v.dtype), highWeight.shape, [])), low, high);
        break;
      case "midpoint":
        result = lax.mul(lax.add(low, high), 0.5);
        break;
      default:
        throw new ArgumentError(`${op}: unknown method ${JSON.stringify(method)}`);
    }
  }
  // q's axis first, as JAX
  result = lax.transpose(result, [last, ...range(last)]);
  if (qv.ndim === 0) result = lax.reshape(result, batch);
  if (options.keepdims) result = lax.reshape(result, [...qv.shape, ...v.shape.map((d, i) => (axes.includes(i) ? 1 : d))]);
  return result;
}

/**
 * JAX's "inverted_cdf" quantile of the [...batch, n] slices `x` (weights `w`,
 * default 1): the first sorted element whose cumulative weight reaches q of
 * the total. Negative or NaN weights, or NaN data (all-NaN slices when
 * ignoring NaNs), make the result NaN. Returns [...batch, k].
 */
function invertedCdf(x: Value, w: Value | null, q: Value, batch: number[], k: number, ignoreNan: boolean): Value {
  const last = batch.length;
  const n = x.shape[last];
  const dtype = x.dtype;
  const nanX = lax.ne(x, x);
  const nanConst = lax.broadcastInDim(lax.scalar(NaN, dtype), x.shape, []);
  // as JAX: NaN entries (or, not ignoring NaNs, whole slices with one) become constants
  x = lax.select(ignoreNan ? nanX : lax.broadcastInDim(lax.reduceMax(nanX, [last]), x.shape, range(last)), nanConst, x);
  const weights = w ?? lax.broadcastInDim(lax.scalar(1, dtype), x.shape, []);
  const [s, ws] = lax.sort([x, weights], { dimension: last, numKeys: 1 }) as [Value, Value];
  const zero = lax.broadcastInDim(lax.scalar(0, dtype), x.shape, []);
  const bad = lax.or(lax.lt(ws, zero), lax.ne(ws, ws));
  const nanData = lax.ne(s, s);
  const clean = lax.select(lax.or(bad, nanData), zero, ws);
  const cum = lax.cumsum(clean, last);
  const total = lax.reshape(lax.slice(cum, cum.shape.map((d, i) => (i === last ? n - 1 : 0)), cum.shape), batch);
  const target = lax.mul(lax.broadcastInDim(lax.reshape(q, [k]), [...batch, k], [last]), lax.broadcastInDim(total, [...batch, k], range(last)));
  // how many cumulative weights fall short of each target
  const shape3 = [...batch, k, n];
  const less = lax.lt(lax.broadcastInDim(cum, shape3, [...range(last), last + 1]), lax.broadcastInDim(target, shape3, range(last + 1)));
  let idx = lax.reduceSum(cast(less, "int32"), [last + 1]);
  const valid = ignoreNan ? lax.reduceSum(cast(lax.not(nanData), "int32"), [last]) : lax.broadcastInDim(lax.scalar(n, "int32"), batch, []);
  const limit = lax.broadcastInDim(lax.sub(valid, 1), [...batch, k], range(last));
  idx = lax.max(lax.min(idx, limit), lax.broadcastInDim(lax.scalar(0, "int32"), idx.shape, []));
  const picked = lax.gather(s, idx, { axis: last, batchDims: last, mode: "promise_in_bounds" });
  const anyBad = lax.reduceMax(bad, [last]);
  const forceNan = ignoreNan ? lax.or(anyBad, lax.eq(valid, lax.broadcastInDim(lax.scalar(0, "int32"), batch, []))) : lax.or(anyBad, lax.reduceMax(nanData, [last]));
  return lax.select(lax.broadcastInDim(forceNan, picked.shape, range(last)), lax.broadcastInDim(lax.scalar(NaN, dtype), picked.shape, []), picked);
}

/**
 * The `q`-th quantiles (q in [0, 1], a number or a 1-d array) of `a` over
 * `axis` (default: all), as JAX's `jnp.quantile`: q's axis comes first in
 * the result. A NaN in a slice makes its quantiles NaN (see {@link nanquantile}).
 * @example
 * np.quantile(np.array([1, 2, 3, 4]), 0.5);                          // 2.5
 * np.quantile(np.array([1, 2, 3, 4]), np.array([0.25, 0.75]), null, { method: "nearest" }); // [2, 3]
 */
export function quantile(a: ArrayLike, q: ArrayLike, axis?: Axis, options: QuantileOptions = {}): Value {
  return quantileImpl("np.quantile", a, q, axis, options, false);
}

/** q / 100 in a float dtype (percentiles are quantiles in percent). */
export function percentOf(op: string, q: ArrayLike): Value {
  return lax.div(toInexact(op, q), 100);
}

/**
 * The `q`-th percentiles (q in [0, 100]) of `a` over `axis`, as `jnp.percentile`.
 * @example np.percentile(np.array([1, 2, 3, 4, 5]), 25); // 2
 */
export function percentile(a: ArrayLike, q: ArrayLike, axis?: Axis, options: QuantileOptions = {}): Value {
  return quantileImpl("np.percentile", a, percentOf("np.percentile", q), axis, options, false);
}

/**
 * The median over `axis` (default: all): the 0.5 quantile by the "midpoint" method, as JAX.
 * @example np.median(np.array([[1, 3], [2, 8]]), 0); // [1.5, 5.5]
 */
export function median(a: ArrayLike, axis?: Axis, options: { keepdims?: boolean } = {}): Value {
  options = optionsArg("np.median", options);
  return quantileImpl("np.median", a, 0.5, axis, { method: "midpoint", keepdims: options.keepdims }, false);
}

// ---- averages, covariance -------------------------------------------------------------

export interface AverageOptions {
  /** Weights: the shape of `a`, or 1-d along a single `axis`. */
  weights?: ArrayLike | null;
  /** Keep the reduced axes as size 1 (default false). */
  keepdims?: boolean;
}

/**
 * The weighted mean over `axis`: `sum(a·w) / sum(w)` (the plain mean without
 * weights). With `returned: true`, also the sum of the weights, broadcast to
 * the average's shape, as `[average, sumOfWeights]`.
 * @example
 * np.average(np.array([1, 2, 3]), null, { weights: np.array([3, 1, 0]) }); // 1.25
 * const [avg, total] = np.average(np.array([[1, 2], [3, 4]]), 1, { weights: np.array([1, 3]), returned: true }); // [1.75, 3.75], [4, 4]
 */
export function average(a: ArrayLike, axis?: Axis, options?: AverageOptions & { returned?: false }): Value;
export function average(a: ArrayLike, axis: Axis, options: AverageOptions & { returned: true }): [Value, Value];
export function average(a: ArrayLike, axis?: Axis, options: AverageOptions & { returned?: boolean } = {}): Value | [Value, Value] {
  const op = "np.average";
  options = optionsArg(op, options);
  let avg: Value;
  let weightSum: Value;
  if (options.weights === undefined || options.weights === null) {
    const v = toInexact(op, a);
    const axes = axesOf(op, axis, v.ndim);
    const n = sizeOf(axes.map((i) => v.shape[i]));
    avg = lax.div(lax.reduceSum(v, axes), n);
    if (options.keepdims) avg = lax.reshape(avg, v.shape.map((d, i) => (axes.includes(i) ? 1 : d)));
    weightSum = full([], n, { dtype: avg.dtype });
  } else {
    let [v, w] = promoteInexact(op, [a, options.weights]);
    const axes = axesOf(op, axis, v.ndim);
    if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i])) {
      if (axis === undefined || axis === null) {
        throw new ShapeError(`${op}: weights of shape [${w.shape.join(", ")}] differ from a's [${v.shape.join(", ")}]: pass the axis they lie along`);
      }
      const along = axes.map((i) => v.shape[i]);
      if (w.ndim !== along.length || w.shape.some((d, i) => d !== along[i])) {
        throw new ShapeError(`${op}: weights of shape [${w.shape.join(", ")}] must have a's shape [${v.shape.join(", ")}] or the shape [${along.join(", ")}] of the axes ${axes.join(", ")}`);
      }
      w = lax.broadcastInDim(w, v.shape, axes);
    }
    if (v.weakType) v = cast(v, v.dtype);
    weightSum = lax.reduceSum(w, axes);
    avg = lax.div(lax.reduceSum(lax.mul(v, w), axes), weightSum);
    if (options.keepdims) {
      const shape = v.shape.map((d, i) => (axes.includes(i) ? 1 : d));
      avg = lax.reshape(avg, shape);
      weightSum = lax.reshape(weightSum, shape);
    }
  }
  if (!options.returned) return avg;
  return [avg, broadcastValue(op, weightSum, avg.shape)];
}

export interface CovOptions {
  /** Rows are variables and columns observations (default true); false: the transpose. */
  rowvar?: boolean;
  /** Normalize by N rather than N - 1 (default false); ignored when `ddof` is given. */
  bias?: boolean;
  /** Delta degrees of freedom: the normalization is N - ddof. */
  ddof?: number | null;
  /** Integer frequency weights, one per observation. */
  fweights?: ArrayLike | null;
  /** Observation weights, one per observation. */
  aweights?: ArrayLike | null;
  /** A float dtype to compute in. */
  dtype?: DType;
}

const atLeast2d = (x: Value): Value => (x.ndim >= 2 ? x : lax.reshape(x, x.ndim === 1 ? [1, x.shape[0]] : [1, 1]));

/**
 * The covariance matrix of the variables in `m` (rows, unless `rowvar` is
 * false), and of `y`'s when given, as `jnp.cov` (squeezed: one variable
 * gives a 0-d result).
 * @example
 * np.cov(np.array([[0, 1, 2], [2, 1, 0]])); // [[1, -1], [-1, 1]]
 * np.cov(np.array([1, 2, 4]), null, { aweights: np.array([1, 1, 2]) });
 */
export function cov(m: ArrayLike, y?: ArrayLike | null, options: CovOptions = {}): Value {
  const op = "np.cov";
  options = optionsArg(op, options);
  const rowvar = options.rowvar ?? true;
  const [mv, yv] = y === undefined || y === null ? [toInexact(op, m), undefined] : promoteInexact(op, [m, y]);
  if (mv.ndim > 2 || (yv && yv.ndim > 2)) throw new ShapeError(`${op}: m and y must have at most 2 axes, got shapes [${mv.shape.join(", ")}]${yv ? ` and [${yv.shape.join(", ")}]` : ""}`);
  if (options.dtype !== undefined && !isFloat(options.dtype)) throw new DTypeError(`${op}: dtype must be a float dtype, got ${options.dtype}`);
  let X = atLeast2d(mv);
  if (!rowvar && mv.ndim !== 1) X = lax.transpose(X, [1, 0]);
  if (X.shape[0] === 0) return zeros([0, 0], { dtype: X.dtype });
  if (yv) {
    let Y = atLeast2d(yv);
    if (!rowvar && Y.shape[0] !== 1) Y = lax.transpose(Y, [1, 0]);
    X = lax.concatenate([X, Y], 0);
  }
  if (X.weakType) X = cast(X, X.dtype);
  const [vars, obs] = X.shape;
  if (obs === 0) return full(vars === 1 ? [] : [vars, vars], NaN, { dtype: X.dtype });
  const ddof = options.ddof ?? (options.bias ? 0 : 1);
  let w: Value | undefined;
  let aw: Value | undefined;
  const weightArg = (name: string, u: ArrayLike): Value => {
    const wv = asValue(u, op);
    if (wv.ndim !== 1 || wv.shape[0] !== obs) throw new ShapeError(`${op}: ${name} must be 1-d with one weight per observation (${obs}), got shape [${wv.shape.join(", ")}]`);
    return wv;
  };
  if (options.fweights !== undefined && options.fweights !== null) {
    const f = weightArg("fweights", options.fweights);
    if (!isInt(f.dtype)) throw new DTypeError(`${op}: fweights must be integers, got ${f.dtype}`);
    w = lax.abs(f);
  }
  if (options.aweights !== undefined && options.aweights !== null) {
    aw = lax.abs(weightArg("aweights", options.aweights));
    w = w ? multiply(w, aw) : aw;
  }
  if (options.dtype) {
    X = cast(X, options.dtype);
    if (w) w = cast(w, options.dtype);
  }
  const [avg, wsumAll] = w ? average(X, 1, { weights: w, returned: true }) : average(X, 1, { returned: true });
  const wsum = lax.reshape(lax.slice(wsumAll, [0], [1]), []);
  let f: Value | number;
  if (!w) f = obs - ddof;
  else if (ddof === 0) f = wsum;
  else if (!aw) f = lax.sub(wsum, ddof);
  else {
    const wa = lax.mul(cast(w, wsum.dtype), cast(aw, wsum.dtype));
    f = lax.sub(wsum, lax.div(lax.mul(lax.reduceSum(wa, [0]), ddof), wsum));
  }
  const centered = lax.sub(X, lax.broadcastInDim(avg, X.shape, [0]));
  const weighted = w ? lax.mul(centered, lax.broadcastInDim(cast(w, centered.dtype), X.shape, [1])) : centered;
  // as JAX: the second factor is conjugated (complex data give a Hermitian covariance)
  const second = weighted.dtype === "complex64" || weighted.dtype === "complex128" ? lax.conj(weighted) : weighted;
  const c = lax.div(dot(centered, lax.transpose(second, [1, 0])), f);
  return vars === 1 ? lax.reshape(c, []) : c;
}

/**
 * Pearson correlation coefficients: the covariance normalized by the
 * standard deviations, clipped to [-1, 1], as `jnp.corrcoef`.
 * @example np.corrcoef(np.array([[1, 2, 3], [3, 1, 2]])); // [[1, -0.5], [-0.5, 1]]
 */
export function corrcoef(x: ArrayLike, y?: ArrayLike | null, options: { rowvar?: boolean; dtype?: DType } = {}): Value {
  options = optionsArg("np.corrcoef", options);
  const c = cov(x, y, { rowvar: options.rowvar, dtype: options.dtype });
  if (c.ndim === 0) return lax.div(c, c);
  const n = c.shape[0];
  const d = lax.sqrt(lax.gather(lax.reshape(c, [n * n]), lax.mul(lax.iota("int32", n), n + 1), { axis: 0 }));
  const r = lax.div(lax.div(c, lax.broadcastInDim(d, [n, n], [0])), lax.broadcastInDim(d, [n, n], [1]));
  return lax.clamp(lax.scalar(-1, r.dtype), r, lax.scalar(1, r.dtype));
}

// ---- histograms -----------------------------------------------------------------------

/** `num` points from `start` to `stop` (0-d values, possibly traced), JAX's linspace formula with the endpoint. */
function linspaceBetween(start: Value, stop: Value, num: number): Value {
  const dtype = start.dtype;
  if (num === 1) return lax.reshape(start, [1]);
  const div = num - 1;
  const step = lax.div(lax.convert(lax.iota("int32", div), dtype), div);
  const body = lax.add(lax.mul(lax.broadcastInDim(start, [div], []), lax.sub(lax.scalar(1, dtype), step)), lax.mul(lax.broadcastInDim(stop, [div], []), step));
  return lax.concatenate([body, lax.reshape(stop, [1])], 0);
}

/** Bins as JAX takes them: a count of equal bins, or the edges (1-d, increasing). */
export type Bins = number | ArrayLike;

/**
 * The edges of a histogram's bins: the given edges, or `bins + 1` equally
 * spaced points over `range` (default: the data's min and max; a zero-width
 * range is widened by 0.5 each way), as `jnp.histogram_bin_edges`.
 * @example np.histogramBinEdges(np.array([0, 1, 2, 5]), 5); // [0, 1, 2, 3, 4, 5]
 */
export function histogramBinEdges(a: ArrayLike, bins: Bins = 10, options: { range?: readonly [ArrayLike, ArrayLike] | null } = {}): Value {
  const op = "np.histogramBinEdges";
  options = optionsArg(op, options);
  const v = toInexact(op, a);
  const dtype = v.dtype;
  if (typeof bins !== "number") {
    const e = asValue(bins, op);
    if (e.ndim !== 1) throw new ShapeError(`${op}: bins must be a count or 1-d edges, got shape [${e.shape.join(", ")}]`);
    return cast(e, dtype);
  }
  const count = sizeArg(op, "bins", bins);
  let lo: Value;
  let hi: Value;
  if (options.range) {
    if (options.range.length !== 2) throw new ShapeError(`${op}: range must be [min, max], got ${options.range.length} values`);
    lo = cast(asValue(options.range[0], op), dtype);
    hi = cast(asValue(options.range[1], op), dtype);
  } else {
    if (v.size === 0) throw new ShapeError(`${op}: cannot take the range of an empty array; pass range: [min, max]`);
    lo = lax.reduceMin(v, range(v.ndim));
    hi = lax.reduceMax(v, range(v.ndim));
  }
  const same = lax.eq(lo, hi);
  const lo2 = lax.select(same, lax.sub(lo, 0.5), lo);
  const hi2 = lax.select(same, lax.add(hi, 0.5), hi);
  return linspaceBetween(lo2, hi2, count + 1);
}

export interface HistogramOptions {
  /** [min, max] of equal bins (default: the data's). */
  range?: readonly [ArrayLike, ArrayLike] | null;
  /** A weight per element of `a` (default 1 each). */
  weights?: ArrayLike | null;
  /** Normalize to a probability density (integral 1) rather than counts. */
  density?: boolean;
}

/**
 * A histogram of `a` (flattened): `[counts, edges]`, with the last bin
 * closed on the right, as `jnp.histogram` (counts are floats, as JAX's).
 * @example
 * const [counts, edges] = np.histogram(np.array([1, 2, 1, 4]), 3); // [2, 1, 1], [1, 2, 3, 4]
 */
export function histogram(a: ArrayLike, bins: Bins = 10, options: HistogramOptions = {}): [Value, Value] {
  const op = "np.histogram";
  options = optionsArg(op, options);
  let v: Value;
  let w: Value;
  if (options.weights === undefined || options.weights === null) {
    v = toInexact(op, a);
    w = full(v.shape, 1, { dtype: v.dtype });
  } else {
    [v, w] = promoteInexact(op, [a, options.weights]);
    if (v.shape.length !== w.shape.length || v.shape.some((d, i) => d !== w.shape[i])) {
      throw new ShapeError(`${op}: weights of shape [${w.shape.join(", ")}] must have a's shape [${v.shape.join(", ")}]`);
    }
  }
  const edges = histogramBinEdges(v, bins, { range: options.range });
  const n = edges.shape[0];
  const flat = lax.reshape(v, [v.size]);
  let idx = searchsorted(edges, flat, "right");
  // the last bin includes its right edge
  const lastEdge = lax.broadcastInDim(lax.reshape(lax.slice(edges, [n - 1], [n]), []), flat.shape, []);
  idx = lax.select(lax.eq(flat, lastEdge), lax.broadcastInDim(lax.scalar(n - 1, "int32"), flat.shape, []), idx);
  const sums = at(zeros([n], { dtype: w.dtype }), [idx]).add(lax.reshape(w, [w.size]));
  let counts = lax.slice(sums, [1], [n]);
  if (options.density) {
    const widths = lax.sub(lax.slice(edges, [1], [n]), lax.slice(edges, [0], [n - 1]));
    counts = lax.div(lax.div(counts, widths), lax.reduceSum(counts, [0]));
  }
  return [counts, edges];
}

/** Options of {@link histogramdd} (and {@link histogram2d}). */
export interface HistogramddOptions {
  /** [min, max] per dimension (null: the data's). */
  range?: readonly (readonly [ArrayLike, ArrayLike] | null)[] | null;
  /** A weight per point (default: integer counts). */
  weights?: ArrayLike | null;
  /** Normalize to a probability density. */
  density?: boolean;
}

/**
 * A D-dimensional histogram of N points (`sample` is [N, D]): `[counts, edges per dimension]`,
 * as `jnp.histogramdd`; `bins` is one spec for every dimension or one per dimension.
 * @example
 * const [h, edges] = np.histogramdd(np.array([[0, 0], [1, 0], [1, 1]]), 2); // h: [[1, 0], [1, 1]]
 */
export function histogramdd(sample: ArrayLike, bins: Bins | readonly Bins[] = 10, options: HistogramddOptions = {}): [Value, Value[]] {
  return histogramNd("np.histogramdd", sample, bins, options);
}

function histogramNd(op: string, sample: ArrayLike, bins: Bins | readonly Bins[], options: HistogramddOptions): [Value, Value[]] {
  options = optionsArg(op, options);
  const hasWeights = options.weights !== undefined && options.weights !== null;
  const vals = promoteInexact(op, hasWeights ? [sample, options.weights as ArrayLike] : [sample]);
  const s = vals[0];
  if (s.ndim !== 2) throw new ShapeError(`${op}: sample must be [N, D], got shape [${s.shape.join(", ")}]`);
  const [N, D] = s.shape;
  if (options.range && options.range.length !== D) throw new ShapeError(`${op}: range must have one entry per dimension (${D}), got ${options.range.length}`);
  const perAxis: Bins[] = globalThis.Array.isArray(bins) ? [...(bins as readonly Bins[])] : range(D).map(() => bins as Bins);
  if (perAxis.length !== D) throw new ShapeError(`${op}: bins must be one spec or one per dimension (${D}), got ${perAxis.length}`);
  const sides = range(D).map((d) => {
    const col = lax.reshape(lax.slice(s, [0, d], [N, d + 1]), [N]);
    const edges = histogramBinEdges(col, perAxis[d], { range: options.range ? options.range[d] : null });
    const n = edges.shape[0];
    const lastEdge = lax.broadcastInDim(lax.reshape(lax.slice(edges, [n - 1], [n]), []), [N], []);
    let idx = searchsorted(edges, col, "right");
    // the last bin is closed on the right
    idx = lax.select(lax.eq(col, lastEdge), lax.sub(idx, 1), idx);
    return { edges, idx, n: n + 1 };
  });
  const clampTo = (i: Value, m: number) => lax.clamp(lax.scalar(0, "int32"), i, lax.scalar(m - 1, "int32"));
  let flatIdx: Value = lax.broadcastInDim(lax.scalar(0, "int32"), [N], []);
  for (const side of sides) flatIdx = lax.add(lax.mul(flatIdx, side.n), clampTo(side.idx, side.n));
  // without weights the counts are integers, as JAX's (bincount)
  const w = hasWeights ? vals[1] : full([N], 1, { dtype: options.density ? s.dtype : "int32" });
  if (w.ndim !== 1 || w.shape[0] !== N) throw new ShapeError(`${op}: weights must be 1-d with one weight per point (${N}), got shape [${w.shape.join(", ")}]`);
  const total = sides.reduce((p, side) => p * side.n, 1);
  const shape = sides.map((side) => side.n);
  let out = lax.slice(lax.reshape(at(zeros([total], { dtype: w.dtype }), [flatIdx]).add(w), shape), shape.map(() => 1), shape.map((m) => m - 1));
  if (options.density) {
    out = lax.div(out, lax.reduceSum(out, range(D)));
    sides.forEach((side, d) => {
      const m = side.n - 1;
      const widths = lax.sub(lax.slice(side.edges, [1], [m]), lax.slice(side.edges, [0], [m - 1]));
      out = lax.div(out, lax.broadcastInDim(widths, out.shape, [d]));
    });
  }
  return [out, sides.map((side) => side.edges)];
}

/**
 * A 2-d histogram of points (x[i], y[i]): `[counts, xEdges, yEdges]`, as
 * `jnp.histogram2d`; `bins` is one spec for both axes or `[xBins, yBins]`.
 * @example
 * const [h, xe, ye] = np.histogram2d(np.array([0, 1, 1]), np.array([0, 0, 1]), 2); // h: [[1, 0], [1, 1]]
 */
export function histogram2d(x: ArrayLike, y: ArrayLike, bins: Bins | readonly [Bins, Bins] = 10, options: HistogramddOptions = {}): [Value, Value, Value] {
  const op = "np.histogram2d";
  const [xv, yv] = promote(op, [x, y]);
  if (xv.ndim !== 1 || yv.ndim !== 1 || xv.shape[0] !== yv.shape[0]) {
    throw new ShapeError(`${op}: x and y must be 1-d of one length, got shapes [${xv.shape.join(", ")}] and [${yv.shape.join(", ")}]`);
  }
  const perAxis = globalThis.Array.isArray(bins) && bins.length === 2 ? bins : [bins as Bins, bins as Bins];
  const sample = lax.concatenate([lax.reshape(xv, [xv.shape[0], 1]), lax.reshape(yv, [yv.shape[0], 1])], 1);
  const [h, edges] = histogramNd(op, sample, perAxis, options);
  return [h, edges[0], edges[1]];
}

/**
 * Counts (or sums of `weights`) of each non-negative integer in `x` (1-d;
 * negatives count as 0), as `jnp.bincount`. The output's length is
 * `max(minlength, max(x) + 1)`, read from x's values, so under jit pass a
 * static `length` (values at or past it are dropped).
 * @example
 * np.bincount(np.array([0, 1, 1, 3], { dtype: "int32" }));               // [1, 2, 0, 1]
 * np.bincount(np.array([0, 1, 1], { dtype: "int32" }), null, 0, { length: 4 }); // [1, 2, 0, 0]
 */
export function bincount(x: ArrayLike, weights?: ArrayLike | null, minlength = 0, options: { length?: number | null } = {}): Value {
  const op = "np.bincount";
  options = optionsArg(op, options);
  let v = asValue(x, op);
  if (v.dtype === "bool") v = cast(v, "int32");
  if (!isInt(v.dtype)) throw new DTypeError(`${op}: x must have an integer dtype, got ${v.dtype}; convert with x.astype("int32")`);
  if (v.ndim !== 1) throw new ShapeError(`${op}: x must be 1-d, got shape [${v.shape.join(", ")}]`);
  const minLen = sizeArg(op, "minlength", minlength);
  let length: number;
  if (options.length === undefined || options.length === null) {
    const data = concreteValues(op, "x", v, `Pass a static length: np.bincount(x, weights, 0, { length: n }).`);
    let mx = -1;
    for (let i = 0; i < data.length; i++) mx = Math.max(mx, data[i]);
    length = Math.max(minLen, v.size === 0 ? 0 : Math.max(0, mx) + 1);
  } else {
    length = sizeArg(op, "length", options.length);
  }
  const w = weights === undefined || weights === null ? full(v.shape, 1, { dtype: "int32" }) : asValue(weights, op);
  if (w.ndim !== 1 || w.shape[0] !== v.shape[0]) throw new ShapeError(`${op}: weights must have x's shape [${v.shape.join(", ")}], got [${w.shape.join(", ")}]`);
  const idx = lax.max(cast(v, "int32"), lax.broadcastInDim(lax.scalar(0, "int32"), v.shape, []));
  return at(zeros([length], { dtype: w.dtype === "bool" ? "int32" : w.dtype }), [idx]).add(w.weakType ? cast(w, w.dtype) : w);
}

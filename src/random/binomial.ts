/**
 * Binomial and multinomial samples as JAX draws them (jax/_src/random/core.py
 * `_binomial`, `multinomial`): inversion by sums of geometric draws where
 * n·min(p, 1-p) <= 10, else Kachitvichyanukul–Schmeiser's transformed
 * rejection (BTRS) with a Stirling tail, both run from the same key on the
 * whole array and selected per element; multinomial as JAX's chain of
 * binomials over the categories. Samples are floats, as JAX's.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { isFloat } from "../dtype.js";
import { ShapeError } from "../errors.js";
import {
  abs, add, and, broadcastInDim, ceil, neg, clamp, concatenate, convert, cumsum, div, eq, floor, gt, isFiniteFn, le, log, log1p, lt, mul, ne, not, or,
  reduceMax, reshape, scalar, select, slice, sqrt, sub, whileLoop,
} from "../lax/index.js";
import { broadcastShapes, fmtShape, shapeEq } from "../shape.js";
import type { Value } from "../trace/core.js";
import type { FloatOptions } from "./distributions.js";
import { asArg, fit, floatDType, opts, uniform } from "./distributions.js";
import type { Key, ShapeLike } from "./keys.js";
import { checkKey, oneUseOf, shapeArg, split } from "./keys.js";
import { asyncDevice, onCpuAndBack } from "./poisson.js";

function any(x: Value): Value {
  if (x.ndim === 0) return x;
  return gt(reduceMax(convert(x, "int32"), x.shape.map((_, i) => i)), scalar(0, "int32"));
}

const STIRLING_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509, 0.0166446911898211,
  0.0138761288230707, 0.0118967099458917, 0.010411265261972, 0.00925546218271273, 0.00833056343336287];

/** log k! - (Stirling's approximation of it): a table up to 9, the series beyond. */
function stirlingTail(k: Value): Value {
  const d = k.dtype;
  const c = (v: number) => scalar(v, d);
  const useTable = le(k, c(9));
  const kc = clamp(c(0), k, c(9));
  const kp1sq = mul(add(kc, c(1)), add(kc, c(1)));
  const approx = div(sub(c(1 / 12), div(sub(c(1 / 360), div(c(1 / 1260), kp1sq)), kp1sq)), add(kc, c(1)));
  const kf = floor(kc);
  let table = broadcastInDim(c(STIRLING_TAIL[0]), k.shape, []);
  STIRLING_TAIL.forEach((v, j) => (table = j === 0 ? table : select(eq(kf, c(j)), broadcastInDim(c(v), k.shape, []), table)));
  return select(useTable, table, approx);
}

function inversion(key: Key, count: Value, prob: Value, shape: number[]): Value {
  const d = prob.dtype;
  const c = (v: number) => scalar(v, d);
  const log1mp = log1p(neg(prob)); // -0 for p = 0, as JAX: log(u) / -0 = +inf ends the loop
  const zeros = broadcastInDim(c(0), shape, []);
  type C = [Value, Value, Value];
  const [k] = whileLoop(
    ([, geomSum]: C) => any(le(geomSum, count)),
    ([numGeom, geomSum, rng]: C): C => {
      const [subkey, next] = split(rng);
      const out = select(le(geomSum, count), add(numGeom, c(1)), numGeom);
      const u = uniform(subkey, shape, d);
      const geom = ceil(div(log(u), log1mp));
      return [out, add(geomSum, geom), next];
    },
    [zeros, zeros, key] as C,
  );
  return sub(k, c(1));
}

function btrs(key: Key, count: Value, prob: Value, shape: number[]): Value {
  const d = prob.dtype;
  const c = (v: number) => scalar(v, d);
  const one = c(1);
  const stddev = sqrt(mul(mul(count, prob), sub(one, prob)));
  const b = add(c(1.15), mul(c(2.53), stddev));
  const a = add(add(c(-0.0873), mul(c(0.0248), b)), mul(c(0.01), prob));
  const cc = add(mul(count, prob), c(0.5));
  const vR = sub(c(0.92), div(c(4.2), b));
  const r = div(prob, sub(one, prob));
  const alpha = mul(add(c(2.83), div(c(5.1), b)), stddev);
  const m = floor(mul(add(count, one), prob));
  type C = [Value, Value, Value];
  const [kOut] = whileLoop(
    ([, accepted]: C) => any(not(accepted)),
    ([kPrev, accepted, rng]: C): C => {
      const [next, k0, k1] = split(rng, 3);
      let u = uniform(k0, shape, d);
      let v = uniform(k1, shape, d);
      u = sub(u, c(0.5));
      const us = sub(c(0.5), abs(u));
      const accept1 = and(ge2(us, c(0.07)), le(v, vR));
      const k = floor(add(mul(add(div(mul(c(2), a), us), b), u), cc));
      const reject = or(lt(k, c(0)), gt(k, count));
      v = log(div(mul(v, alpha), add(div(a, mul(us, us)), b)));
      const cm1 = add(sub(count, m), one);
      const ck1 = add(sub(count, k), one);
      let ub = mul(add(m, c(0.5)), log(div(add(m, one), mul(r, cm1))));
      ub = add(ub, mul(add(count, one), log(div(cm1, ck1))));
      ub = add(ub, mul(add(k, c(0.5)), log(div(mul(r, ck1), add(k, one)))));
      ub = add(ub, stirlingTail(m));
      ub = add(ub, stirlingTail(sub(count, m)));
      ub = sub(ub, stirlingTail(k));
      ub = sub(ub, stirlingTail(sub(count, k)));
      const accept = or(accept1, and(not(reject), le(v, ub)));
      return [select(accept, k, kPrev), or(accepted, accept), next];
    },
    [broadcastInDim(c(-1), shape, []), broadcastInDim(scalar(0, "bool"), shape, []), key] as C,
  );
  return kOut;
}

const ge2 = (a: Value, b: Value) => not(lt(a, b));

function binomialImpl(key: Key, count: Value, prob: Value, shape: number[]): Value {
  const d = prob.dtype;
  const c = (v: number) => scalar(v, d);
  const full = (v: number) => broadcastInDim(c(v), shape, []);
  const pLtHalf = lt(prob, c(0.5));
  let q = select(pLtHalf, prob, sub(c(1), prob));
  const countNanOrNeg = or(ne(count, count), lt(count, c(0)));
  const countInf = and(not(isFiniteFn(count)), eq(count, count));
  const qNan = ne(q, q);
  const qNeg = lt(q, c(0));
  q = select(or(qNan, qNeg), full(0.01), q);
  const useInversion = or(countNanOrNeg, le(mul(count, q), c(10)));
  const n = floor(count);
  const countInv = select(useInversion, n, full(0));
  const countBtrs = select(useInversion, full(1e4), n);
  const qBtrs = select(useInversion, full(0.5), q);
  let samples = select(useInversion, inversion(key, countInv, q, shape), btrs(key, countBtrs, qBtrs, shape));
  const invalid = or(or(qNeg, qNan), countNanOrNeg);
  samples = select(invalid, full(NaN), samples);
  samples = select(and(countInf, not(invalid)), full(Infinity), samples);
  return select(or(or(pLtHalf, countNanOrNeg), or(qNan, countInf)), samples, sub(n, samples));
}

/**
 * Binomial samples, successes in n trials of probability p (JAX's
 * `random.binomial`), as floats (float32 by default, as JAX); the shape
 * defaults to the broadcast shape of n and p. Same algorithms and bits as
 * JAX. On WebGPU the loops run on the CPU for concrete keys and parameters.
 * @example
 * random.binomial(random.key(0), 10, 0.3, [5]);
 */
export function binomial(key: Key, n: ArrayLike, p: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  return oneUseOf("random.binomial", key, () => binomialSampled(key, n, p, shape, options));
}

function binomialSampled(key: Key, n: ArrayLike, p: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.binomial";
  const k = checkKey(op, key);
  const nv = asArg(op, "n", n);
  const pv = asArg(op, "p", p);
  const common = broadcastShapes(op, nv.shape, pv.shape);
  const s = shape === undefined ? common : shapeArg(op, shape);
  if (!shapeEq(broadcastShapes(op, s, common), s)) {
    throw new ShapeError(`${op}: n ${fmtShape(nv.shape)} and p ${fmtShape(pv.shape)} do not broadcast to the requested shape ${fmtShape(s)}`);
  }
  const { dtype } = opts(op, options);
  const d = floatDType(op, dtype ?? (isFloat(pv.dtype) && typeof p !== "number" ? pv.dtype : "float32"));
  const full = (x: Value) => (x.ndim === 0 && s.length > 0 ? broadcastInDim(x, s, []) : x);
  const prob = full(fit(op, "p", convert(pv, d), s));
  const count = full(fit(op, "n", convert(nv, d), s));
  const device = asyncDevice(k) ?? asyncDevice(prob) ?? asyncDevice(count);
  if (device !== undefined) return onCpuAndBack(device, [k, count, prob], (kk, cn, pr) => binomialImpl(kk, cn, pr, s));
  return binomialImpl(k, count, prob, s);
}

/**
 * Multinomial counts of n draws over the categories of p's last axis (JAX's
 * `random.multinomial`), as floats: a binomial for each category in turn on
 * the draws left, with the probability renormalized over the categories
 * left. The shape defaults to p's.
 * @example
 * random.multinomial(random.key(0), 100, np.array([0.2, 0.3, 0.5])); // sums to 100
 */
export function multinomial(key: Key, n: ArrayLike, p: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  return oneUseOf("random.multinomial", key, () => multinomialSampled(key, n, p, shape, options));
}

function multinomialSampled(key: Key, n: ArrayLike, p: ArrayLike, shape?: ShapeLike, options?: FloatOptions | DType): Value {
  const op = "random.multinomial";
  const k = checkKey(op, key);
  const pv0 = asArg(op, "p", p);
  if (pv0.ndim < 1) throw new ShapeError(`${op}: p needs at least one axis (the categories), got a 0-d array`);
  const { dtype } = opts(op, options);
  const d = floatDType(op, dtype ?? (isFloat(pv0.dtype) ? pv0.dtype : "float32"));
  const s = shape === undefined ? [...pv0.shape] : shapeArg(op, shape);
  const pv = convert(pv0, d);
  const nv = convert(asArg(op, "n", n), d);
  // the whole chain on the CPU: its intermediate keys and ratios could not be moved there synchronously
  const device = asyncDevice(k) ?? asyncDevice(pv) ?? asyncDevice(nv);
  if (device !== undefined) return onCpuAndBack(device, [k, nv, pv], (kk, nn, pp) => multinomial(kk, nn, pp, s, d));
  const batch = s.slice(0, -1);
  const cats = s[s.length - 1];
  const pb = fit(op, "p", pv, s);
  const pFull = pb.ndim === 0 ? broadcastInDim(pb, s, []) : pb;
  let remainder = fit(op, "n", nv, batch);
  if (remainder.ndim === 0 && batch.length > 0) remainder = broadcastInDim(remainder, batch, []);
  // ratios: p / (the probability left from this category on), 0/0 as p/1
  const last = s.length - 1;
  const rev = (x: Value) => concatenate(Array.from({ length: cats }, (_, i) => sliceCat(x, last, cats - 1 - i)), last);
  const left = rev(cumsum(rev(pFull), last));
  const ratios = div(pFull, select(eq(left, scalar(0, d)), broadcastInDim(scalar(1, d), s, []), left));
  const keys = split(k, cats);
  const counts: Value[] = [];
  for (let i = 0; i < cats; i++) {
    const ratio = clamp(scalar(0, d), reshape(sliceCat(ratios, last, i), batch), scalar(1, d));
    const count = binomial(keys[i], remainder, ratio, undefined, d);
    remainder = sub(remainder, count);
    counts.push(reshape(count, [...batch, 1]));
  }
  return concatenate(counts, last);
}

function sliceCat(x: Value, axis: number, i: number): Value {
  const start = x.shape.map((_, j) => (j === axis ? i : 0));
  const limit = x.shape.map((sz, j) => (j === axis ? i + 1 : sz));
  return slice(x, start, limit);
}

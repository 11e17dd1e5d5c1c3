/**
 * Samplers, each JAX's algorithm step for step (jax/_src/random.py), in lax
 * ops: uniform floats from the mantissa bits, normal by the inverse error
 * function, randint from two words of bits, permutation by rounds of sorting
 * on random keys, categorical by the Gumbel-max trick. Same key, same
 * samples as JAX (float32 by default; float64 as JAX with x64 on): bit for
 * bit for the integer samplers and uniform (on any range, float16/32/64: XLA's
 * fused multiply-add is lax's fma); with `exact: true`, float32 normal,
 * truncatedNormal, gumbel and exponential too, through XLA's own log, log1p
 * and erf and its fused multiply-adds (xla-log.ts, xla-erf.ts, erf-inv.ts),
 * and float16 normal (computed in float32 as XLA does). That is off by
 * default because it costs: XLA's log/erf rebuilt from lax ops (each fused
 * multiply-add computed in float64 and checked for double rounding) make a
 * jitted float32 normal ~1.6-1.9x slower on the CPU (bench/random-exact.ts); the default (lax's log, log1p and erf,
 * each Horner step a multiply and an add) gives most samples bit for bit and
 * the rest within a few ulps. float64 normal, gumbel and exponential use lax's
 * log/log1p either way: ~86-88% bit-identical, the rest within ~130 ulps
 * (test/random-bit-identical.test.ts).
 */
import { optionsArg, describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, intInfo, isFloat, isInt } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import {
  add, and, argmax, argsort, broadcastInDim, clamp, convert, cumsum, div, erf, gather, gt, iota, le, log, log1p, lt, max, mul, neg,
  min, nextafter, reduceSum, rem, reshape, scalar, select, shiftRightLogical, slice, sort, stopGradient, sub, transpose, xor,
} from "../lax/index.js";
import { broadcastShapes, fmtShape, normalizeAxis, shapeEq, sizeOf } from "../shape.js";
import type { Value } from "../trace/core.js";
import { erfInvXla } from "./erf-inv.js";
import { fma } from "./fma.js";
import { xlaErf32 } from "./xla-erf.js";
import { xlaLog1p32, xlaLog32 } from "./xla-log.js";
import type { Key, ShapeLike } from "./keys.js";
import { bits, checkKey, shapeArg, split, threefryWords } from "./keys.js";

// ---- helpers ----------------------------------------------------------------------------

/**
 * The options argument, where a dtype string alone stands for `{ dtype }`
 * (`random.normal(key, [3], "float64")`, as JAX takes dtype positionally):
 * ignoring it would silently sample float32.
 */
export function opts<O extends { dtype?: DType }>(op: string, o: O | DType | undefined): O {
  if (o === undefined) return {} as O;
  if (typeof o === "string") return { dtype: checkDType(o, op) } as O;
  if (typeof o !== "object" || o === null || o instanceof ArrayMethods || globalThis.Array.isArray(o)) {
    throw new DTypeError(`${op}: expected a dtype string or an options object such as { dtype: "float64" } here, got ${o === null ? "null" : typeof o}`);
  }
  return o;
}

export function floatDType(op: string, dtype: unknown): DType {
  const d = checkDType(dtype, op);
  if (!isFloat(d)) throw new DTypeError(`${op}: dtype must be a floating-point dtype (float16, float32 or float64), got ${d}`);
  return d;
}

export function asArg(op: string, what: string, x: ArrayLike): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number") return scalar(x, Number.isInteger(x) ? "int32" : "float32", true);
  throw new DTypeError(`${op}: ${what} must be a number or an array, got ${typeof x}`);
}

/** A parameter as `dtype`, shaped to broadcast against `shape` in lax ops: 0-d, or exactly `shape`. */
export function param(op: string, what: string, x: ArrayLike, dtype: DType, shape: readonly number[]): Value {
  const v = typeof x === "number" ? scalar(x, dtype) : convert(asArg(op, what, x), dtype);
  return fit(op, what, v, shape);
}

/** NumPy-broadcasts `x` to `shape` (0-d stays 0-d); it must not grow `shape`. */
export function fit(op: string, what: string, x: Value, shape: readonly number[]): Value {
  if (x.ndim === 0 || shapeEq(x.shape, shape)) return x;
  const out = broadcastShapes(op, shape, x.shape);
  if (!shapeEq(out, shape)) {
    throw new ShapeError(`${op}: ${what} of shape ${fmtShape(x.shape)} does not broadcast to the requested shape ${fmtShape(shape)}`);
  }
  const offset = shape.length - x.ndim;
  const squeezed = reshape(x, x.shape.filter((d) => d !== 1));
  const dims = x.shape.map((_, i) => i + offset).filter((_, i) => x.shape[i] !== 1);
  return broadcastInDim(squeezed, shape, dims);
}

/** Floats in [0, 1) from the mantissa bits: JAX's `bitcast((bits >> (nbits - nmant)) | one) - 1`, computed exactly without a bitcast. */
function unitFloats(op: string, key: Key, shape: readonly number[], dtype: DType): Value {
  const [a, b] = threefryWords(op, key, shape, dtype === "float16" ? 16 : dtype === "float32" ? 32 : 64);
  if (dtype === "float16") {
    // JAX's 16-bit words are the low halves of the 32-bit ones; their top 10 bits are the mantissa,
    // and m * 2^-10 is a half exactly
    return mul(convert(shiftRightLogical(and(xor(a, b), scalar(0xffff, "uint32")), scalar(6, "uint32")), "float16"), scalar(2 ** -10, "float16"));
  }
  if (dtype === "float32") {
    // 23 mantissa bits m of the 32-bit word; 1.m - 1 = m * 2^-23 exactly (a shift, not a division by
    // 512: the CPU's Wasm kernels have 32-bit integer shifts but no 32-bit division)
    return mul(convert(shiftRightLogical(xor(a, b), scalar(9, "uint32")), "float32"), scalar(2 ** -23, "float32"));
  }
  // 64-bit words (a << 32 | b), 52 mantissa bits: a * 2^-32 + (b >> 12) * 2^-52, exact in float64
  const high = mul(convert(a, "float64"), scalar(2 ** -32, "float64"));
  const low = mul(convert(shiftRightLogical(b, scalar(12, "uint32")), "float64"), scalar(2 ** -52, "float64"));
  return add(high, low);
}

/** The smallest positive normal number of a float dtype (finfo.tiny). */
export const tiny = (dtype: DType) => (dtype === "float16" ? 2 ** -14 : dtype === "float32" ? 2 ** -126 : 2 ** -1022);
/** nextafter(-1, 0): the uniform lower bound that keeps erfinv finite. */
const aboveMinusOne = (dtype: DType) => (dtype === "float16" ? -1 + 2 ** -11 : dtype === "float32" ? -1 + 2 ** -24 : -1 + 2 ** -53);

// ---- continuous -------------------------------------------------------------------------

export interface UniformOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
  /** Inclusive lower bound, a number or an array broadcasting to the shape (default 0). */
  minval?: ArrayLike;
  /** Exclusive upper bound (default 1). */
  maxval?: ArrayLike;
}

/**
 * Uniform samples in [minval, maxval) (JAX's `random.uniform`).
 * @example
 * random.uniform(key, [3], { minval: -1, maxval: 1 });
 */
export function uniform(key: Key, shape: ShapeLike = [], options: UniformOptions | DType = {}): Value {
  const op = "random.uniform";
  const { dtype = "float32", minval = 0, maxval = 1 } = opts(op, options);
  const d = floatDType(op, dtype);
  const s = shapeArg(op, shape);
  const lo = param(op, "minval", minval, d, s);
  const hi = param(op, "maxval", maxval, d, s);
  const floats = unitFloats(op, key, s, d);
  const range = sub(hi, lo);
  // XLA contracts float32/float64 `floats * range + lo` into one fused multiply-add; float16 arithmetic
  // it widens per op and rounds after each, so there the product is rounded first
  const scaled = d === "float16" || productIsExact(minval, maxval, d) ? add(mul(floats, range), lo) : fma(floats, range, lo);
  return max(lo, scaled);
}

/**
 * Whether `floats * (maxval - minval) + minval` rounds once anyway, so that the fused multiply-add can
 * be skipped: numeric bounds with minval 0 or a power-of-two range (normal's (−1, 1) is one in float32
 * and float64), which make the product exact.
 */
function productIsExact(minval: ArrayLike, maxval: ArrayLike, dtype: DType): boolean {
  if (typeof minval !== "number" || typeof maxval !== "number") return false;
  const round = dtype === "float32" ? Math.fround : (v: number) => v;
  const range = round(round(maxval) - round(minval));
  if (round(minval) === 0) return true;
  if (!(range > 0) || !Number.isFinite(range)) return false;
  const e = Math.log2(range);
  return Number.isInteger(e) && 2 ** e === range;
}

export interface FloatOptions {
  /** float32 (default) or float64. */
  dtype?: DType;
}

/** Options of the samplers built on log, log1p, erf or erfinv (normal, truncatedNormal, gumbel, exponential). */
export interface ExactOptions extends FloatOptions {
  /**
   * Reproduce JAX's float32 (and float16 normal) samples bit for bit on the CPU, through XLA's
   * own log, log1p, erf and fused multiply-adds. Default false: ~1.6-1.9x slower jitted on the CPU; without
   * it most samples are JAX's bit for bit and the rest differ in the last bits.
   */
  exact?: boolean;
}

function exactArg(op: string, exact: unknown): boolean {
  if (exact === undefined) return false;
  if (typeof exact !== "boolean") throw new DTypeError(`${op}: exact must be true or false, got ${describe(exact)}`);
  return exact;
}

/**
 * Standard normal samples (JAX's `random.normal`): `sqrt(2) * erfinv(u)` for
 * u uniform in (-1, 1). `exact: true` gives JAX's float32 samples bit for bit (slower: see `ExactOptions`).
 * @example
 * const w = random.normal(key, [784, 10]).mul(0.01);
 * const asJax = random.normal(key, [3], { exact: true }); // JAX's bits
 */
export function normal(key: Key, shape: ShapeLike = [], options: ExactOptions | DType = {}): Value {
  const { dtype = "float32", exact } = opts("random.normal", options);
  const d = floatDType("random.normal", dtype);
  const ex = exactArg("random.normal", exact);
  const u = uniform(key, shape, { dtype: d, minval: aboveMinusOne(d), maxval: 1 });
  return mul(scalar(Math.SQRT2, d), erfInvXla(u, ex));
}

export interface TruncatedNormalOptions extends ExactOptions {
  /** The result shape (default: the broadcast shape of lower and upper). */
  shape?: ShapeLike;
}

/**
 * Standard normal samples truncated to (lower, upper) (JAX's
 * `random.truncated_normal`), by inverting the CDF on the uniform range
 * between erf(lower/√2) and erf(upper/√2).
 */
export function truncatedNormal(key: Key, lower: ArrayLike, upper: ArrayLike, options: TruncatedNormalOptions | DType = {}): Value {
  const { shape, dtype = "float32", exact } = opts("random.truncatedNormal", options);
  const op = "random.truncatedNormal";
  const d = floatDType(op, dtype);
  const ex = exactArg(op, exact);
  const lowerV = asArg(op, "lower", lower);
  const upperV = asArg(op, "upper", upper);
  const s = shape === undefined ? broadcastShapes(op, lowerV.shape, upperV.shape) : shapeArg(op, shape);
  const lo = param(op, "lower", lower, d, s);
  const hi = param(op, "upper", upper, d, s);
  const sqrt2 = scalar(Math.SQRT2, d);
  // exact float32: XLA's own erf, so that the range, and with it every sample, is JAX's bit for bit
  const erfOf = ex && d === "float32" ? xlaErf32 : erf;
  const a = erfOf(div(lo, sqrt2));
  const b = erfOf(div(hi, sqrt2));
  const out = mul(sqrt2, erfInvXla(uniform(key, s, { dtype: d, minval: a, maxval: b }), ex));
  // rounding (or u = a exactly) must not leave the open interval
  const inside = (bound: Value, toward: number) => fit(op, "bound", nextafter(stopGradient(bound), scalar(toward, d)), s);
  return min(max(out, inside(lo, Infinity)), inside(hi, -Infinity));
}

/** Standard Gumbel samples (JAX's `random.gumbel`): `-log(-log(u))`, u uniform in [tiny, 1); `exact`: see `ExactOptions`. */
export function gumbel(key: Key, shape: ShapeLike = [], options: ExactOptions | DType = {}): Value {
  const { dtype = "float32", exact } = opts("random.gumbel", options);
  const d = floatDType("random.gumbel", dtype);
  const ex = exactArg("random.gumbel", exact);
  const u = uniform(key, shape, { dtype: d, minval: tiny(d), maxval: 1 });
  // exact float32: XLA's own log, so that the samples are JAX's bit for bit
  const ln = ex && d === "float32" ? xlaLog32 : log;
  return neg(ln(neg(ln(u))));
}

/** Exponential samples with rate 1 (JAX's `random.exponential`): `-log1p(-u)`; `exact`: see `ExactOptions`. */
export function exponential(key: Key, shape: ShapeLike = [], options: ExactOptions | DType = {}): Value {
  const { dtype = "float32", exact } = opts("random.exponential", options);
  const d = floatDType("random.exponential", dtype);
  const ex = exactArg("random.exponential", exact);
  // exact float32: XLA's own log1p, so that the samples are JAX's bit for bit
  return neg((ex && d === "float32" ? xlaLog1p32 : log1p)(neg(uniform(key, shape, { dtype: d }))));
}

// ---- discrete -----------------------------------------------------------------------------

/**
 * Booleans that are true with probability p (JAX's `random.bernoulli`):
 * `uniform(key, shape) < p`. The shape defaults to p's.
 */
export function bernoulli(key: Key, p: ArrayLike = 0.5, shape?: ShapeLike): Value {
  const op = "random.bernoulli";
  const pv = typeof p === "number" ? scalar(p, "float32") : asArg(op, "p", p);
  if (!isFloat(pv.dtype)) throw new DTypeError(`${op}: the probability p must be a float, got ${pv.dtype}; convert it with .astype("float32")`);
  const s = shape === undefined ? [...pv.shape] : shapeArg(op, shape);
  const u = uniform(key, s, { dtype: pv.dtype });
  return lt(u, fit(op, "p", pv, s));
}

export interface IntOptions {
  /** int32 (default), uint32, or an 8- or 16-bit integer dtype. */
  dtype?: DType;
}

/** [min, max] of an integer dtype (dtype.ts's INT_INFO). */
const intRange = (d: DType): [number, number] => {
  const info = intInfo(d)!;
  return [info.min, info.max];
};

/** An integer bound as `dtype`, clipped to its range, and whether it lay above the range (NumPy's `_convert_and_clip_integer`). */
function intBound(op: string, what: string, x: ArrayLike, dtype: DType, shape: readonly number[]): [Value, Value | boolean] {
  const [lo, hi] = intRange(dtype);
  if (typeof x === "number") {
    if (!Number.isFinite(x)) throw new DTypeError(`${op}: ${what} must be a finite number, got ${describe(x)}`);
    const n = Math.trunc(x);
    return [scalar(Math.min(Math.max(n, lo), hi), dtype), n > hi];
  }
  let v = asArg(op, what, x);
  if (v.dtype === "bool" || isFloat(v.dtype)) v = convert(v, "int32");
  let above: Value | boolean = false;
  if (v.dtype !== dtype) {
    const [vlo, vhi] = intRange(v.dtype);
    if (vhi > hi) above = gt(v, scalar(hi, v.dtype));
    v = convert(clamp(scalar(Math.max(lo, vlo), v.dtype), v, scalar(Math.min(hi, vhi), v.dtype)), dtype);
  }
  return [fit(op, what, v, shape), typeof above === "boolean" ? above : fit(op, what, above, shape)];
}

/**
 * Uniform integers in [minval, maxval) (JAX's `random.randint`): two words of
 * bits per sample, a 64-bit number reduced modulo the span, so the bias of a
 * span that is no power of two is below 2^-32.
 * @example
 * random.randint(key, [5], 0, 10);
 */
export function randint(key: Key, shape: ShapeLike, minval: ArrayLike, maxval: ArrayLike, options: IntOptions | DType = {}): Value {
  const { dtype = "int32" } = opts("random.randint", options);
  const op = "random.randint";
  const d = checkDType(dtype, op);
  if (!isInt(d)) throw new DTypeError(`${op}: dtype must be an integer dtype (int8, uint8, int16, uint16, int32 or uint32), got ${d}`);
  const info = intInfo(d)!;
  if (info.bits < 32) {
    // as JAX: an 8- or 16-bit dtype is sampled as int32 (less bias) between the bounds clipped to
    // [min, max + 1] of the dtype, then converted
    const bound = (v: ArrayLike, hi: number): ArrayLike => {
      if (typeof v === "number") return Number.isFinite(v) ? Math.min(Math.max(Math.trunc(v), info.min), hi) : v;
      const a = convert(asArg(op, "a bound", v), "int32");
      return clamp(scalar(info.min, "int32"), a, scalar(hi, "int32"));
    };
    return convert(randint(key, shape, bound(minval, info.max), bound(maxval, info.max + 1), "int32"), d);
  }
  const s = shapeArg(op, shape);
  const [lo] = intBound(op, "minval", minval, d, s);
  const [hi, hiAbove] = intBound(op, "maxval", maxval, d, s);
  const [k1, k2] = split(checkKey(op, key));
  const higherBits = bits(k1, s);
  const lowerBits = bits(k2, s);
  const one = scalar(1, "uint32");
  let span = convert(sub(hi, lo), "uint32");
  // an empty range always gives minval
  span = select(le(hi, lo), one, span);
  // maxval beyond the dtype: the span is one larger (wrapping to 0, i.e. all values, at the top)
  if (hiAbove !== false) {
    const grow = hiAbove === true ? gt(hi, lo) : and(hiAbove, gt(hi, lo));
    span = select(grow, add(span, one), span);
  }
  // (higher * 2^32 + lower) mod span, without 64-bit words: 2^32 mod span = (2^16 mod span)^2 mod span
  let multiplier = rem(scalar(65536, "uint32"), span);
  multiplier = rem(mul(multiplier, multiplier), span);
  let offset = add(mul(rem(higherBits, span), multiplier), rem(lowerBits, span));
  offset = rem(offset, span);
  return add(lo, convert(offset, d));
}

/** `x` shuffled along `axis` by rounds of stable sorts on fresh random words (JAX's `_shuffle`). */
function shuffle(key: Key, x: Value, axis: number): Value {
  // enough rounds that all sort keys are distinct with high probability (tjablin's criterion, as JAX)
  const rounds = Math.ceil((3 * Math.log(Math.max(1, x.size))) / Math.log(4294967295));
  let k = key;
  for (let i = 0; i < rounds; i++) {
    const [next, subkey] = split(k);
    k = next;
    x = sort([bits(subkey, x.shape), x], { dimension: axis, numKeys: 1 })[1];
  }
  return x;
}

export interface PermutationOptions {
  /** The axis to permute (default 0). */
  axis?: number;
  /** Shuffle each slice along `axis` independently (default false: one permutation of whole slices). */
  independent?: boolean;
}

/**
 * A random permutation of `0..n-1`, or of an array's slices along `axis`
 * (JAX's `random.permutation`).
 * @example
 * random.permutation(key, 10);      // int32 [10]
 * random.permutation(key, x);       // rows of x, shuffled
 */
export function permutation(key: Key, x: number | Value, options: PermutationOptions = {}): Value {
  const { axis = 0, independent = false } = optionsArg("random.permutation", options);
  const op = "random.permutation";
  checkKey(op, key);
  if (typeof x === "number") {
    if (!Number.isInteger(x) || x < 0) throw new ShapeError(`${op}: n must be a non-negative integer, got ${describe(x)}`);
    return shuffle(key, iota("int32", x), 0);
  }
  const v = asArg(op, "x", x);
  if (v.ndim === 0) throw new ShapeError(`${op}: x must be a number n or an array of at least one axis, got a 0-d array; pass n as a JS number`);
  const a = normalizeAxis(op, axis, v.ndim);
  if (independent || v.ndim === 1) return shuffle(key, v, a);
  return gather(v, shuffle(key, iota("int32", v.shape[a]), 0), { axis: a });
}

export interface CategoricalOptions {
  /** The axis of the logits that holds the categories (default -1). */
  axis?: number;
  /** The result shape; its trailing axes must broadcast with the logits' batch shape (default: that batch shape). */
  shape?: ShapeLike;
  /**
   * Sample with replacement (default true). Without replacement (JAX's
   * Gumbel top-k), the leading axes of `shape` (before the batch shape) hold
   * at most as many samples as there are categories.
   */
  replace?: boolean;
}

/**
 * Samples of categories with probabilities softmax(logits) (JAX's
 * `random.categorical`), by the Gumbel-max trick: argmax(logits + gumbel).
 * @example
 * random.categorical(key, logits);              // int32, logits.shape without the last axis
 * random.categorical(key, logits1d, { shape: [100] });
 */
export function categorical(key: Key, logits: Value, options: CategoricalOptions = {}): Value {
  const { axis = -1, shape, replace = true } = optionsArg("random.categorical", options);
  const op = "random.categorical";
  const lg = asArg(op, "logits", logits);
  if (!isFloat(lg.dtype)) throw new DTypeError(`${op}: logits must be floats, got ${lg.dtype}`);
  if (lg.ndim === 0) throw new ShapeError(`${op}: logits need at least one axis (the categories), got a 0-d array`);
  const a = normalizeAxis(op, axis, lg.ndim);
  const batchShape = lg.shape.filter((_, i) => i !== a);
  const s = shape === undefined ? batchShape : shapeArg(op, shape);
  if (s.length < batchShape.length || !shapeEq(broadcastShapes(op, s, batchShape), s)) {
    throw new ShapeError(`${op}: shape ${fmtShape(s)} must broadcast with the logits' batch shape ${fmtShape(batchShape)} (logits ${fmtShape(lg.shape)} without axis ${a})`);
  }
  const prefix = s.slice(0, s.length - batchShape.length);
  if (typeof replace !== "boolean") throw new DTypeError(`${op}: replace must be a boolean, got ${typeof replace}`);
  if (!replace) return categoricalWithoutReplacement(key, lg, a, s, prefix, batchShape);
  const logitsShape = [...s.slice(s.length - batchShape.length)];
  logitsShape.splice(a, 0, lg.shape[a]);
  const noiseShape = [...prefix, ...logitsShape];
  const noise = gumbel(key, noiseShape, { dtype: lg.dtype });
  return argmax(add(noise, fit(op, "logits", lg, noiseShape)), prefix.length + a);
}

/**
 * JAX's sampling without replacement: one Gumbel draw per logit, then the
 * top k = prod(prefix) categories of each batch row, in decreasing order
 * (ties to the lower index, as lax.top_k), laid out as `shape`.
 */
function categoricalWithoutReplacement(key: Key, lg: Value, a: number, s: number[], prefix: number[], batchShape: number[]): Value {
  const op = "random.categorical";
  const n = lg.shape[a];
  const k = sizeOf(prefix);
  if (k > n) {
    throw new ShapeError(
      `${op}: cannot draw ${k} samples without replacement (shape ${fmtShape(s)}) from ${n} categories (logits ${fmtShape(lg.shape)}, axis ${a}); ` +
        `draw at most ${n}, or pass replace: true`,
    );
  }
  if (!shapeEq(s.slice(prefix.length), batchShape)) {
    throw new ShapeError(`${op}: without replacement, shape ${fmtShape(s)} must end with the logits' batch shape ${fmtShape(batchShape)} exactly (no broadcasting)`);
  }
  const noisy = add(lg, gumbel(key, lg.shape, { dtype: lg.dtype }));
  const last = lg.ndim - 1;
  const moved = transpose(noisy, [...lg.shape.map((_, i) => i).filter((i) => i !== a), a]); // [...batch, n]
  // a stable ascending sort of -x is a descending one with ties in index order
  const order = argsort(neg(moved), last);
  const top = slice(order, order.shape.map(() => 0), [...batchShape, k]); // [...batch, k]
  const kFirst = transpose(top, [last, ...batchShape.map((_, i) => i)]); // [k, ...batch]
  return reshape(kFirst, s);
}

export interface ChoiceOptions {
  /** The output shape (default [], one sample). */
  shape?: ShapeLike;
  /** Sample with replacement (default true). */
  replace?: boolean;
  /** Probabilities of the entries (1-D, one per entry; default uniform). */
  p?: Value;
  /** The axis of `a` to choose along (default 0). */
  axis?: number;
}

/**
 * Random entries of `0..a-1` (a number) or slices of the array `a` along
 * `axis` (JAX's `random.choice`), with or without replacement, optionally
 * weighted by `p`.
 */
export function choice(key: Key, a: number | Value, options: ChoiceOptions = {}): Value {
  const { shape = [], replace = true, p, axis = 0 } = optionsArg("random.choice", options);
  const op = "random.choice";
  checkKey(op, key);
  const s = shapeArg(op, shape);
  let n: number;
  let arr: Value | null = null;
  let ax = 0;
  if (typeof a === "number") {
    if (!Number.isInteger(a) || a < 0) throw new ShapeError(`${op}: a must be a non-negative integer or an array, got ${describe(a)}`);
    n = a;
  } else {
    arr = asArg(op, "a", a);
    if (arr.ndim === 0) throw new ShapeError(`${op}: a must be a number n or an array of at least one axis, got a 0-d array; pass n as a JS number`);
    ax = normalizeAxis(op, axis, arr.ndim);
    n = arr.shape[ax];
  }
  const draws = sizeOf(s);
  const outShape = arr === null ? s : [...arr.shape.slice(0, ax), ...s, ...arr.shape.slice(ax + 1)];
  if (draws === 0) {
    const zero = scalar(0, arr?.dtype ?? "int32");
    return outShape.length === 0 ? zero : broadcastInDim(zero, outShape, []);
  }
  if (n <= 0) throw new ShapeError(`${op}: cannot choose from an empty population (a has no entries along axis ${ax})`);
  if (!replace && draws > n) throw new ShapeError(`${op}: cannot take ${draws} samples from a population of ${n} without replacement`);
  let ind: Value;
  if (p === undefined) {
    if (replace) ind = randint(key, s, 0, n);
    else {
      const perm = permutation(key, arr === null ? n : arr, { axis: ax });
      const st = perm.shape.map(() => 0);
      const lim = perm.shape.map((d, i) => (i === (arr === null ? 0 : ax) ? draws : d));
      return reshape(slice(perm, st, lim), outShape);
    }
  } else {
    const pv = asArg(op, "p", p);
    const pf = isFloat(pv.dtype) ? pv : convert(pv, "float32");
    if (pf.ndim !== 1 || pf.shape[0] !== n) {
      throw new ShapeError(`${op}: p must be a 1-D array with one probability per entry (${n}), got shape ${fmtShape(pf.shape)}`);
    }
    if (replace) {
      // inverse CDF: the first index whose cumulative probability reaches r
      const cdf = cumsum(pf, 0);
      const total = reshape(slice(cdf, [n - 1], [n]), []);
      const r = mul(total, sub(scalar(1, pf.dtype), uniform(key, s, { dtype: pf.dtype })));
      const wide = [...s, n];
      const below = lt(broadcastInDim(cdf, wide, [s.length]), broadcastInDim(r, wide, s.map((_, i) => i)));
      ind = reduceSum(convert(below, "int32"), [s.length]);
    } else {
      // Gumbel top-k: the k smallest of -gumbel - log p
      const g = sub(neg(gumbel(key, [n], { dtype: pf.dtype })), log(pf));
      ind = slice(argsort(g), [0], [draws]);
      ind = reshape(ind, s);
    }
  }
  return arr === null ? ind : gather(arr, ind, { axis: ax });
}

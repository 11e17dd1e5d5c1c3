/**
 * Activation functions and their friends (JAX's `jax.nn`), written on np and
 * lax so that each one works on arrays and tracers alike: under grad, vmap
 * and jit. The numerically delicate ones (softplus, softmax, logSoftmax,
 * logsumexp, logSigmoid) never exponentiate a large positive number, so
 * inputs of ±1e4 give finite values and finite gradients.
 */
import { optionsArg, describe, intsArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { checkDType, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { stopGradient } from "../lax/stop-gradient.js";
import * as np from "../numpy/index.js";
import { normalizeAxis } from "../shape.js";
import type { Value } from "../trace/core.js";

/** An ArrayLike as a value: arrays and tracers stay as they are, JS numbers become float32 scalars. */
export function toValue(op: string, x: ArrayLike): Value {
  if (x instanceof ArrayMethods) return x as Value;
  if (typeof x === "number") return np.array(x, { dtype: "float32" });
  if (typeof x === "boolean") return np.array(x);
  throw new DTypeError(`${op}: expected an array or a number, got ${x === null ? "null" : typeof x}`);
}

/** An ArrayLike as a floating-point value: floats stay, everything else becomes float32 (as JAX does for its float activations). */
export function asFloat(op: string, x: ArrayLike): Value {
  const v = toValue(op, x);
  return isFloat(v.dtype) ? v : np.astype(v, "float32");
}

/** Validates an axis argument (a user value) against a rank; returns it non-negative. */
function axisArg(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis)) throw new ShapeError(`${op}: axis must be an integer, got ${describe(axis)}`);
  return normalizeAxis(op, axis, ndim);
}

/** The axes argument of a reduction: null/undefined for all, a number, or a list. */
export type Axes = number | readonly number[] | null | undefined;

function axesArg(op: string, axis: Axes, ndim: number): number[] {
  if (axis === null || axis === undefined) return Array.from({ length: ndim }, (_, i) => i);
  const list = intsArg(op, "axis", axis, true);
  const out = list.map((a) => axisArg(op, a, ndim));
  if (new Set(out).size !== out.length) throw new ShapeError(`${op}: repeated axis in [${out.join(", ")}]`);
  return out;
}

// ---- elementwise ---------------------------------------------------------------------------

/**
 * Rectified linear unit, `max(x, 0)`. Its derivative at 0 is 0, as JAX's.
 * @example
 * nn.relu(np.array([-1, 0, 2])); // [0, 0, 2]
 */
export function relu(x: ArrayLike): Value {
  const v = toValue("nn.relu", x);
  // a select, not max(x, 0): max splits the gradient at a tie, JAX's relu gives 0 there; and
  // as JAX's custom jvp (g where x > 0), a NaN passes through with a zero gradient
  return np.where(np.lessEqual(v, 0), np.zerosLike(v), np.where(np.greater(v, 0), v, lax.stopGradient(v)));
}

/**
 * `min(max(x, 0), 6)`.
 * @example
 * nn.relu6(np.array([-1, 3, 8])); // [0, 3, 6]
 */
export function relu6(x: ArrayLike): Value {
  // as JAX (minimum(maximum(x, 0), 6.0)): the weak float bound makes an integer input a weakly
  // typed float32, as int32 + 6.0 is
  const v0 = toValue("nn.relu6", x);
  const v = isFloat(v0.dtype) ? v0 : np.astype(v0, "float32");
  // the gradient is 1 strictly inside (0, 6) and 0 elsewhere, NaN included (JAX's custom jvp)
  const inside = np.where(np.greater(v, 0), v, lax.stopGradient(v));
  const out = np.where(np.lessEqual(v, 0), np.zerosLike(v), np.where(np.greaterEqual(v, 6), np.fullLike(v, 6), inside));
  return isFloat(v0.dtype) ? out : lax.convert(out, "float32", true);
}

/**
 * The logistic sigmoid `1 / (1 + exp(-x))`.
 * @example
 * nn.sigmoid(np.array([0])); // [0.5]
 */
export function sigmoid(x: ArrayLike): Value {
  return lax.logistic(asFloat("nn.sigmoid", x));
}

/**
 * The hyperbolic tangent (the same as `np.tanh`, here for completeness).
 * @example
 * nn.tanh(np.array([0, 1])); // [0, 0.7615942]
 */
export function tanh(x: ArrayLike): Value {
  return np.tanh(x);
}

/**
 * `log(1 + exp(x))`, as `logaddexp(x, 0)`: `x + log1p(exp(-x))` for x > 0 and
 * `log1p(exp(x))` otherwise, so that large inputs do not overflow and the
 * gradient is `sigmoid(x)` everywhere (0.5 at 0).
 * @example
 * nn.softplus(np.array([0, 1e4])); // [0.6931472, 10000]
 */
export function softplus(x: ArrayLike): Value {
  const v = asFloat("nn.softplus", x);
  const pos = np.greater(v, 0);
  const zero = np.zerosLike(v);
  // each branch sees only inputs where it is finite, so the unused one cannot put a NaN in the gradient;
  // (np.logaddexp(x, 0) itself gives gradient 0 at x = 0: its max splits the tie while |x - 0| does not)
  const xp = np.where(pos, v, zero);
  const xn = np.where(pos, zero, v);
  return np.where(pos, np.add(xp, np.log1p(np.exp(np.negative(xp)))), np.log1p(np.exp(xn)));
}

/**
 * `log(sigmoid(x))` = `-softplus(-x)`, stable for inputs of any size.
 * @example
 * nn.logSigmoid(np.array([0])); // [-0.6931472]
 */
export function logSigmoid(x: ArrayLike): Value {
  return np.negative(softplus(np.negative(asFloat("nn.logSigmoid", x))));
}

/**
 * `x / (1 + |x|)`.
 * @example
 * nn.softSign(np.array([1, -3])); // [0.5, -0.75]
 */
export function softSign(x: ArrayLike): Value {
  const v = asFloat("nn.softSign", x);
  return np.divide(v, np.add(np.abs(v), 1));
}

export interface GeluOptions {
  /** Use the tanh approximation (default true, as JAX); false: the exact `x Φ(x)` via erf. */
  approximate?: boolean;
}

/**
 * Gaussian error linear unit. By default JAX's tanh approximation
 * `x/2 (1 + tanh(√(2/π) (x + 0.044715 x³)))`; with `{ approximate: false }`
 * the exact `x/2 (1 + erf(x/√2))`.
 * @example
 * nn.gelu(np.array([1]));                          // [0.841192]
 * nn.gelu(np.array([1]), { approximate: false });  // [0.8413447]
 */
export function gelu(x: ArrayLike, options: GeluOptions = {}): Value {
  const { approximate = true } = optionsArg("nn.gelu", options);
  const v = asFloat("nn.gelu", x);
  if (approximate) {
    const inner = np.multiply(np.add(v, np.multiply(0.044715, lax.integerPow(v, 3))), Math.sqrt(2 / Math.PI));
    return np.multiply(v, np.multiply(0.5, np.add(1, np.tanh(inner))));
  }
  return np.multiply(np.multiply(v, 0.5), np.add(1, lax.erf(np.multiply(v, Math.SQRT1_2))));
}

/**
 * Sigmoid-weighted linear unit `x * sigmoid(x)` (also called swish).
 * @example
 * nn.silu(np.array([0, 1])); // [0, 0.7310586]
 */
export function silu(x: ArrayLike): Value {
  const v = asFloat("nn.silu", x);
  return np.multiply(v, lax.logistic(v));
}

/**
 * Another name for `silu`.
 * @example
 * nn.swish(np.array([1])); // [0.7310586]
 */
export const swish = silu;

/**
 * Exponential linear unit: `x` for x > 0, `alpha (exp(x) - 1)` otherwise.
 * @example
 * nn.elu(np.array([-1, 2])); // [-0.6321206, 2]
 */
export function elu(x: ArrayLike, alpha: ArrayLike = 1): Value {
  const v = asFloat("nn.elu", x);
  const pos = np.greater(v, 0);
  // expm1 of the clamped value: exp of a large positive x would make an inf (and a NaN gradient) in the unused branch
  const safe = np.where(pos, np.zerosLike(v), v);
  return np.where(pos, v, np.multiply(alpha, np.expm1(safe)));
}

/**
 * Continuously differentiable ELU: `x` for x > 0, `alpha (exp(x/alpha) - 1)` otherwise.
 * @example
 * nn.celu(np.array([-1, 2]), 2); // [-0.7869387, 2]
 */
export function celu(x: ArrayLike, alpha = 1): Value {
  const v = asFloat("nn.celu", x);
  // JAX's formula: max(x, 0) + α·expm1(min(x, 0)/α), so celu(-0) is +0 as JAX's is
  return np.add(np.maximum(v, 0), np.multiply(alpha, np.expm1(np.divide(np.minimum(v, 0), alpha))));
}

/**
 * Scaled ELU (self-normalizing networks): `1.0507 * elu(x, 1.67326)`.
 * @example
 * nn.selu(np.array([1])); // [1.050701]
 */
export function selu(x: ArrayLike): Value {
  const alpha = 1.6732632423543772848170429916717;
  const scale = 1.0507009873554804934193349852946;
  return np.multiply(scale, elu(x, alpha));
}

/**
 * Leaky ReLU: `x` for x ≥ 0, `negativeSlope * x` otherwise.
 * @example
 * nn.leakyRelu(np.array([-2, 3])); // [-0.02, 3]
 * nn.leakyRelu(np.array([-2, 3]), 0.1); // [-0.2, 3]
 */
export function leakyRelu(x: ArrayLike, negativeSlope: ArrayLike = 0.01): Value {
  const v = asFloat("nn.leakyRelu", x);
  return np.where(np.greaterEqual(v, 0), v, np.multiply(negativeSlope, v));
}

/**
 * `clip(x, -1, 1)`.
 * @example
 * nn.hardTanh(np.array([-3, 0.5, 3])); // [-1, 0.5, 1]
 */
export function hardTanh(x: ArrayLike): Value {
  // as JAX (where(x > 1, 1, where(x < -1, -1, x))): integer bounds, so an integer input stays integer
  const v = toValue("nn.hardTanh", x);
  return np.where(np.greater(v, 1), np.onesLike(v), np.where(np.less(v, -1), np.fullLike(v, -1), v));
}

/**
 * `relu6(x + 3) / 6`.
 * @example
 * nn.hardSigmoid(np.array([0])); // [0.5]
 */
export function hardSigmoid(x: ArrayLike): Value {
  return np.divide(relu6(np.add(asFloat("nn.hardSigmoid", x), 3)), 6);
}

// ---- normalizing over an axis ---------------------------------------------------------------

/** The max over `axes` (keepdims), with non-finite maxima replaced by 0 and no gradient: the stabilizing shift. */
function stableShift(v: Value, axes: number[]): Value {
  const m = maxOrNegInf(v, axes);
  return stopGradient(np.where(np.isfinite(m), m, np.zerosLike(m)));
}

/** The max over `axes` (keepdims) with JAX's `initial=-inf`: an empty axis gives -inf, not an error. */
function maxOrNegInf(v: Value, axes: number[]): Value {
  if (axes.some((a) => v.shape[a] === 0)) {
    return np.full(v.shape.map((d, i) => (axes.includes(i) ? 1 : d)), -Infinity, { dtype: v.dtype });
  }
  return np.max(v, axes, { keepdims: true });
}

export interface LogsumexpOptions {
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
}

/**
 * `log(sum(exp(x), axis))`, computed stably: the maximum is subtracted
 * first (with its gradient stopped, so the gradient is exactly softmax).
 * Inputs of ±1e4 give finite values and gradients.
 * @example
 * nn.logsumexp(np.array([1e4, 1e4])); // 10000.693
 * nn.logsumexp(np.array([[0, 0], [1, 1]]), 1, { keepdims: true }); // [[0.6931472], [1.6931472]]
 */
export function logsumexp(x: ArrayLike, axis?: Axes, options: LogsumexpOptions = {}): Value {
  const { keepdims = false } = optionsArg("nn.logsumexp", options);
  const op = "nn.logsumexp";
  const v = asFloat(op, x);
  const axes = axesArg(op, axis, v.ndim);
  const shift = stableShift(v, axes);
  const out = np.add(np.log(np.sum(np.exp(np.subtract(v, shift)), axes, { keepdims: true })), shift);
  return keepdims ? out : np.squeeze(out, axes);
}

/**
 * `exp(x) / sum(exp(x), axis)`, with the maximum subtracted first so that
 * large inputs do not overflow.
 * @example
 * nn.softmax(np.array([1, 1])); // [0.5, 0.5]
 * nn.softmax(np.array([[0, 1e4]]), -1); // [[0, 1]]
 */
export function softmax(x: ArrayLike, axis: Axes = -1): Value {
  const op = "nn.softmax";
  const v = asFloat(op, x);
  const axes = axesArg(op, axis, v.ndim);
  // as JAX, the shift is the max itself (not made finite as in logsumexp): an infinite input
  // gives NaN (inf - inf), a row of -inf NaN
  const unnormalized = np.exp(np.subtract(v, stopGradient(maxOrNegInf(v, axes))));
  return np.divide(unnormalized, np.sum(unnormalized, axes, { keepdims: true }));
}

/**
 * `log(softmax(x, axis))` = `x - logsumexp(x, axis)`, computed stably.
 * @example
 * nn.logSoftmax(np.array([0, 0])); // [-0.6931472, -0.6931472]
 * nn.logSoftmax(np.array([-1e4, 1e4])); // [-20000, 0]
 */
export function logSoftmax(x: ArrayLike, axis: Axes = -1): Value {
  const op = "nn.logSoftmax";
  const v = asFloat(op, x);
  const axes = axesArg(op, axis, v.ndim);
  // the raw max, as JAX: +inf anywhere gives NaN throughout
  const shifted = np.subtract(v, stopGradient(maxOrNegInf(v, axes)));
  return np.subtract(shifted, np.log(np.sum(np.exp(shifted), axes, { keepdims: true })));
}

export interface StandardizeOptions {
  /** Added to the variance before the square root (default 1e-5, as JAX). */
  eps?: number;
  /** A precomputed mean (broadcasting against x); default: the mean over `axis`. */
  mean?: ArrayLike;
  /** A precomputed variance; default: the variance over `axis`. */
  variance?: ArrayLike;
  /** Which elements the mean and variance are taken over (bool, broadcasting against x); default all. */
  where?: ArrayLike;
  /**
   * How the variance is computed: "fast" (default, as JAX) `mean(x²) - mean²`
   * clipped at 0, or "stable", the two-pass `mean((x - mean)²)`.
   */
  algorithm?: "fast" | "stable";
}

/**
 * `(x - mean) / sqrt(variance + eps)` over `axis` (default the last), as JAX's `nn.standardize`.
 * @example
 * nn.standardize(np.array([1, 2, 3])); // ≈ [-1.2247, 0, 1.2247]
 */
export function standardize(x: ArrayLike, axis: Axes = -1, options: StandardizeOptions = {}): Value {
  const { eps = 1e-5, mean, variance, where, algorithm = "fast" } = optionsArg("nn.standardize", options);
  const op = "nn.standardize";
  const v = asFloat(op, x);
  const axes = axesArg(op, axis, v.ndim);
  // a masked mean: Σ where·x / Σ where (JAX's jnp.mean(..., where=)); elements outside still get standardized
  const w = where === undefined ? undefined : np.broadcastTo(np.astype(toValue(op, where), v.dtype), v.shape);
  const meanOver = (t: Value) =>
    w === undefined ? np.mean(t, axes, { keepdims: true }) : np.divide(np.sum(np.multiply(t, w), axes, { keepdims: true }), np.sum(w, axes, { keepdims: true }));
  const mu = mean ?? meanOver(v);
  const centered = np.subtract(v, mu);
  if (algorithm !== "fast" && algorithm !== "stable") throw new ShapeError(`${op}: algorithm must be "fast" or "stable", got ${describe(algorithm)}`);
  // "fast" can come out slightly negative by cancellation; JAX clips it at 0 before the rsqrt
  const sigma2 = variance ?? (algorithm === "stable" ? meanOver(np.square(centered)) : np.maximum(np.subtract(meanOver(np.square(v)), np.square(mu)), 0));
  return np.multiply(centered, lax.rsqrt(np.add(sigma2, eps)));
}

export interface OneHotOptions {
  /** The dtype of the result (default float32). */
  dtype?: DType;
  /** Where the new axis of size numClasses goes (default -1: last). */
  axis?: number;
}

/**
 * One-hot encoding: `x[..., None] == arange(numClasses)` as `dtype`. Indices
 * outside [0, numClasses) give rows of zeros, as in JAX.
 * @example
 * nn.oneHot(np.array([0, 2], { dtype: "int32" }), 3); // [[1, 0, 0], [0, 0, 1]]
 */
export function oneHot(x: ArrayLike, numClasses: number, options: OneHotOptions | DType = {}): Value {
  // a dtype string alone is taken as { dtype } (JAX's positional dtype), not ignored
  const op = "nn.oneHot";
  const { dtype = "float32", axis = -1 } = typeof options === "string" ? { dtype: options } : optionsArg(op, options);
  if (!Number.isInteger(numClasses) || numClasses < 0) {
    throw new ShapeError(`${op}: numClasses must be a non-negative integer, got ${describe(numClasses)}`);
  }
  const d = checkDType(dtype, op);
  const v = toValue(op, x);
  if (v.dtype === "bool") throw new DTypeError(`${op}: indices must be integers, got bool; convert them with .astype("int32")`);
  const out = axisArg(op, axis, v.ndim + 1);
  const classes = np.arange(numClasses, { dtype: isFloat(v.dtype) ? v.dtype : "int32" });
  const hot = np.equal(np.expandDims(v, v.ndim), classes);
  const cast = np.astype(hot, d);
  return out === v.ndim ? cast : np.moveaxis(cast, v.ndim, out);
}

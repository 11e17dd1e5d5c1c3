/**
 * More of `jax.nn`'s activations: glu, mish, hardSwish/hardSilu,
 * squareplus, log1mexp, logmeanexp, sparsePlus, sparseSigmoid, identity.
 * Each is a composition of np/lax operations, so grad, vmap and jit need no
 * new rules; the formulas are JAX's, branch for branch, so that values and
 * gradients agree at the branch points too.
 */
import { optionsArg, describe } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import * as np from "../numpy/index.js";
import { normalizeAxis } from "../shape.js";
import type { Value } from "../trace/core.js";
import { customJvp } from "../transforms/custom.js";
import { asFloat, hardSigmoid, logsumexp, sigmoid, softplus, toValue, type Axes } from "./activations.js";

/**
 * The identity activation: returns `x` unchanged (JAX's `nn.identity`).
 * @example
 * nn.identity(np.array([-1, 2])); // [-1, 2]
 */
export function identity(x: ArrayLike): Value {
  return toValue("nn.identity", x);
}

/**
 * Gated linear unit: splits `x` in two halves `a`, `b` along `axis` (default
 * the last, whose size must be even) and returns `a * sigmoid(b)`.
 * @example
 * nn.glu(np.array([1, 2, 0, 0])); // [0.5, 1]
 */
export function glu(x: ArrayLike, axis = -1): Value {
  const op = "nn.glu";
  const v = asFloat(op, x);
  if (!Number.isInteger(axis)) throw new ShapeError(`${op}: axis must be an integer, got ${describe(axis)}`);
  const ax = normalizeAxis(op, axis, v.ndim);
  if (v.shape[ax] % 2 !== 0) {
    throw new ShapeError(`${op}: the size of axis ${axis} must be even to split it in two halves, got shape [${v.shape.join(", ")}]; pad or slice x first`);
  }
  const [a, b] = np.split(v, 2, ax);
  return np.multiply(a, sigmoid(b));
}

/**
 * Mish: `x * tanh(softplus(x))`.
 * @example
 * nn.mish(np.array([0, 1])); // [0, 0.8650985]
 */
export function mish(x: ArrayLike): Value {
  const v = asFloat("nn.mish", x);
  return np.multiply(v, np.tanh(softplus(v)));
}

/**
 * Hard SiLU (hard swish): `x * relu6(x + 3) / 6`, a piecewise-polynomial SiLU.
 * @example
 * nn.hardSilu(np.array([-4, 0, 1, 4])); // [0, 0, 0.6666667, 4]
 */
export function hardSilu(x: ArrayLike): Value {
  const v = asFloat("nn.hardSilu", x);
  return np.multiply(v, hardSigmoid(v));
}

/**
 * Hard swish: the same function as `hardSilu` (JAX's alias).
 * @example
 * nn.hardSwish(np.array([1])); // [0.6666667]
 */
export const hardSwish = hardSilu;

/**
 * Squareplus: `(x + sqrt(x² + b)) / 2` (default b = 4), a smooth softplus
 * made of algebraic operations only.
 * @example
 * nn.squareplus(np.array([0])); // [1]
 * nn.squareplus(np.array([0]), 1); // [0.5]
 */
export function squareplus(x: ArrayLike, b: ArrayLike = 4): Value {
  const v = asFloat("nn.squareplus", x);
  return np.divide(np.add(v, np.sqrt(np.add(np.square(v), b))), 2);
}

/**
 * `log(1 - exp(-x))` for x ≥ 0, accurate for small and large x: below
 * log 2 it is `log(-expm1(-x))`, above `log1p(-exp(-x))` (as JAX). Its
 * derivative is JAX's custom rule `1/expm1(x)`, finite down to tiny x
 * (differentiating the formula instead gives NaN there).
 * @example
 * nn.log1mexp(np.array([1e-6, 1, 30])); // [-13.815511, -0.4586751, -9.357623e-14]
 * grad((x) => nn.log1mexp(x))(1e-30); // 1e30, as 1/expm1(x)
 */
export function log1mexp(x: ArrayLike): Value {
  return log1mexpWithJvp(asFloat("nn.log1mexp", x));
}
function log1mexpValue(v: Value): Value {
  const small = np.less(v, Math.LN2);
  return np.where(small, np.log(np.negative(np.expm1(np.negative(v)))), np.log1p(np.negative(np.exp(np.negative(v)))));
}
const log1mexpWithJvp = customJvp(log1mexpValue, ([v]: [Value], [t]: [Value]) => [log1mexpValue(v), np.divide(t, np.expm1(v))]);

export interface LogmeanexpOptions {
  /** Keep the reduced axes with size 1 (default false). */
  keepdims?: boolean;
  /** Which elements take part (a bool array broadcasting against x); default all. */
  where?: ArrayLike;
}

/**
 * `log(mean(exp(x), axis))`, computed stably as `logsumexp(x) - log(n)`;
 * with `where`, only the selected elements count (n is their number).
 * @example
 * nn.logmeanexp(np.array([0, 0, 0])); // 0
 * nn.logmeanexp(np.array([[1, 1], [2, 2]]), 1); // [1, 2]
 */
export function logmeanexp(x: ArrayLike, axis?: Axes, options: LogmeanexpOptions = {}): Value {
  const op = "nn.logmeanexp";
  const { keepdims = false, where } = optionsArg(op, options);
  let v = asFloat(op, x);
  let count: Value;
  if (where === undefined) {
    count = np.sum(np.onesLike(v), axis ?? null, { keepdims });
  } else {
    const w = np.broadcastTo(np.astype(toValue(op, where), "bool"), v.shape);
    // excluded elements become -inf: exp(-inf) = 0 adds nothing, and the where masks their gradient
    v = np.where(w, v, np.full([], -Infinity, { dtype: v.dtype }));
    count = np.sum(np.astype(w, v.dtype), axis ?? null, { keepdims });
  }
  return np.subtract(logsumexp(v, axis, { keepdims }), np.log(count));
}

/**
 * Sparse plus: 0 for x ≤ -1, x for x ≥ 1, `(x + 1)² / 4` between (smooth, convex).
 * @example
 * nn.sparsePlus(np.array([-2, 0, 2])); // [0, 0.25, 2]
 */
export function sparsePlus(x: ArrayLike): Value {
  const v = asFloat("nn.sparsePlus", x);
  const zero = np.zerosLike(v);
  return np.where(np.lessEqual(v, -1), zero, np.where(np.greaterEqual(v, 1), v, np.divide(np.square(np.add(v, 1)), 4)));
}

/**
 * Sparse sigmoid (the derivative of sparsePlus): `clip(x + 1, 0, 2) / 2`.
 * @example
 * nn.sparseSigmoid(np.array([-2, 0, 0.5, 2])); // [0, 0.5, 0.75, 1]
 */
export function sparseSigmoid(x: ArrayLike): Value {
  const v = asFloat("nn.sparseSigmoid", x);
  return np.multiply(0.5, np.clip(np.add(v, 1), 0, 2));
}

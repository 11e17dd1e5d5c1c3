/**
 * JAX's `lax.approx_max_k` / `approx_min_k`. JAX computes them exactly on
 * its CPU backend (the approximate algorithm is a TPU one), and so does
 * jaxon on every device: the k largest (smallest) values along
 * `reductionDimension` with their indices, ties in index order. The recall
 * options are accepted for JAX's signature. As in JAX, the operand must be
 * floating point (lax.topK takes any dtype).
 */
import type { ArrayLike } from "../array-methods.js";
import { isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { normalizeAxis } from "../shape.js";
import { intArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { topK } from "./breadth.js";
import { operandArg } from "./elementwise.js";
import { iota, moveAxis, slice } from "./shape.js";
import { sort } from "./sort.js";

function floatOperand(op: string, operand: ArrayLike): Value {
  const x = operandArg(op, operand);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: the operand must be floating point (as in JAX), got ${x.dtype}; use lax.topK for other dtypes`);
  return x;
}

export interface ApproxTopKOptions {
  /** The axis reduced (default -1). */
  reductionDimension?: number;
  /** Accepted for JAX's signature: jaxon's answer is exact (recall 1). */
  recallTarget?: number;
  /** Accepted for JAX's signature. */
  reductionInputSizeOverride?: number;
  /** Accepted for JAX's signature: the result always has k entries along the axis. */
  aggregateToTopk?: boolean;
}

/**
 * The `k` largest values along `reductionDimension` and their indices
 * (JAX's `lax.approx_max_k`, exact here as on JAX's CPU backend).
 * @example
 * const [v, i] = lax.approxMaxK(np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]), 2); // v: [[5, 4], [9, 6]], i: [[4, 2], [0, 2]]
 */
export function approxMaxK(operand: ArrayLike, k: number, options: ApproxTopKOptions = {}): [Value, Value] {
  const op = "lax.approxMaxK";
  const x = floatOperand(op, operand);
  const { reductionDimension = -1 } = optionsArg(op, options);
  if (x.ndim === 0) throw new ShapeError(`${op}: needs an operand of at least 1 dimension, got a scalar`);
  return topK(x, k, { axis: normalizeAxis(op, intArg(op, "reductionDimension", reductionDimension), x.ndim) });
}

/**
 * The `k` smallest values along `reductionDimension` and their indices
 * (JAX's `lax.approx_min_k`, exact here as on JAX's CPU backend; NaN sorts last).
 * @example
 * const [v, i] = lax.approxMinK(np.array([3, 1, 4, 1, 5]), 3); // v: [1, 1, 3], i: [1, 3, 0]
 */
export function approxMinK(operand: ArrayLike, k: number, options: ApproxTopKOptions = {}): [Value, Value] {
  const op = "lax.approxMinK";
  const x0 = floatOperand(op, operand);
  const { reductionDimension = -1 } = optionsArg(op, options);
  if (x0.ndim === 0) throw new ShapeError(`${op}: needs an operand of at least 1 dimension, got a scalar`);
  const ax = normalizeAxis(op, intArg(op, "reductionDimension", reductionDimension), x0.ndim);
  const kk = intArg(op, "k", k);
  const n = x0.shape[ax];
  if (kk < 0 || kk > n) throw new ShapeError(`${op}: k must be between 0 and the axis's size ${n}, got ${kk}`);
  const last = x0.ndim - 1;
  const x = moveAxis(x0, ax, last);
  // a stable ascending sort by value carries the indices along
  const [vals, idx] = sort([x, iota("int32", x.shape, last)], { dimension: last, numKeys: 1 });
  const lo = x.shape.map(() => 0);
  const hi = [...x.shape.slice(0, -1), kk];
  const pick = (v: Value) => moveAxis(slice(v, lo, hi), last, ax);
  return [pick(vals), pick(idx)];
}

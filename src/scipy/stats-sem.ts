/** `scipy.stats.sem`: the standard error of the mean, as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { describe, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { floats } from "./util.js";

export interface SemOptions {
  /** Delta degrees of freedom of the standard deviation (default 1). */
  ddof?: number;
  /** "propagate" (default: a NaN gives NaN) or "omit" (NaNs are left out of both the deviation and the count). */
  nanPolicy?: "propagate" | "omit";
  /** Keep the reduced axis with size 1 (default false). */
  keepdims?: boolean;
}

/**
 * The standard error of the mean along `axis` (default 0; null: all elements):
 * std(a, ddof) / √n, with n the axis length (or, with nanPolicy "omit", the count of non-NaN values).
 * @example
 * scipy.stats.sem(np.array([1, 2, 3, 4])); // 0.6454972
 */
export function sem(a: ArrayLike, axis: number | null = 0, options: SemOptions = {}): Value {
  const op = "scipy.stats.sem";
  const { ddof = 1, nanPolicy = "propagate", keepdims = false } = optionsArg(op, options);
  if (typeof ddof !== "number" || !Number.isInteger(ddof)) throw new ArgumentError(`${op}: ddof must be an integer, got ${describe(ddof)}`);
  const [b] = floats(op, a);
  if (axis !== null && (!Number.isInteger(axis) || axis < -b.ndim || axis >= b.ndim)) {
    throw new ShapeError(`${op}: axis ${describe(axis)} is out of range for an array of rank ${b.ndim}`);
  }
  const ax = axis ?? undefined;
  if (nanPolicy === "propagate") {
    const size = axis === null ? b.size : b.shape[axis < 0 ? axis + b.ndim : axis];
    return lax.div(np.std(b, ax, { ddof, keepdims }), Math.sqrt(size));
  }
  if (nanPolicy === "omit") {
    const count = np.sum(np.logicalNot(np.isnan(b)), ax, { keepdims });
    return lax.div(np.nanstd(b, ax, { ddof, keepdims }), np.astype(lax.sqrt(np.astype(count, b.dtype)), b.dtype));
  }
  throw new ArgumentError(`${op}: nanPolicy ${describe(nanPolicy)} is not supported; use "propagate" or "omit"`);
}

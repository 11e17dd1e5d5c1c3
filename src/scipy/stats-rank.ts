/** `scipy.stats.rankdata` and `scipy.stats.mode`: order statistics over one axis, as JAX's. */
import type { ArrayLike } from "../array-methods.js";
import { ArgumentError, ShapeError, UnsupportedError } from "../errors.js";
import * as lax from "../lax/index.js";
import * as np from "../numpy/index.js";
import { asValue } from "../numpy/util.js";
import { describe, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";


export type NanPolicy = "propagate" | "omit" | "raise";
const RANK_METHODS = ["average", "min", "max", "dense", "ordinal"] as const;
export type RankMethod = (typeof RANK_METHODS)[number];

/** Only "propagate" is computable inside a jitted function; JAX refuses the others alike. */
function checkNanPolicy(op: string, nanPolicy: unknown, allowOmit: boolean): void {
  if (nanPolicy !== "propagate" && nanPolicy !== "omit" && nanPolicy !== "raise") {
    throw new ArgumentError(`${op}: nanPolicy must be "propagate", "omit" or "raise", got ${describe(nanPolicy)}`);
  }
  if (nanPolicy === "omit" && !allowOmit) throw new UnsupportedError(`${op}: nanPolicy "omit" is not implemented (as in JAX); drop the NaNs first`);
  if (nanPolicy === "raise") throw new UnsupportedError(`${op}: nanPolicy "raise" cannot be decided inside a traced function (as in JAX); test np.isnan(x) before calling`);
}

function axisOf(op: string, axis: number, ndim: number): number {
  if (!Number.isInteger(axis) || axis < -ndim || axis >= ndim) throw new ShapeError(`${op}: axis ${describe(axis)} is out of range for an array of rank ${ndim}`);
  return axis < 0 ? axis + ndim : axis;
}

// ranks along the last axis of v (n ≥ 1 elements), as floats of dtype `out`
function ranksLast(v: Value, method: RankMethod, out: "float32" | "float64"): Value {
  const n = v.shape[v.ndim - 1];
  const xi = np.expandDims(v, -1); // [..., n, 1]
  const xj = np.expandDims(v, -2); // [..., 1, n]
  const count = (m: Value) => np.sum(np.astype(m, "int32"), -1);
  let r: Value;
  if (method === "min" || method === "max" || method === "average") {
    const less = count(np.less(xj, xi));
    const lessEq = count(np.lessEqual(xj, xi));
    const lo = np.astype(lax.add(less, 1), out);
    const hi = np.astype(lessEq, out);
    r = method === "min" ? lo : method === "max" ? hi : lax.mul(lax.add(lo, hi), 0.5);
  } else {
    // stable order: the ordinal rank is the position in it; dense counts the new values up to there
    const perm = np.argsort(v, -1);
    const inv = np.argsort(perm, -1);
    if (method === "ordinal") r = np.astype(lax.add(inv, 1), out);
    else {
      const s = np.takeAlongAxis(v, perm, -1);
      const first = np.ones([...v.shape.slice(0, -1), 1], { dtype: "bool" });
      const change = n > 1 ? np.notEqual(s.get("...", [1]), s.get("...", [0, -1])) : first.get("...", [0, 0]);
      const fresh = np.concatenate([first, change], -1);
      r = np.astype(np.takeAlongAxis(np.cumsum(np.astype(fresh, "int32"), -1), inv, -1), out);
    }
  }
  // any NaN in the slice makes its whole result NaN
  const anyNan = np.any(np.isnan(v), -1, { keepdims: true });
  return np.where(anyNan, np.full(r.shape, NaN, { dtype: out }), r);
}

export interface RankdataOptions {
  /** Rank along this axis (default null: the flattened array). */
  axis?: number | null;
  /** Only "propagate" (the default) is computable; "omit" and "raise" throw, as in JAX. */
  nanPolicy?: NanPolicy;
}

/**
 * The ranks (1-based) of the elements of `a`, ties settled by `method`: "average" (default),
 * "min", "max", "dense" (consecutive ranks for distinct values) or "ordinal" (order of appearance).
 * A slice containing NaN ranks as all NaN. The result has the default float dtype, as in JAX.
 * @example
 * scipy.stats.rankdata(np.array([10, 20, 10, 30])); // [1.5, 3, 1.5, 4]
 * scipy.stats.rankdata(np.array([10, 20, 10, 30]), "dense"); // [1, 2, 1, 3]
 */
export function rankdata(a: ArrayLike, method: RankMethod = "average", options: RankdataOptions = {}): Value {
  const op = "scipy.stats.rankdata";
  const { axis = null, nanPolicy = "propagate" } = optionsArg(op, options);
  checkNanPolicy(op, nanPolicy, false);
  if (!(RANK_METHODS as readonly unknown[]).includes(method)) throw new ArgumentError(`${op}: unknown method ${describe(method)}; use one of ${RANK_METHODS.join(", ")}`);
  const v = asValue(a, op);
  const out = "float32"; // the default float dtype, as JAX without x64
  if (axis === null) {
    const flat = lax.reshape(v, [v.size]);
    if (v.size === 0) return np.zeros([0], { dtype: out });
    return ranksLast(flat, method, out);
  }
  if (v.ndim === 0) throw new ShapeError(`${op}: a 0-d array has no axis ${describe(axis)}; pass axis null`);
  const ax = axisOf(op, axis, v.ndim);
  if (v.shape[ax] === 0) return np.zeros(v.shape, { dtype: out });
  return np.moveaxis(ranksLast(np.moveaxis(v, ax, -1), method, out), -1, ax);
}

export interface ModeOptions {
  /** Only "propagate" (the default) is computable; "omit" and "raise" throw, as in JAX. */
  nanPolicy?: NanPolicy;
  /** Keep the reduced axis with size 1 (default false). */
  keepdims?: boolean;
}

/**
 * The most common value along `axis` (default 0; null: the flattened array) and how often it
 * occurs, as `[mode, count]`: the smallest value among ties, NaNs counted together and last.
 * `count` is int32, as in JAX.
 * @example
 * scipy.stats.mode(np.array([3, 1, 3, 1, 2])); // [1, 2]
 */
export function mode(a: ArrayLike, axis: number | null = 0, options: ModeOptions = {}): [Value, Value] {
  const op = "scipy.stats.mode";
  const { nanPolicy = "propagate", keepdims = false } = optionsArg(op, options);
  checkNanPolicy(op, nanPolicy, false);
  let v = asValue(a, op);
  if (v.ndim === 0) v = lax.reshape(v, [1]);
  const ax = axis === null ? null : axisOf(op, axis, v.ndim);
  const outShape = ax === null ? (keepdims ? v.shape.map(() => 1) : []) : v.shape.flatMap((s, i) => (i === ax ? (keepdims ? [1] : []) : [s]));
  const x = ax === null ? lax.reshape(v, [v.size]) : np.moveaxis(v, ax, -1);
  if (x.shape[x.ndim - 1] === 0) throw new ShapeError(`${op}: cannot take the mode of an empty axis (shape ${describe(v.shape)})`);
  const s = np.sort(x, -1);
  const si = np.expandDims(s, -1);
  const sj = np.expandDims(s, -2);
  const same = np.logicalOr(np.equal(si, sj), np.logicalAnd(np.isnan(si), np.isnan(sj)));
  const counts = np.sum(np.astype(same, "int32"), -1);
  // argmax takes the first maximum: the smallest value, NaN (sorted last) only when it alone wins
  const at = np.expandDims(np.argmax(counts, -1), -1);
  const value = np.takeAlongAxis(s, at, -1);
  const count = np.takeAlongAxis(counts, at, -1);
  return [lax.reshape(value, outShape), lax.reshape(count, outShape)];
}

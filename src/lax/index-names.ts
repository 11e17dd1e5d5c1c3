/**
 * JAX's lax indexing conveniences written over jaxon's gather and scatter
 * primitives (their rules are those primitives'): `scatterSub` (a scatter-add
 * of the negated updates, which is exact in every dtype: integers wrap alike)
 * and `indexTake` (JAX's gather of whole slices at index tuples over several
 * axes, indices taken modulo the axis sizes).
 */
import type { ArrayLike } from "../array-methods.js";
import { isInt } from "../dtype.js";
import { ArgumentError, DTypeError, ShapeError } from "../errors.js";
import { fmtShape, normalizeAxis } from "../shape.js";
import { describe, intArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { add, asValue, convert, lt, mul, neg, operandArg, rem, select } from "./elementwise.js";
import type { ScatterOptions } from "./indexing.js";
import { gather, scatterAdd } from "./indexing.js";
import { reshape, transpose } from "./shape.js";

/**
 * Subtracts `updates` from `operand` at `indices` along `axis` (repeated
 * indices accumulate; out-of-range ones are dropped unless `mode: "clip"`),
 * with `lax.scatterAdd`'s arguments (JAX's `lax.scatter_sub`).
 * @example
 * lax.scatterSub(np.ones([3]), np.array([0, 0, 2], { dtype: "int32" }), np.array([1, 2, 3]), { axis: 0 }); // [-2, 1, -2]
 */
export function scatterSub(operand: ArrayLike, indices: ArrayLike, updates: ArrayLike, options: ScatterOptions): Value {
  const x = operandArg("lax.scatterSub", operand);
  return scatterAdd(x, indices, neg(asValue(updates, x.dtype)), options);
}

/**
 * Whole slices of `src` at index tuples (JAX's `lax.index_take`): `idxs`
 * holds one integer array of N indices per axis of `axes` (taken modulo that
 * axis's size); the result has shape `[N, ...src's other axes in order]`.
 * @example
 * const x = np.arange(24).reshape([2, 3, 4]);
 * lax.indexTake(x, [np.array([0, 1], { dtype: "int32" }), np.array([2, -1], { dtype: "int32" })], [0, 2]); // [[2, 6, 10], [15, 19, 23]]
 */
export function indexTake(src: ArrayLike, idxs: readonly ArrayLike[], axes: readonly number[]): Value {
  const op = "lax.indexTake";
  const x = operandArg(op, src);
  if (!Array.isArray(idxs) || !Array.isArray(axes)) throw new ArgumentError(`${op}: idxs and axes must be JS arrays (one index array per axis), got ${describe(idxs)} and ${describe(axes)}`);
  if (idxs.length !== axes.length || axes.length === 0) {
    throw new ShapeError(`${op}: needs one index array per axis and at least one axis, got ${idxs.length} index arrays for axes ${JSON.stringify(axes)}`);
  }
  const ax = axes.map((a) => normalizeAxis(op, intArg(op, "axes", a), x.ndim));
  if (new Set(ax).size !== ax.length) throw new ShapeError(`${op}: axes ${JSON.stringify(axes)} repeat an axis`);
  const ix = idxs.map((i) => {
    const v = asValue(i, "int32");
    if (!isInt(v.dtype)) throw new DTypeError(`${op}: indices must have an integer dtype, got ${v.dtype}`);
    if (v.ndim !== 1) throw new ShapeError(`${op}: each index array must be 1-D (N indices), got shape ${fmtShape(v.shape)}`);
    return convert(v, "int32");
  });
  const n = ix[0].shape[0];
  if (ix.some((v) => v.shape[0] !== n)) throw new ShapeError(`${op}: the index arrays need one length, got ${ix.map((v) => v.shape[0]).join(", ")}`);
  const others = x.shape.map((_, i) => i).filter((i) => !ax.includes(i));
  // the indexed axes first, flattened into one, row-major in the order of `axes`
  const sizes = ax.map((a) => x.shape[a]);
  const flat = reshape(transpose(x, [...ax, ...others]), [sizes.reduce((p, s) => p * s, 1), ...others.map((i) => x.shape[i])]);
  let at: Value | null = null;
  let stride = 1;
  for (let k = ax.length - 1; k >= 0; k--) {
    // a floor modulo, as JAX's `indices % sizes`: negative indices count from the end
    const r = rem(ix[k], sizes[k]);
    const wrapped = select(lt(r, 0), add(r, sizes[k]), r);
    const term = stride === 1 ? wrapped : mul(wrapped, stride);
    at = at === null ? term : add(at, term);
    stride *= sizes[k];
  }
  return gather(flat, at!, { axis: 0 });
}

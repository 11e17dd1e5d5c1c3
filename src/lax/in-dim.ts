/**
 * lax's conveniences over one axis and over leading dimensions, as JAX's:
 * `broadcast`, `collapse`, `sliceInDim`, `indexInDim`, `dynamicSliceInDim`,
 * `dynamicUpdateSliceInDim`, written over broadcastInDim, reshape, slice,
 * dynamicSlice and dynamicUpdateSlice (their rules are those primitives').
 */
import type { ArrayLike } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import { normalizeAxis } from "../shape.js";
import { describe, intArg, intsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { add, lt, operandArg, select } from "./elementwise.js";
import { dynamicSlice, dynamicUpdateSlice } from "./indexing.js";
import { broadcastInDim, reshape, slice, squeeze } from "./shape.js";

const axisArg = (op: string, axis: unknown, ndim: number) => normalizeAxis(op, intArg(op, "axis", axis), ndim);

/**
 * Adds leading dimensions of `sizes` to `operand`.
 * @example
 * lax.broadcast(np.array([1, 2]), [3]).shape; // [3, 2]
 */
export function broadcast(operand: ArrayLike, sizes: readonly number[]): Value {
  const op = "lax.broadcast";
  const x = operandArg(op, operand);
  const s = intsArg(op, "sizes", sizes);
  return broadcastInDim(x, [...s, ...x.shape], x.shape.map((_, i) => i + s.length));
}

/**
 * Merges dimensions `startDimension` up to (not including) `stopDimension` (default: the end) into one.
 * @example
 * lax.collapse(np.ones([2, 3, 4]), 1).shape; // [2, 12]
 */
export function collapse(operand: ArrayLike, startDimension: number, stopDimension: number | null = null): Value {
  const op = "lax.collapse";
  const x = operandArg(op, operand);
  const start = intArg(op, "startDimension", startDimension);
  const stop = stopDimension === null || stopDimension === undefined ? x.ndim : intArg(op, "stopDimension", stopDimension);
  const lo = start < 0 ? start + x.ndim : start;
  const hi = stop < 0 ? stop + x.ndim : stop;
  if (!(lo >= 0 && lo <= hi && hi <= x.ndim)) throw new ShapeError(`${op}: dimensions [${start}, ${stop}) are not a range of the ${x.ndim} dimensions of shape [${x.shape.join(", ")}]`);
  const size = x.shape.slice(lo, hi).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, lo), size, ...x.shape.slice(hi)]);
}

/**
 * `operand[startIndex:limitIndex:stride]` along `axis` (null bounds: the ends; negative ones count from the end).
 * @example
 * lax.sliceInDim(np.array([[1, 2, 3], [4, 5, 6]]), 1, 3, 1, 1); // [[2, 3], [5, 6]]
 */
export function sliceInDim(operand: ArrayLike, startIndex: number | null, limitIndex: number | null, stride = 1, axis = 0): Value {
  const op = "lax.sliceInDim";
  const x = operandArg(op, operand);
  const ax = axisArg(op, axis, x.ndim);
  const n = x.shape[ax];
  const fix = (v: number | null, dflt: number, name: string) => {
    if (v === null || v === undefined) return dflt;
    const i = intArg(op, name, v);
    return i < 0 ? i + n : i;
  };
  const st = intArg(op, "stride", stride);
  const starts = x.shape.map(() => 0);
  const limits = [...x.shape];
  const strides = x.shape.map(() => 1);
  starts[ax] = fix(startIndex, 0, "startIndex");
  limits[ax] = fix(limitIndex, n, "limitIndex");
  strides[ax] = st;
  return slice(x, starts, limits, strides);
}

/**
 * `operand[index]` along `axis` (a negative index counts from the end), keeping that axis with size 1 unless `keepdims` is false.
 * @example
 * lax.indexInDim(np.array([[1, 2], [3, 4]]), 1, 0, false); // [3, 4]
 */
export function indexInDim(operand: ArrayLike, index: number, axis = 0, keepdims = true): Value {
  const op = "lax.indexInDim";
  const x = operandArg(op, operand);
  const ax = axisArg(op, axis, x.ndim);
  const n = x.shape[ax];
  let i = intArg(op, "index", index);
  if (i < -n || i >= n) throw new ShapeError(`${op}: index ${i} is out of bounds for axis ${ax} of size ${n}`);
  if (i < 0) i += n;
  const out = sliceInDim(x, i, i + 1, 1, ax);
  if (typeof keepdims !== "boolean") throw new ShapeError(`${op}: keepdims must be true or false, got ${describe(keepdims)}`);
  return keepdims ? out : squeeze(out, [ax]);
}

/** A start index along one axis: a negative one counts from the end (JAX's allow_negative_indices). */
function startIndexArg(op: string, start: ArrayLike, size: number): ArrayLike {
  if (typeof start === "number") {
    const i = intArg(op, "startIndex", start);
    return i < 0 ? i + size : i;
  }
  const s = operandArg(op, start);
  return select(lt(s, 0), add(s, size), s);
}

/**
 * `sliceSize` elements along `axis` from a start index that may be traced (clamped into range, as lax.dynamicSlice).
 * @example
 * lax.dynamicSliceInDim(np.array([1, 2, 3, 4]), 1, 2); // [2, 3]
 */
export function dynamicSliceInDim(operand: ArrayLike, startIndex: ArrayLike, sliceSize: number, axis = 0): Value {
  const op = "lax.dynamicSliceInDim";
  const x = operandArg(op, operand);
  const ax = axisArg(op, axis, x.ndim);
  const starts: ArrayLike[] = x.shape.map(() => 0);
  starts[ax] = startIndexArg(op, startIndex, x.shape[ax]);
  const sizes = [...x.shape];
  sizes[ax] = intArg(op, "sliceSize", sliceSize);
  return dynamicSlice(x, starts, sizes);
}

/**
 * Writes `update` into `operand` along `axis` from a start index that may be traced.
 * @example
 * lax.dynamicUpdateSliceInDim(np.zeros([4]), np.ones([2]), 1, 0); // [0, 1, 1, 0]
 */
export function dynamicUpdateSliceInDim(operand: ArrayLike, update: ArrayLike, startIndex: ArrayLike, axis: number): Value {
  const op = "lax.dynamicUpdateSliceInDim";
  const x = operandArg(op, operand);
  const ax = axisArg(op, axis, x.ndim);
  const starts: ArrayLike[] = x.shape.map(() => 0);
  starts[ax] = startIndexArg(op, startIndex, x.shape[ax]);
  return dynamicUpdateSlice(x, update, starts);
}

/**
 * NumPy's bit shifts and bit count (`leftShift`, `rightShift`, their array-API
 * names `bitwiseLeftShift`/`bitwiseRightShift`, `bitwiseCount`) over lax's
 * shift and population-count primitives, and the top-level array-API names
 * `matrixTranspose`, `vecdot` and NumPy's `cross` with `axisa`/`axisb`/`axisc`.
 */
import { ArrayMethods } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { intInfo, isFloat } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { fmtShape } from "../shape.js";
import { intArg, optionsArg } from "../static-args.js";
import * as ew from "./elementwise.js";
import { matrixTranspose as linalgMatrixTranspose, vecdot as linalgVecdot } from "./linalg-functions.js";
import { moveaxis, stack } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { binaryOperands, broadcastAll, promote } from "./util.js";
import { array, zerosLike } from "./creation.js";
import type { ArrayInput } from "./creation.js";

const integer = (op: string) => (d: DType) => {
  if (isFloat(d) || d === "bool") throw new DTypeError(`${op}: needs integer operands, got ${d}; convert with x.astype("int32")`);
  return d;
};

/**
 * `x` shifted left by `y` bits (`x · 2**y` within the dtype; a shift of 32 or
 * more, or a negative one, gives 0), as `jnp.left_shift`.
 * @example np.leftShift(np.array([1, 2, 3], { dtype: "int32" }), 2); // [4, 8, 12]
 */
export function leftShift(x: ArrayLike, y: ArrayLike): Value {
  const op = "np.leftShift";
  const [a, b] = binaryOperands(op, x, y, integer(op));
  return lax.shiftLeft(a, b);
}

/**
 * `x` shifted right by `y` bits: arithmetic (sign-filling) for signed
 * integers, logical for unsigned ones, as `jnp.right_shift`.
 * @example np.rightShift(np.array([16, -16], { dtype: "int32" }), 2); // [4, -4]
 */
export function rightShift(x: ArrayLike, y: ArrayLike): Value {
  const op = "np.rightShift";
  const [a, b] = binaryOperands(op, x, y, integer(op));
  return intInfo(a.dtype)?.signed === false ? lax.shiftRightLogical(a, b) : lax.shiftRightArithmetic(a, b);
}

/** The array API's name for {@link leftShift}. @example np.bitwiseLeftShift(np.array([1], { dtype: "int32" }), 3); // [8] */
export function bitwiseLeftShift(x: ArrayLike, y: ArrayLike): Value {
  return leftShift(x, y);
}
/** The array API's name for {@link rightShift}. @example np.bitwiseRightShift(np.array([8], { dtype: "int32" }), 3); // [1] */
export function bitwiseRightShift(x: ArrayLike, y: ArrayLike): Value {
  return rightShift(x, y);
}

/**
 * The number of 1 bits of `|x|`, as uint8, as `jnp.bitwise_count`.
 * @example np.bitwiseCount(np.array([64, 31, -7], { dtype: "int32" })); // [1, 5, 3]
 */
export function bitwiseCount(x: ArrayLike): Value {
  const op = "np.bitwiseCount";
  const [v] = promote(op, [x], integer(op));
  const abs = intInfo(v.dtype)?.signed === false ? v : lax.abs(v);
  return lax.convert(lax.populationCount(abs), "uint8");
}

/**
 * Swaps the last two axes, as `jnp.matrix_transpose`.
 * @example np.matrixTranspose(np.ones([2, 3, 4])).shape; // [2, 4, 3]
 */
export function matrixTranspose(x: ArrayLike): Value {
  return linalgMatrixTranspose(x);
}

/**
 * The dot product of vectors along `axis` (other axes broadcast), as `jnp.vecdot`.
 * @example np.vecdot(np.array([[1, 2], [3, 4]]), np.array([1, 1])); // [3, 7]
 */
export function vecdot(x1: ArrayLike, x2: ArrayLike, options: { axis?: number } = {}): Value {
  const { axis = -1 } = optionsArg("np.vecdot", options);
  return linalgVecdot(x1, x2, intArg("np.vecdot", "axis", axis));
}

export interface CrossOptions {
  /** The axis of `a` holding the vectors (default -1). */
  axisa?: number;
  /** The axis of `b` holding the vectors (default -1). */
  axisb?: number;
  /** The axis of the result holding the vectors (default -1). */
  axisc?: number;
  /** Overrides `axisa`, `axisb` and `axisc` at once. */
  axis?: number | null;
}

/**
 * The cross product of 3-vectors (or 2-vectors, taken with a zero third
 * component; two 2-vectors give the z component alone), broadcasting the
 * other axes, as `jnp.cross`.
 * @example np.cross(np.array([1, 0, 0]), np.array([0, 1, 0])); // [0, 0, 1]
 */
export function cross(a: ArrayLike, b: ArrayLike, options: CrossOptions = {}): Value {
  const op = "np.cross";
  const o = optionsArg(op, options);
  let { axisa = -1, axisb = -1, axisc = -1 } = o;
  if (o.axis !== undefined && o.axis !== null) axisa = axisb = axisc = intArg(op, "axis", o.axis);
  const [pa, pb] = promote(op, [a, b]);
  const x = moveaxis(pa, intArg(op, "axisa", axisa), -1);
  const y = moveaxis(pb, intArg(op, "axisb", axisb), -1);
  const n = x.shape[x.ndim - 1];
  const m = y.shape[y.ndim - 1];
  if (!((n === 2 || n === 3) && (m === 2 || m === 3))) {
    throw new ShapeError(`${op}: the vectors must have 2 or 3 components, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} (vectors last)`);
  }
  const comp = (v: Value, i: number) => lax.indexInDim(v, i, v.ndim - 1, false);
  if (n === 2 && m === 2) return ew.subtract(ew.multiply(comp(x, 0), comp(y, 1)), ew.multiply(comp(x, 1), comp(y, 0)));
  const [a0, a1] = [comp(x, 0), comp(x, 1)];
  const [b0, b1] = [comp(y, 0), comp(y, 1)];
  const a2 = n === 3 ? comp(x, 2) : zerosLike(a0);
  const b2 = m === 3 ? comp(y, 2) : zerosLike(b0);
  const parts = broadcastAll(op, [
    ew.subtract(ew.multiply(a1, b2), ew.multiply(a2, b1)),
    ew.subtract(ew.multiply(a2, b0), ew.multiply(a0, b2)),
    ew.subtract(ew.multiply(a0, b1), ew.multiply(a1, b0)),
  ]);
  return moveaxis(stack(parts, 0), 0, intArg(op, "axisc", axisc));
}

/**
 * A copy of `a` (an array, or anything np.array takes) with its values, as
 * `jnp.copy`: an array of its own, which disposing `a` leaves alive.
 * @example np.copy(np.array([1, 2])); // [1, 2]
 */
export function copy(a: ArrayInput): Value {
  const v = array(a);
  return v === a ? lax.optimizationBarrier(v) : v;
}

/**
 * Whether `y` can be iterated over, as `jnp.iterable`: arrays with at least
 * one axis, JS arrays, TypedArrays, strings, Maps and Sets; not 0-d arrays or
 * numbers.
 * @example np.iterable(np.ones([3])); // true
 */
export function iterable(y: unknown): boolean {
  if (y instanceof ArrayMethods) return (y as Value).ndim > 0;
  return Array.isArray(y) || ArrayBuffer.isView(y) || typeof y === "string" || y instanceof Map || y instanceof Set;
}

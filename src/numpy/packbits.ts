/**
 * `np.packbits` / `np.unpackbits`, as JAX: bits (any nonzero counts as 1)
 * packed eight to a uint8 along an axis, and a uint8 array's bits unpacked
 * into uint8 zeros and ones. Both are compositions of lax's elementwise,
 * shift, pad, reshape and reduce primitives, so they work under jit and vmap
 * and on both devices; their results are integers (no tangents, as JAX).
 */
import { isInt } from "../dtype.js";
import { ArgumentError, DTypeError } from "../errors.js";
import * as lax from "../lax/index.js";
import { describe, intArg, optionsArg } from "../static-args.js";
import { array } from "./creation.js";
import { bitwiseAnd, greater, notEqual } from "./elementwise.js";
import { leftShift } from "./bits.js";
import { sum } from "./reductions.js";
import { expandDims, ravel, swapaxes } from "./shape.js";
import type { ArrayLike, Value } from "./util.js";
import { asValue, axisOf } from "./util.js";

export interface PackbitsOptions {
  /** "big" (the default): the first bit is the most significant; "little": the least. */
  bitorder?: "big" | "little";
}

export interface UnpackbitsOptions extends PackbitsOptions {
  /** How many bits to keep along the axis (a negative count trims that many from the end; more than there are pads with zeros). */
  count?: number | null;
}

function bitorderArg(op: string, options: PackbitsOptions | undefined): "big" | "little" {
  const { bitorder = "big" } = optionsArg(op, options);
  if (bitorder !== "big" && bitorder !== "little") throw new ArgumentError(`${op}: bitorder must be "big" or "little", got ${describe(bitorder)}`);
  return bitorder;
}

/** The bit weights of one byte in the order `bitorder` reads them, as a uint8 array. */
function weights(order: "big" | "little"): Value {
  const w = [1, 2, 4, 8, 16, 32, 64, 128];
  return array(order === "big" ? w.reverse() : w, { dtype: "uint8" });
}

/**
 * Packs the bits of `a` (an integer or bool array; nonzero is 1) eight to a
 * uint8 along `axis` (the flattened array when omitted), as `jnp.packbits`.
 * An axis whose length is no multiple of 8 is padded with zero bits.
 * @example
 * np.packbits(np.array([0, 0, 0, 0, 0, 1, 1, 1], { dtype: "int32" })); // uint8 [7]
 * np.packbits(np.array([true, false, true]), null, { bitorder: "little" }); // uint8 [5]
 */
export function packbits(a: ArrayLike, axis?: number | null, options?: PackbitsOptions): Value {
  const op = "np.packbits";
  const x0 = asValue(a, op);
  if (!(isInt(x0.dtype) || x0.dtype === "bool")) throw new DTypeError(`${op}: needs an integer or bool array, got ${x0.dtype}; compare first (x.gt(0)) to make bits`);
  const order = bitorderArg(op, options);
  let bits = lax.convert(notEqual(x0, 0), "uint8");
  let ax = 0;
  if (axis === undefined || axis === null) bits = ravel(bits);
  else ax = axisOf(op, axis, bits.ndim);
  bits = swapaxes(bits, ax, -1);
  const n = bits.shape[bits.ndim - 1];
  if (n % 8 !== 0) bits = lax.pad(bits, 0, [...bits.shape.slice(0, -1).map((): [number, number, number] => [0, 0, 0]), [0, 8 - (n % 8), 0]]);
  const bytes = Math.ceil(n / 8);
  bits = lax.reshape(bits, [...bits.shape.slice(0, -1), bytes, 8]);
  const packed = lax.convert(sum(leftShift(bits, weightsAsShifts(order)), -1), "uint8");
  return swapaxes(packed, ax, -1);
}

/** The shift of each bit of a byte: 7…0 (big) or 0…7 (little), as uint8. */
function weightsAsShifts(order: "big" | "little"): Value {
  const s = [0, 1, 2, 3, 4, 5, 6, 7];
  return array(order === "big" ? s.reverse() : s, { dtype: "uint8" });
}

/**
 * Unpacks the bits of a uint8 array along `axis` (the flattened array when
 * omitted) into uint8 zeros and ones, eight per byte, as `jnp.unpackbits`.
 * @example
 * np.unpackbits(np.array([7], { dtype: "uint8" })); // uint8 [0, 0, 0, 0, 0, 1, 1, 1]
 * np.unpackbits(np.array([5], { dtype: "uint8" }), null, { count: 3, bitorder: "little" }); // [1, 0, 1]
 */
export function unpackbits(a: ArrayLike, axis?: number | null, options?: UnpackbitsOptions): Value {
  const op = "np.unpackbits";
  const x0 = asValue(a, op);
  if (x0.dtype !== "uint8") throw new DTypeError(`${op}: needs a uint8 array, got ${x0.dtype}; convert with x.astype("uint8")`);
  const order = bitorderArg(op, options);
  const { count: countOpt = null } = optionsArg(op, options);
  const count = countOpt === null || countOpt === undefined ? null : intArg(op, "count", countOpt);
  let x = x0;
  let ax = 0;
  if (axis === undefined || axis === null) x = ravel(x);
  else ax = axisOf(op, axis, x.ndim);
  x = swapaxes(x, ax, -1);
  let out = lax.convert(greater(bitwiseAnd(expandDims(x, -1), weights(order)), 0), "uint8");
  const total = 8 * x.shape[x.ndim - 1];
  out = lax.reshape(out, [...x.shape.slice(0, -1), total]);
  if (count !== null) {
    const keep = count < 0 ? Math.max(0, total + count) : count;
    const lead = out.shape.slice(0, -1);
    if (keep > total) out = lax.pad(out, 0, [...lead.map((): [number, number, number] => [0, 0, 0]), [0, keep - total, 0]]);
    else out = lax.slice(out, [...lead.map(() => 0), 0], [...lead, keep]);
  }
  return swapaxes(out, ax, -1);
}

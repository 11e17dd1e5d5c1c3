/**
 * `mulhi`: the high half of the full (double-width) product of two integers,
 * as JAX's `lax.mulhi`. It is written over existing integer primitives: an 8-
 * or 16-bit product fits a 32-bit lane; a 32-bit one is assembled from four
 * 16-bit partial products (there are no 64-bit lanes), and a signed one is
 * the unsigned high half of the bit patterns corrected by the operands'
 * signs (`hi(a·b) = hiU(a, b) − (a < 0 ? b : 0) − (b < 0 ? a : 0)` mod 2^32).
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { intInfo } from "../dtype.js";
import { DTypeError } from "../errors.js";
import type { Value } from "../trace/core.js";
import { bitcastConvertType } from "./bitcast.js";
import { shiftRightArithmetic, shiftRightLogical } from "./bits.js";
import { add, and, convert, lt, mul, operandArg, operands, select, sub } from "./elementwise.js";

const u32 = (n: number) => convert(n, "uint32");

/** The high 32 bits of the product of two uint32 values. */
function mulhiU32(a: Value, b: Value): Value {
  const lo = (v: Value) => and(v, u32(0xffff));
  const hi = (v: Value) => shiftRightLogical(v, u32(16));
  const [al, ah, bl, bh] = [lo(a), hi(a), lo(b), hi(b)];
  const ll = mul(al, bl);
  const lh = mul(al, bh);
  const hl = mul(ah, bl);
  const hh = mul(ah, bh);
  // the carry out of the middle 32 bits; each term is below 2^16, their sum below 2^18
  const mid = add(add(hi(ll), lo(lh)), lo(hl));
  return add(add(add(hh, hi(lh)), hi(hl)), hi(mid));
}

/**
 * The high half of the double-width product of `x` and `y`, integers of one
 * dtype (JAX's `lax.mulhi`): for int32, bits 32–63 of the 64-bit product.
 * @example
 * lax.mulhi(np.array([-5, 65536], { dtype: "int32" }), np.array([7, 65536], { dtype: "int32" })); // [-1, 1]
 */
export function mulhi(x: ArrayLike, y: ArrayLike): Value {
  const op = "lax.mulhi";
  operandArg(op, x);
  operandArg(op, y);
  const [a, b] = operands([x, y]);
  if (a.dtype !== b.dtype) throw new DTypeError(`${op}: x and y need one integer dtype, got ${a.dtype} and ${b.dtype}; convert one with lax.convert`);
  const d: DType = a.dtype;
  const info = intInfo(d);
  if (info === undefined) throw new DTypeError(`${op}: got ${d}, needs an integer dtype (int8, uint8, int16, uint16, int32, uint32)`);
  if (info.bits < 32) {
    // the full product fits a 32-bit lane: int32 for signed operands, uint32 for unsigned ones
    const wide: DType = info.signed ? "int32" : "uint32";
    const p = mul(convert(a, wide), convert(b, wide));
    const shifted = info.signed ? shiftRightArithmetic(p, convert(info.bits, wide)) : shiftRightLogical(p, convert(info.bits, wide));
    return convert(shifted, d);
  }
  if (!info.signed) return mulhiU32(a, b);
  const au = bitcastConvertType(a, "uint32");
  const bu = bitcastConvertType(b, "uint32");
  const zero = u32(0);
  const fix = sub(sub(mulhiU32(au, bu), select(lt(a, 0), bu, zero)), select(lt(b, 0), au, zero));
  return bitcastConvertType(fix, "int32");
}

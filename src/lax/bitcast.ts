/**
 * `bitcast_convert_type`: the bits of each element read as another dtype,
 * with JAX's semantics. Between dtypes of one width it is one elementwise
 * primitive (the kernel op `bitcast`); between widths it is that primitive
 * with shifts around it, as XLA defines the shapes: a narrower result gets a
 * new last axis of `wider / narrower` pieces, least significant first (the
 * little-endian order JAX's CPU and GPU backends give), and a wider one
 * takes that many pieces from the operand's last axis.
 *
 * The result's tangent is zero, as JAX's (`defjvp_zero`): bits are not a
 * differentiable function of the value. bool and complex values only
 * bitcast to their own dtype (as JAX); float64 has no integer of its width
 * in jaxon, so it bitcasts only to itself.
 */
import type { ArrayLike } from "../array-methods.js";
import { unary } from "../backend/kernel.js";
import type { DType } from "../dtype.js";
import { checkDType, isComplexDType } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { fmtShape } from "../shape.js";
import type { Value } from "../trace/core.js";
import { shiftLeft, shiftRightLogical } from "./bits.js";
import { and, convert, defineElementwise, operandArg, or } from "./elementwise.js";
import { bind1, ShapedArray } from "./primitive.js";
import { concatenate, expandDims, slice, squeeze } from "./shape.js";
import { hloType } from "./stablehlo-ops.js";

const WIDTH: Record<DType, number> = {
  bool: 8, int8: 8, uint8: 8, int16: 16, uint16: 16, float16: 16, int32: 32, uint32: 32, float32: 32, float64: 64, complex64: 64, complex128: 128,
};
/** The unsigned integer dtype of a width: the bit patterns themselves. */
const UNSIGNED: Record<number, DType> = { 8: "uint8", 16: "uint16", 32: "uint32" };

export const bitcastConvertTypeP = defineElementwise<{ newDtype: DType }>("bitcast_convert_type", {
  params: { newDtype: "dtype" },
  dtypes: "any",
  scalar: ([x], p) => unary("bitcast", x, p.newDtype),
  outDtype: (_d, p) => p.newDtype,
  // no jvp terms: the tangent is zero (JAX's defjvp_zero)
  abstractEval: ([x], p) => {
    if (WIDTH[x.dtype] !== WIDTH[p.newDtype]) {
      throw new DTypeError(`bitcast_convert_type: ${x.dtype} and ${p.newDtype} differ in width; lax.bitcastConvertType splits or joins the last axis for that`);
    }
    if (x.dtype !== p.newDtype && (x.dtype === "bool" || p.newDtype === "bool" || x.dtype === "float64")) {
      throw new DTypeError(`bitcast_convert_type: ${x.dtype} bitcasts only to itself`);
    }
    return new ShapedArray(x.shape, p.newDtype, false);
  },
  stablehlo: (ctx, [x], _p, _a, [out]) => [ctx.b.op1("stablehlo.bitcast_convert", [x], hloType(out.shape, out.dtype))],
});

const bind = (x: Value, d: DType): Value => bind1(bitcastConvertTypeP, [x], { newDtype: d });
/** Inside a split or join, a bitcast to the operand's own dtype is no step at all. */
const bitcastSame = (x: Value, d: DType): Value => (x.dtype === d ? x : bind(x, d));

/**
 * The bits of `operand` read as `newDtype` (JAX's `lax.bitcast_convert_type`).
 * Between dtypes of one width the shape is kept; to a narrower dtype a last
 * axis of `width(operand) / width(newDtype)` pieces is added (least
 * significant first); to a wider one the operand's last axis must have that
 * many pieces, and it is removed. bool and complex values bitcast only to
 * their own dtype; the result has a zero tangent, as in JAX.
 * @example
 * lax.bitcastConvertType(np.array([1, -2], { dtype: "float32" }), "uint32"); // [1065353216, 3221225472]
 * lax.bitcastConvertType(np.array(1, { dtype: "float32" }), "uint8"); // [0, 0, 128, 63]
 */
export function bitcastConvertType(operand: ArrayLike, newDtype: DType): Value {
  const op = "lax.bitcastConvertType";
  const x = operandArg(op, operand);
  const to = checkDType(newDtype, op);
  const from = x.dtype;
  if (from === to && isComplexDType(from)) return x;
  if (from !== to && (from === "bool" || to === "bool" || isComplexDType(from) || isComplexDType(to))) {
    throw new DTypeError(`${op}: bool and complex values bitcast only to their own dtype, got ${from} to ${to}; convert with lax.convert first, or read complex parts with lax.real / lax.imag`);
  }
  const wf = WIDTH[from];
  const wt = WIDTH[to];
  if (wf === wt) {
    if (from === "float64" && to !== "float64") throw new UnsupportedError(`${op}: float64 has no 64-bit integer dtype to bitcast to in jaxon (got ${to})`);
    // bound even to its own dtype, as JAX does (the tangent is then zero, as JAX's)
    return bind(x, to);
  }
  if (wf === 64 || wt === 64) {
    throw new UnsupportedError(`${op}: bitcasts between float64 and ${wf === 64 ? to : from} need 64-bit integer lanes, which jaxon does not have; bitcast float32 values instead`);
  }
  const uf = UNSIGNED[wf];
  const ut = UNSIGNED[wt];
  if (wf > wt) {
    // split: piece k holds bits [k·wt, (k+1)·wt) of each element
    const bits = bitcastSame(x, uf);
    const mask = convert(2 ** wt - 1, uf);
    const pieces: Value[] = [];
    for (let k = 0; k < wf / wt; k++) {
      const shifted = k === 0 ? bits : shiftRightLogical(bits, convert(k * wt, uf));
      pieces.push(expandDims(bitcastSame(convert(and(shifted, mask), ut), to), [x.ndim]));
    }
    return concatenate(pieces, x.ndim);
  }
  // join: the last axis's pieces, least significant first
  const ratio = wt / wf;
  const last = x.ndim - 1;
  if (last < 0 || x.shape[last] !== ratio) {
    throw new ShapeError(`${op}: ${from} to ${to} joins ${ratio} elements into one, so the operand's last axis must have size ${ratio}, got shape ${fmtShape(x.shape)}`);
  }
  const bits = bitcastSame(x, uf);
  let acc: Value | null = null;
  for (let k = 0; k < ratio; k++) {
    const start = x.shape.map((_, i) => (i === last ? k : 0));
    const limit = x.shape.map((d, i) => (i === last ? k + 1 : d));
    const piece = convert(squeeze(slice(bits, start, limit), [last]), ut);
    const placed = k === 0 ? piece : shiftLeft(piece, convert(k * wf, ut));
    acc = acc === null ? placed : or(acc, placed);
  }
  return bitcastSame(acc!, to);
}

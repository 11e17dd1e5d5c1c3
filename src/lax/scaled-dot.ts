/**
 * `scaledDot`: `(lhs · lhsScale) @ (rhs · rhsScale)` with block scales along
 * the contracting axes (JAX's `lax.scaled_dot`, for microscaled formats):
 * each scale entry covers a run of `K / Ks` consecutive contracting entries.
 * Written as a broadcast of the scales, two multiplies and one `dotGeneral`,
 * so it is differentiable here (JAX's is not yet). JAX rounds the scaled
 * operands to bfloat16 and defaults to a bfloat16 result; jaxon has no
 * bfloat16 and computes in the operands' dtype (JAX's values to bf16 rounding).
 */
import type { DType } from "../dtype.js";
import { ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import type { DotDimensionNumbers } from "./dot.js";
import { dotGeneral } from "./dot.js";
import * as E from "./elementwise.js";
import { operandArg } from "./elementwise.js";
import { broadcastInDim, reshape } from "./shape.js";

export interface ScaledDotOptions {
  lhsScale?: Value | null;
  rhsScale?: Value | null;
  /** Default: contract lhs axis 1 with rhs axis 0 (2-d), or lhs 2 with rhs 1 batched over axis 0 (3-d). */
  dimensionNumbers?: DotDimensionNumbers;
  preferredElementType?: DType;
}

/** The scale repeated along the contracting axes up to the operand's shape. */
function expandScale(op: string, name: string, x: Value, scale: Value, contracting: number[]): Value {
  if (scale.ndim !== x.ndim) throw new ShapeError(`${op}: ${name} must have the rank of its operand ${fmtShape(x.shape)}, got ${fmtShape(scale.shape)}`);
  let s = scale;
  for (let ax = 0; ax < x.ndim; ax++) {
    const [n, m] = [x.shape[ax], s.shape[ax]];
    if (n === m) continue;
    if (!contracting.includes(ax) || m === 0 || n % m !== 0) {
      throw new ShapeError(
        `${op}: ${name} ${fmtShape(scale.shape)} does not fit operand ${fmtShape(x.shape)}: axes must match, except contracting axes whose size divides the operand's`,
      );
    }
    const wide = [...s.shape.slice(0, ax + 1), n / m, ...s.shape.slice(ax + 1)];
    s = reshape(broadcastInDim(s, wide, s.shape.map((_, i) => (i <= ax ? i : i + 1))), [...s.shape.slice(0, ax), n, ...s.shape.slice(ax + 1)]);
  }
  return s;
}

/**
 * Block-scaled dot product (see the file comment).
 * @example
 * lax.scaledDot(np.ones([2, 4]), np.ones([4, 3]), { lhsScale: np.array([[1, 2], [1, 1]]) }); // [[6, 6, 6], [4, 4, 4]]
 */
export function scaledDot(lhs: Value, rhs: Value, options: ScaledDotOptions = {}): Value {
  const op = "lax.scaledDot";
  let a = operandArg(op, lhs);
  let b = operandArg(op, rhs);
  const o = optionsArg(op, options);
  let dn = o.dimensionNumbers;
  if (dn === undefined) {
    if (a.ndim === 2 && b.ndim === 2) dn = { contracting: [[1], [0]], batch: [[], []] };
    else if (a.ndim === 3 && b.ndim === 3) dn = { contracting: [[2], [1]], batch: [[0], [0]] };
    else throw new ShapeError(`${op}: without dimensionNumbers the operands must be both 2-d or both 3-d, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  if (o.lhsScale !== undefined && o.lhsScale !== null) a = E.mul(a, expandScale(op, "lhsScale", a, operandArg(op, o.lhsScale), dn.contracting[0]));
  if (o.rhsScale !== undefined && o.rhsScale !== null) b = E.mul(b, expandScale(op, "rhsScale", b, operandArg(op, o.rhsScale), dn.contracting[1]));
  return dotGeneral(a, b, dn, o.preferredElementType);
}

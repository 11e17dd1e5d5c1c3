/**
 * `convGeneralDilatedLocal`: an unshared (locally connected) convolution, as
 * JAX's `lax.conv_general_dilated_local` and written the way JAX writes it:
 * the image patches (`convGeneralDilatedPatches`) contracted with a separate
 * filter per output position by one `dotGeneral`. Its rules are theirs.
 */
import type { ArrayLike } from "../array-methods.js";
import { ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { intsArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { convGeneralDilatedPatches } from "./conv-patches.js";
import type { ConvPatchesOptions } from "./conv-patches.js";
import { convDimensionNumbers } from "./convolution.js";
import { dotGeneral } from "./dot.js";
import { operandArg } from "./elementwise.js";
import { transpose } from "./shape.js";

/**
 * Locally connected convolution: `rhs`'s spatial axes are the output
 * positions and its `I` axis holds (input channel, window position) fused,
 * channel-major, the window positions in the rhs layout's spatial order.
 * Strides, padding, dilations and layouts are `lax.convGeneralDilated`'s;
 * `filterShape` is the window's spatial size.
 * @example
 * const x = np.ones([1, 1, 3, 3]); // NCHW
 * lax.convGeneralDilatedLocal(x, np.ones([2, 4, 2, 2]), [1, 1], "VALID", [2, 2]).shape; // [1, 2, 2, 2]
 */
export function convGeneralDilatedLocal(
  lhs: ArrayLike,
  rhs: ArrayLike,
  windowStrides: number[],
  padding: string | number[][],
  filterShape: readonly number[],
  options: Omit<ConvPatchesOptions, "preferredElementType"> = {},
): Value {
  const op = "lax.convGeneralDilatedLocal";
  const x = operandArg(op, lhs);
  const w = operandArg(op, rhs);
  const o = optionsArg(op, options);
  const fs = intsArg(op, "filterShape", filterShape);
  if (w.ndim !== x.ndim) throw new ShapeError(`${op}: rhs must have the rank of lhs ${fmtShape(x.shape)}, got ${fmtShape(w.shape)}`);
  const patches = convGeneralDilatedPatches(x, fs, windowStrides, padding, o);
  const dn = convDimensionNumbers([...x.shape], [1, 1, ...fs], o.dimensionNumbers);
  const { rhsSpec, outSpec } = dn;
  const nd = x.ndim;
  // patches' spatial axes (in out layout) pair with rhs's spatial axes (output positions), in the out layout's order
  const outSpatial = outSpec.slice(2);
  const order = outSpatial.map((_, i) => i).sort((a, b) => outSpatial[a] - outSpatial[b]);
  const lhsBatch = order.map((i) => outSpatial[i]);
  const rhsBatch = order.map((i) => rhsSpec[2 + i]);
  for (let i = 0; i < lhsBatch.length; i++) {
    if (patches.shape[lhsBatch[i]] !== w.shape[rhsBatch[i]]) {
      throw new ShapeError(`${op}: rhs ${fmtShape(w.shape)} must have one filter per output position; the output's spatial shape is ${fmtShape(outSpatial.map((a) => patches.shape[a]))}`);
    }
  }
  if (patches.shape[outSpec[1]] !== w.shape[rhsSpec[1]]) {
    throw new ShapeError(`${op}: rhs's input-feature axis has size ${w.shape[rhsSpec[1]]}, needs channels · window size = ${patches.shape[outSpec[1]]}`);
  }
  const out = dotGeneral(patches, w, { contracting: [[outSpec[1]], [rhsSpec[1]]], batch: [lhsBatch, rhsBatch] });
  // out is [spatial (ascending out positions)…, N, O]: put N and O where the out layout wants them
  const perm = new Array<number>(nd);
  perm[outSpec[0]] = nd - 2;
  perm[outSpec[1]] = nd - 1;
  let k = 0;
  for (let p = 0; p < nd; p++) if (perm[p] === undefined) perm[p] = k++;
  return transpose(out, perm);
}

/**
 * `convGeneralDilatedPatches`: the image patches a convolution sees, as JAX's
 * `lax.conv_general_dilated_patches`, written as JAX writes it: a grouped
 * convolution (one group per input channel) with an identity filter that
 * moves each spatial position of the window into its own output channel. Its
 * rules (jvp, transpose, vmap) are the convolution's.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { intsArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { convDimensionNumbers, convGeneralDilated } from "./convolution.js";
import type { ConvGeneralDilatedOptions } from "./convolution.js";
import { convert, eq, operandArg } from "./elementwise.js";
import { broadcastInDim, iota, reshape, transpose } from "./shape.js";

export type ConvPatchesOptions = Pick<ConvGeneralDilatedOptions, "lhsDilation" | "rhsDilation" | "dimensionNumbers" | "precision"> & {
  preferredElementType?: DType;
};

/**
 * The patches of `lhs` under a window of `filterShape` (spatial sizes, in the
 * order of the rhs layout's spatial axes), flattened into the output's
 * feature axis: its size is `channels · prod(filterShape)`, channel-major.
 * Strides, padding, dilations and layouts are `lax.convGeneralDilated`'s.
 * @example
 * const img = np.arange(16).reshape([1, 1, 4, 4]).astype("float32"); // NCHW
 * lax.convGeneralDilatedPatches(img, [2, 2], [2, 2], "VALID"); // shape [1, 4, 2, 2]; [0, :, 0, 0] = [0, 1, 4, 5]
 */
export function convGeneralDilatedPatches(
  lhs: ArrayLike,
  filterShape: readonly number[],
  windowStrides: number[],
  padding: string | number[][],
  options: ConvPatchesOptions = {},
): Value {
  const op = "lax.convGeneralDilatedPatches";
  const x = operandArg(op, lhs);
  const o = optionsArg(op, options);
  const fs = intsArg(op, "filterShape", filterShape);
  if (fs.length !== x.ndim - 2 || fs.some((d) => d < 1)) {
    throw new ShapeError(`${op}: filterShape needs one positive size per spatial axis of lhs ${fmtShape(x.shape)} (${x.ndim - 2}), got ${fmtShape(fs)}`);
  }
  const dn = convDimensionNumbers([...x.shape], [1, 1, ...fs], o.dimensionNumbers);
  const spatial = fs.reduce((p, d) => p * d, 1);
  const channels = x.shape[dn.lhsSpec[1]];
  // the identity over window positions, once per channel: out feature c·S + s reads channel c at position s
  const eye = convert(eq(iota("int32", [spatial, spatial], 0), iota("int32", [spatial, spatial], 1)), x.dtype);
  const canonical = reshape(broadcastInDim(eye, [channels, spatial, spatial], [1, 2]), [channels * spatial, 1, ...fs]);
  // into the rhs layout: O and I to their places, the spatial axes in order around them
  const nd = x.ndim;
  const perm = new Array<number>(nd);
  perm[dn.rhsSpec[0]] = 0;
  perm[dn.rhsSpec[1]] = 1;
  let next = 2;
  for (let i = 0; i < nd; i++) if (perm[i] === undefined) perm[i] = next++;
  const rhs = transpose(canonical, perm);
  return convGeneralDilated(x, rhs, windowStrides, padding, {
    lhsDilation: o.lhsDilation,
    rhsDilation: o.rhsDilation,
    dimensionNumbers: dn,
    featureGroupCount: channels,
    preferredElementType: o.preferredElementType,
  });
}

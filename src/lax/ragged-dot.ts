/**
 * `raggedDot` and `raggedDotGeneral`: grouped matrix products, as JAX's
 * `lax.ragged_dot(_general)`. One axis of `lhs` (the ragged axis) is cut
 * into consecutive groups of `groupSizes[g]` entries; each group meets its own
 * slice of `rhs` (mode 1), or gives its own output (mode 2), or the product
 * is a plain batched one (mode 3, as JAX computes it). Written as JAX's reference implementation does:
 * a 0/1 mask of shape [g, ragged] from the group boundaries, multiplied into
 * `lhs`, then one `dotGeneral` that contracts (or keeps) the group axis. So
 * its jvp, transpose and batching are dotGeneral's and the mask's, and it
 * lowers wherever they do. In modes 1 and 2 entries past the last group
 * contribute nothing.
 */
import type { ArrayLike } from "../array-methods.js";
import type { DType } from "../dtype.js";
import { isInt } from "../dtype.js";
import { DTypeError, ShapeError, UnsupportedError } from "../errors.js";
import { fmtShape, normalizeAxis } from "../shape.js";
import { describe, intsArg, optionsArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { cumsum } from "./cumulative.js";
import type { DotDimensionNumbers } from "./dot.js";
import { dotGeneral } from "./dot.js";
import * as E from "./elementwise.js";
import { convert, operandArg } from "./elementwise.js";
import { broadcastInDim, iota, moveAxis } from "./shape.js";

/** JAX's `RaggedDotDimensionNumbers`: dotGeneral's axes, the lhs ragged axis and the rhs group axis (none in modes 2 and 3). */
export interface RaggedDotDimensionNumbers {
  dotDimensionNumbers: DotDimensionNumbers;
  lhsRaggedDimensions: number[];
  rhsGroupDimensions: number[];
}

export interface RaggedDotOptions {
  /** Accepted for JAX's signature; jaxon computes in the operands' precision. */
  precision?: unknown;
  /** The result's dtype. */
  preferredElementType?: DType;
  /** JAX's group_offset (sharded groups); not supported: JAX's CPU lowering refuses it too. */
  groupOffset?: unknown;
}

/** mask[g, r] = 1 where entry r of the ragged axis (size n) lies in group g, in `dtype`. */
function groupMask(op: string, groupSizes: Value, n: number, dtype: DType): Value {
  if (!isInt(groupSizes.dtype)) throw new DTypeError(`${op}: groupSizes must have an integer dtype, got ${groupSizes.dtype}`);
  if (groupSizes.ndim !== 1) {
    throw new UnsupportedError(`${op}: groupSizes of shape ${fmtShape(groupSizes.shape)}: jaxon takes one group size per group (shape [g]), not sizes per batch entry`);
  }
  const g = groupSizes.shape[0];
  const sizes = convert(groupSizes, "int32");
  const ends = cumsum(sizes, 0);
  const starts = E.sub(ends, sizes);
  const pos = iota("int32", [g, n], 1);
  const inside = E.and(E.ge(pos, broadcastInDim(starts, [g, n], [0])), E.lt(pos, broadcastInDim(ends, [g, n], [0])));
  return convert(inside, dtype);
}

function dnArg(op: string, dn: unknown): RaggedDotDimensionNumbers {
  const d = optionsArg(op, dn as RaggedDotDimensionNumbers);
  if (typeof d.dotDimensionNumbers !== "object" || d.dotDimensionNumbers === null) {
    throw new ShapeError(`${op}: raggedDotDimensionNumbers.dotDimensionNumbers must be { contracting: [lhs, rhs], batch: [lhs, rhs] }, got ${describe(d.dotDimensionNumbers)}`);
  }
  const { contracting, batch } = d.dotDimensionNumbers;
  if (!Array.isArray(contracting) || contracting.length !== 2 || !Array.isArray(batch) || batch.length !== 2) {
    throw new ShapeError(`${op}: dotDimensionNumbers must be { contracting: [lhs, rhs], batch: [lhs, rhs] }, got ${describe(d.dotDimensionNumbers)}`);
  }
  return {
    dotDimensionNumbers: {
      contracting: [intsArg(op, "lhs contracting", contracting[0]), intsArg(op, "rhs contracting", contracting[1])],
      batch: [intsArg(op, "lhs batch", batch[0]), intsArg(op, "rhs batch", batch[1])],
    },
    lhsRaggedDimensions: intsArg(op, "lhsRaggedDimensions", d.lhsRaggedDimensions),
    rhsGroupDimensions: intsArg(op, "rhsGroupDimensions", d.rhsGroupDimensions ?? []),
  };
}

/**
 * Grouped matrix product with JAX's three modes (see the file comment).
 * Mode 1 (ragged axis not contracted, rhs has a group axis):
 * `[b…, m, k] · [g, b…, k, n] → [b…, m, n]`, row r of lhs meets rhs's group
 * of r. Mode 2 (ragged axis contracted): `→ [g, b…, m, n]`, one partial
 * product per group. Mode 3 (ragged axis a batch axis): `→ [b…, m, n]`,
 * dotGeneral's result (JAX computes the entries past the last group too). `groupSizes` is int, shape [g].
 * @example
 * const dn = { dotDimensionNumbers: { contracting: [[1], [1]], batch: [[], []] }, lhsRaggedDimensions: [0], rhsGroupDimensions: [0] };
 * lax.raggedDotGeneral(np.ones([3, 2]), np.ones([2, 2, 4]), np.array([1, 2], { dtype: "int32" }), dn).shape; // [3, 4]
 */
export function raggedDotGeneral(
  lhs: ArrayLike,
  rhs: ArrayLike,
  groupSizes: ArrayLike,
  raggedDotDimensionNumbers: RaggedDotDimensionNumbers,
  options: RaggedDotOptions = {},
): Value {
  const op = "lax.raggedDotGeneral";
  const a = operandArg(op, lhs);
  const b = operandArg(op, rhs);
  const sizes = operandArg(op, groupSizes);
  const o = optionsArg(op, options);
  if (o.groupOffset !== undefined && o.groupOffset !== null) throw new UnsupportedError(`${op}: groupOffset is not supported (as in JAX on CPU); slice groupSizes instead`);
  const dn = dnArg(op, raggedDotDimensionNumbers);
  const [lc, rc] = dn.dotDimensionNumbers.contracting.map((axes, i) => axes.map((x) => normalizeAxis(op, x, i === 0 ? a.ndim : b.ndim)));
  const [lb, rb] = dn.dotDimensionNumbers.batch.map((axes, i) => axes.map((x) => normalizeAxis(op, x, i === 0 ? a.ndim : b.ndim)));
  if (dn.lhsRaggedDimensions.length !== 1) throw new ShapeError(`${op}: needs exactly one lhs ragged dimension, got ${fmtShape(dn.lhsRaggedDimensions)}`);
  if (dn.rhsGroupDimensions.length > 1) throw new ShapeError(`${op}: rhs has at most one group dimension, got ${fmtShape(dn.rhsGroupDimensions)}`);
  const ragged = normalizeAxis(op, dn.lhsRaggedDimensions[0], a.ndim);
  const n = a.shape[ragged];
  const g = sizes.ndim === 1 ? sizes.shape[0] : 0;
  const dtype = a.dtype;
  const mask = groupMask(op, sizes, n, dtype);
  // lhs with a leading group axis: masked[g, …lhs] = lhs · mask[g, ragged index]
  const lhsShape = [g, ...a.shape];
  const masked = E.mul(broadcastInDim(a, lhsShape, a.shape.map((_, i) => i + 1)), broadcastInDim(mask, lhsShape, [0, ragged + 1]));
  const shift = (axes: number[]) => axes.map((x) => x + 1);
  const pet = o.preferredElementType;
  if (dn.rhsGroupDimensions.length === 1) {
    // mode 1: the group axis pairs with rhs's and is summed with the contracting axes
    const rg = normalizeAxis(op, dn.rhsGroupDimensions[0], b.ndim);
    if (lc.includes(ragged) || lb.includes(ragged)) {
      throw new ShapeError(`${op}: with an rhs group dimension the lhs ragged dimension must be a free (non-contracting, non-batch) axis, got ${ragged}`);
    }
    if (b.shape[rg] !== g) throw new ShapeError(`${op}: rhs group dimension ${rg} has size ${b.shape[rg]} but groupSizes has ${g} groups`);
    return dotGeneral(masked, b, { contracting: [[0, ...shift(lc)], [rg, ...rc]], batch: [shift(lb), rb] }, pet);
  }
  if (lc.includes(ragged)) {
    // mode 2: one product per group, the group axis leading the result
    const out = dotGeneral(masked, b, { contracting: [shift(lc), rc], batch: [shift(lb), rb] }, pet);
    return moveAxis(out, lb.length, 0);
  }
  if (lb.includes(ragged)) {
    // mode 3: JAX (0.10.2, CPU) computes every batch entry, those past the last group too: a plain dotGeneral
    return dotGeneral(a, b, { contracting: [lc, rc], batch: [lb, rb] }, pet);
  }
  throw new ShapeError(`${op}: a ragged free dimension (${ragged}) needs an rhs group dimension (rhsGroupDimensions: [axis])`);
}

/**
 * Grouped matmul (JAX's `lax.ragged_dot`): `lhs` [m, k], `rhs` [g, k, n],
 * `groupSizes` [g] (int): rows `start_g … start_g + groupSizes[g] − 1` of lhs
 * are multiplied by `rhs[g]`; the result is [m, n] (rows past the last group are zero).
 * @example
 * lax.raggedDot(np.ones([3, 2]), np.stack([np.ones([2, 2]), np.full([2, 2], 2)]), np.array([1, 2], { dtype: "int32" }));
 * // [[2, 2], [4, 4], [4, 4]]
 */
export function raggedDot(lhs: ArrayLike, rhs: ArrayLike, groupSizes: ArrayLike, options: RaggedDotOptions = {}): Value {
  const op = "lax.raggedDot";
  const a = operandArg(op, lhs);
  const b = operandArg(op, rhs);
  if (a.ndim !== 2 || b.ndim !== 3 || a.shape[1] !== b.shape[1]) {
    throw new ShapeError(`${op}: needs lhs [m, k] and rhs [g, k, n], got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  }
  return raggedDotGeneral(
    a,
    b,
    groupSizes,
    { dotDimensionNumbers: { contracting: [[1], [1]], batch: [[], []] }, lhsRaggedDimensions: [0], rhsGroupDimensions: [0] },
    options,
  );
}

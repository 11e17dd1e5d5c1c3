/**
 * sort: a stable sort of several same-shaped operands along one axis,
 * lexicographically by the first `numKeys` of them (NaNs last); the others
 * are carried along. The device routine sorts the last axis, so `sort` moves
 * the axis there and back; batching keeps it last by moving batch axes to the
 * front. The tangent of a sort is its permutation applied to the tangents,
 * found by sorting an iota along with the keys.
 */
import { isComplexDType, isFloat } from "../dtype.js";
import { ShapeError, UnsupportedError } from "../errors.js";
import { fmtShape, normalizeAxis, shapeEq, sizeOf } from "../shape.js";
import { intArg, optionsArg } from "../static-args.js";
import { operandArg } from "./elementwise.js";
import { complexHooks } from "./complex-hooks.js";
import type { Primitive, Value } from "../trace/core.js";
import { bind } from "../trace/core.js";
import { gatherP } from "./indexing.js";
import { bind1, definePrimitive, isZero, lowersToStablehlo, ShapedArray, Zero } from "./primitive.js";
import { attr, type HloValue } from "../backend/stablehlo.js";
import { compare } from "./stablehlo-ops.js";
import { broadcastInDim, iota, moveAxis } from "./shape.js";

type SortParams = { dimension: number; numKeys: number };

function checkSort(operands: readonly { shape: readonly number[]; dtype: string }[], dimension: number, numKeys: number) {
  const first = operands[0];
  const list = () => operands.map((o) => `${o.dtype}${fmtShape(o.shape)}`).join(", ");
  if (!first) throw new ShapeError("lax.sort: needs at least one operand");
  if (first.shape.length === 0) throw new ShapeError("lax.sort: cannot sort a 0-d array; it needs at least one axis");
  if (!operands.every((o) => shapeEq(o.shape, first.shape))) {
    throw new ShapeError(`lax.sort: all operands must have one shape, got ${list()}`);
  }
  if (!Number.isInteger(dimension) || dimension < 0 || dimension >= first.shape.length) {
    throw new ShapeError(`lax.sort: dimension ${dimension} is out of range for shape ${fmtShape(first.shape)}`);
  }
  if (!Number.isInteger(numKeys) || numKeys < 1 || numKeys > operands.length) {
    throw new ShapeError(`lax.sort: numKeys must be between 1 and the number of operands (${operands.length}), got ${numKeys} (operands ${list()})`);
  }
}

/** `x[..., idx[...], ...]` along `dimension` with `idx` of x's shape (NumPy's take_along_axis). */
function takeAlongAxis(x: Value, indices: Value, dimension: number): Value {
  const last = x.ndim - 1;
  const out = bind1(gatherP, [moveAxis(x, dimension, last), moveAxis(indices, dimension, last)], { axis: last, batchDims: last });
  return moveAxis(out, last, dimension);
}

export const sortP: Primitive<SortParams> = definePrimitive<SortParams>("sort", {
  params: { dimension: "int", numKeys: "int" },
  abstractEval(avals, { dimension, numKeys }) {
    checkSort(avals, dimension, numKeys);
    return avals.map((a) => new ShapedArray(a.shape, a.dtype, a.weakType));
  },
  lower(avals, { dimension, numKeys }) {
    const shape = avals[0].shape;
    if (dimension !== shape.length - 1) {
      throw new UnsupportedError(`lax.sort: the sort routine sorts the last axis; got dimension ${dimension} of shape ${fmtShape(shape)} (use lax.sort, which moves it)`);
    }
    return { kind: "routine", routine: "sort", params: { numKeys, outer: sizeOf(shape.slice(0, -1)), n: shape[dimension] } };
  },
  jvp(primals, tangents, params) {
    // one sort gives the outputs and the permutation (an iota carried along)
    const withPerm = bind(sortP, [...primals, iota("int32", primals[0].shape, params.dimension)], params);
    const outs = withPerm.slice(0, -1);
    const perm = withPerm[withPerm.length - 1];
    const tangentsOut = tangents.map((t, i) =>
      isZero(t) || !isFloat(outs[i].dtype) ? new Zero(outs[i].aval.strong()) : takeAlongAxis(t, perm, params.dimension),
    );
    return [outs, tangentsOut];
  },
  batch(args, dims, { dimension, numKeys }) {
    const i0 = dims.findIndex((d) => d !== null);
    const size = args[i0].shape[dims[i0]!];
    const moved = args.map((a, i) => (dims[i] === null ? broadcastInDim(a, [size, ...a.shape], a.shape.map((_, k) => k + 1)) : moveAxis(a, dims[i]!, 0)));
    const outs = bind(sortP, moved, { dimension: dimension + 1, numKeys });
    return [outs, outs.map(() => 0)];
  },
});

export interface SortOptions {
  /** The axis to sort along (default -1, the last). */
  dimension?: number;
  /** How many leading operands are sort keys (lexicographic); the rest are carried along. Default 1. */
  numKeys?: number;
}

/**
 * Stable sort along `dimension`. Given several operands of one shape, sorts
 * them all by the first `numKeys` (lexicographically) and returns them all.
 * NaNs sort last.
 * @example
 * lax.sort(x);                                  // sorted x
 * const [k, v] = lax.sort([keys, values]);      // values reordered as keys
 */
export function sort(operand: Value, options?: SortOptions): Value;
export function sort(operands: readonly Value[], options?: SortOptions): Value[];
export function sort(operands: Value | readonly Value[], options: SortOptions = {}): Value | Value[] {
  const { dimension = -1, numKeys = 1 } = optionsArg("lax.sort", options);
  if (!globalThis.Array.isArray(operands)) return sort([operands as Value], { dimension, numKeys })[0];
  const xs = (operands as readonly Value[]).map((x) => operandArg("lax.sort", x));
  intArg("lax.sort", "numKeys", numKeys);
  if (xs.length === 0) throw new ShapeError("lax.sort: needs at least one operand");
  const ndim = xs[0].ndim;
  const d = ndim === 0 ? 0 : normalizeAxis("lax.sort", dimension, ndim);
  // complex operands: lexicographic on (re, im), each complex key as two real keys (src/lax/complex-order.ts)
  if (xs.some((x) => isComplexDType(x.dtype)) && complexHooks.sort) {
    return complexHooks.sort(xs, d, intArg("lax.sort", "numKeys", numKeys), (parts: Value[], dim: number, keys: number) => sort(parts, { dimension: dim, numKeys: keys }));
  }
  checkSort(xs, d, numKeys);
  const last = ndim - 1;
  const outs = bind(sortP as unknown as Primitive, xs.map((x) => moveAxis(x, d, last)), { dimension: last, numKeys });
  return outs.map((o) => moveAxis(o, last, d));
}

/** The indices that sort `x` along `dimension` (stable; NaNs last), as int32.
 * @example
 * lax.argsort(np.array([3, 1, 2])); // [1, 2, 0]
 */
export function argsort(x: Value, dimension = -1): Value {
  x = operandArg("lax.argsort", x);
  if (x.ndim === 0) throw new ShapeError("lax.argsort: cannot sort a 0-d array; it needs at least one axis");
  const d = normalizeAxis("lax.argsort", dimension, x.ndim);
  return sort([x, iota("int32", x.shape, d)], { dimension: d, numKeys: 1 })[1];
}

// ---- StableHLO lowering (exportStableHLO) ----------------------------------------------------

// a stable sort whose comparator orders the keys lexicographically; floats in
// the total order (-0 before +0, NaN last), as JAX's comparator does
lowersToStablehlo(sortP, (ctx, operands, { dimension, numKeys }) => {
  const scalars = operands.flatMap((o) => [{ shape: [], dtype: o.dtype }, { shape: [], dtype: o.dtype }]);
  const comparator = ctx.b.region(scalars, (args) => {
    let lt: HloValue | null = null;
    for (let k = numKeys - 1; k >= 0; k--) {
      const [a, b] = [args[2 * k], args[2 * k + 1]];
      const less = compare(ctx, "LT", a, b, true);
      lt = lt === null ? less : ctx.b.op1("stablehlo.or", [less, ctx.b.op1("stablehlo.and", [compare(ctx, "EQ", a, b, true), lt], less.type)], less.type);
    }
    return [lt!];
  });
  return ctx.b.op("stablehlo.sort", operands, operands.map((o) => o.type), { dimension: attr.int(dimension), is_stable: attr.bool(true) }, [comparator]);
});

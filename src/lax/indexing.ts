/**
 * Indexing primitives: gather and the scatter family (one indexed axis, with
 * leading batch axes, as tf.gather's batch_dims), dynamic_slice and
 * dynamic_update_slice.
 *
 * Out-of-range indices follow JAX: gather clamps them (what x[idx] does; the
 * `fill` mode of lax.gather and np.take is a select on top), scatters drop
 * their updates (FILL_OR_DROP, JAX's default for x.at[...] and lax.scatter*)
 * or clamp them ("clip", the transpose of a clamping gather). Dynamic start
 * indices count from the end when negative, then are clamped so that the
 * window fits, as lax.dynamic_slice.
 *
 * gather and scatter_add are each other's transposes; so are dynamic_slice
 * and dynamic_update_slice. Batching with batched indices or starts rewrites
 * the operation as gathers with one more batch axis.
 */
import { listArg, optionsArg, shapeArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape, normalizeAxis, shapeEq, sizeOf } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { intInfo, isFloat, isInt } from "../dtype.js";
import type { MaybeZero } from "../trace/core.js";
import { add, and, asValue, clamp, convert, div, eq, ge, instantiate, lt, max, mul, operandArg, select, sub, zerosOf } from "./elementwise.js";
import type { PrimitiveDefinition } from "./primitive.js";
import { bind1, definePrimitive, isUndefined, isZero, lowersToStablehlo, scalar, ShapedArray, Zero } from "./primitive.js";
import { attr } from "../backend/stablehlo.js";
import { full } from "./stablehlo-ops.js";
import { broadcastInDim, iota, moveAxis, reshape } from "./shape.js";
import type { GatherDimensionNumbers, GeneralMode, ScatterDimensionNumbers } from "./gather-general.js";
import { gatherGeneral, scatterGeneralPositions } from "./gather-general.js";

const range = (n: number, start = 0) => Array.from({ length: n }, (_, i) => i + start);

type IndexParams = { axis: number; batchDims: number };

/** A batched value with its batch axis at the front: moved there, or broadcast when unbatched. */
function toFront(x: Value, b: number | null, size: number): Value {
  return b === null ? broadcastInDim(x, [size, ...x.shape], range(x.ndim, 1)) : moveAxis(x, b, 0);
}

/** The batch size of a batching rule's arguments. */
function batchSize(args: Value[], dims: (number | null)[]): number {
  const i = dims.findIndex((d) => d !== null);
  return args[i].shape[dims[i]!];
}

const avalOf = (x: { aval: ShapedArray }) => x.aval;

// ---- gather ---------------------------------------------------------------------------

/** Checks a gather (or the gather that a scatter_add transposes) and returns its output shape. */
function gatherShape(name: string, operand: ShapedArray, indices: ShapedArray, { axis, batchDims }: IndexParams, dropping = false): number[] {
  const where = `operand ${operand}, indices ${indices}, axis ${axis}, batchDims ${batchDims}`;
  if (indices.dtype !== "int32") {
    throw new DTypeError(`lax.${name}: indices must be int32, got ${indices.dtype} (${where}); convert them with lax.convert(indices, "int32")`);
  }
  if (!Number.isInteger(batchDims) || batchDims < 0 || batchDims > indices.ndim || batchDims >= operand.ndim) {
    throw new ShapeError(`lax.${name}: batchDims must be between 0 and min(indices.ndim, operand.ndim - 1) (${where})`);
  }
  if (!Number.isInteger(axis) || axis < batchDims || axis >= operand.ndim) {
    throw new ShapeError(`lax.${name}: axis must be a non-negative axis of the operand after its ${batchDims} batch axes (${where})`);
  }
  for (let i = 0; i < batchDims; i++) {
    if (operand.shape[i] !== indices.shape[i]) {
      throw new ShapeError(
        `lax.${name}: batch axis ${i} has size ${operand.shape[i]} in the operand ${fmtShape(operand.shape)} but ` +
          `${indices.shape[i]} in the indices ${fmtShape(indices.shape)}; the first batchDims axes must match (${where})`,
      );
    }
  }
  // (a scatter that drops out-of-range indices may have none in range: it changes nothing, as JAX's)
  if (operand.shape[axis] === 0 && indices.size > 0 && !dropping) {
    throw new ShapeError(`lax.${name}: cannot index axis ${axis} of shape ${fmtShape(operand.shape)}: it is empty (${where})`);
  }
  return [...operand.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...operand.shape.slice(axis + 1)];
}

/** The routine parameters shared by gather and scatter_add: operand [B,P,N,Q], indices [B,I]. */
function indexRoutineParams(operand: ShapedArray, indices: ShapedArray, { axis, batchDims }: IndexParams) {
  return {
    B: sizeOf(operand.shape.slice(0, batchDims)),
    P: sizeOf(operand.shape.slice(batchDims, axis)),
    N: operand.shape[axis],
    Q: sizeOf(operand.shape.slice(axis + 1)),
    I: sizeOf(indices.shape.slice(batchDims)),
  };
}

/**
 * Both gather modes clamp out-of-range indices. They differ in the transpose:
 * "clip" adds each cotangent at the clamped position (lax.gather's clip mode),
 * "promise_in_bounds" drops it, as XLA's scatter does with the indices JAX's
 * x[idx] promises to be in range, so that the gradient of x[idx] is zero at an
 * out-of-range index, as JAX's.
 */
type GatherParams = IndexParams & { mode?: "clip" | "promise_in_bounds" };

export const gatherP: Primitive<GatherParams> = definePrimitive<GatherParams>("gather", {
  // pure data movement: complex operands move as their float pairs (PrimitiveRules.complexLanes)
  complexLanes: true,
  params: { axis: "int", batchDims: "int", mode: ["clip", "promise_in_bounds", undefined] },
  abstractEval([operand, indices], params) {
    return [new ShapedArray(gatherShape("gather", operand, indices, params), operand.dtype, operand.weakType)];
  },
  lower: ([operand, indices], params) => ({ kind: "routine", routine: "gather", params: indexRoutineParams(operand, indices, params) }),
  jvp([operand, indices], [t], params) {
    const out = bind1(gatherP, [operand, indices], params);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : bind1(gatherP, [t, indices], params)]];
  },
  transpose([ct], [operand, indices], { axis, batchDims, mode }) {
    if (isUndefined(indices)) throw new Error("gather is not linear in its indices");
    const aval = avalOf(operand);
    if (!isUndefined(operand) || isZero(ct)) return [new Zero(aval), new Zero(indices.aval)];
    const scatterMode: ScatterMode = mode === "promise_in_bounds" ? "drop" : "clip";
    return [bind1(scatterAddP, [zerosOf(aval.strong()), indices, ct], { axis, batchDims, mode: scatterMode }), new Zero(indices.aval)];
  },
  batch([operand, indices], [bo, bi], { axis, batchDims, mode }) {
    const withMode = (p: IndexParams): GatherParams => (mode === undefined ? p : { ...p, mode });
    if (batchDims === 0 && bi === null) {
      return [[bind1(gatherP, [moveAxis(operand, bo!, 0), indices], withMode({ axis: axis + 1, batchDims: 0 }))], [0]];
    }
    if (batchDims === 0 && bo === null) {
      // the indices' axes replace the operand's axis `axis`, batch axis included
      return [[bind1(gatherP, [operand, indices], withMode({ axis, batchDims: 0 }))], [axis + bi!]];
    }
    const size = batchSize([operand, indices], [bo, bi]);
    const out = bind1(gatherP, [toFront(operand, bo, size), toFront(indices, bi, size)], withMode({ axis: axis + 1, batchDims: batchDims + 1 }));
    return [[out], [0]];
  },
});

function indexArray(name: string, indices: ArrayLike): Value {
  const idx = asValue(indices, "int32");
  if (idx.dtype === "int32") return idx;
  // any integer dtype indexes, as in JAX (an 8- or 16-bit index widens exactly)
  if (isInt(idx.dtype)) return convert(idx, "int32");
  throw new DTypeError(`lax.${name}: indices must have an integer dtype (int8 … int32, uint8 … uint32), got ${idx.dtype}`);
  return idx;
}

export interface IndexOptions {
  /** The operand axis that is indexed (negative counts from the end). */
  axis: number;
  /** How many leading axes of the operand and the indices are batch axes (equal sizes, indexed together). Default 0. */
  batchDims?: number;
}

function indexParams(name: string, operand: Value, { axis, batchDims = 0 }: IndexOptions): IndexParams {
  return { axis: normalizeAxis(`lax.${name}`, axis, operand.ndim), batchDims };
}

export interface GatherOptions extends IndexOptions {
  /**
   * Out-of-range indices: "clip" (the default) clamps them onto the axis;
   * "promise_in_bounds" clamps too, but the gradient at them is zero (JAX's
   * x[idx]); "fill" gives `fillValue` there, as np.take does.
   */
  mode?: "clip" | "fill" | "promise_in_bounds";
  /** The value "fill" gives; by default NaN for floats, the minimum of a signed type, the maximum of an unsigned one, true for bool (JAX's). */
  fillValue?: number | boolean;
}

/** JAX's fill value for out-of-range gathers: NaN, INT_MIN, UINT_MAX or true. */
function defaultFillValue(dtype: ShapedArray["dtype"]): number {
  if (isFloat(dtype)) return NaN;
  if (dtype === "bool") return 1;
  const info = intInfo(dtype);
  return info ? (info.signed ? info.min : info.max) : -0x80000000;
}

/** JAX's general gather: `dimensionNumbers` and `sliceSizes` in place of `axis` (see `lax.gather`). */
export interface GatherGeneralOptions {
  dimensionNumbers: GatherDimensionNumbers;
  /** The size of the slice taken along every operand dim (1 for collapsed and batching dims). */
  sliceSizes: readonly number[];
  /**
   * Out-of-bounds starts (those whose slice would not fit): "clip" (the
   * default) clamps them so the slice fits; "fill" gives `fillValue` for the
   * whole slice (JAX's FILL_OR_DROP); "promise_in_bounds" clamps, with no
   * gradient there.
   */
  mode?: "clip" | "fill" | "promise_in_bounds";
  /** The value "fill" gives; JAX's defaults as for the axis form. */
  fillValue?: number | boolean;
}

const isGeneral = (o: object): boolean => (o as { dimensionNumbers?: unknown }).dimensionNumbers !== undefined;

/**
 * Takes entries of `operand` along `axis` (tf.gather with batch_dims):
 * the output's shape is `operand.shape[:axis] + indices.shape[batchDims:] + operand.shape[axis+1:]`.
 * Indices out of range are clamped to the axis, or give `fillValue` with `mode: "fill"`.
 * With `dimensionNumbers` and `sliceSizes` in place of `axis` it is JAX's
 * general lax.gather (see `GatherGeneralOptions`), a composition over the
 * one-axis gather.
 * @example
 * lax.gather(x, idx, { axis: 0 });                 // x[idx]
 * const rows = np.array([[1, 2, 3], [4, 5, 6]]);
 * lax.gather(rows, np.array([[2], [0]], { dtype: "int32" }), { axis: 1, batchDims: 1 }); // out[b, i] = rows[b, idx[b, i]]: [[3], [4]]
 * // the general form (JAX's lax.gather; the index vector dim is the last dim of the indices)
 * const m = np.arange(12).reshape([3, 4]);
 * const cols = np.array([[3], [1]], { dtype: "int32" });
 * lax.gather(m, cols, { dimensionNumbers: { offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] }, sliceSizes: [3, 1] });
 * // m[:, [3, 1]]: [[3, 1], [7, 5], [11, 9]]
 */
export function gather(operand: Value, indices: ArrayLike, options: GatherOptions | GatherGeneralOptions): Value {
  operand = operandArg("lax.gather", operand);
  options = optionsArg("lax.gather", options);
  if (isGeneral(options)) return generalGather(operand, indices, options as GatherGeneralOptions);
  options = options as GatherOptions;
  const idx = indexArray("gather", indices);
  const params = indexParams("gather", operand, options);
  const mode = options.mode ?? "clip";
  if (mode !== "clip" && mode !== "fill" && mode !== "promise_in_bounds") {
    throw new ShapeError(`lax.gather: mode must be "clip", "fill" or "promise_in_bounds", got ${JSON.stringify(mode)}`);
  }
  const out = bind1(gatherP, [operand, idx], mode === "promise_in_bounds" ? { ...params, mode } : params);
  if (mode !== "fill") return out;
  // the clamped gather, replaced where the index is out of range: its gradient there is zero, as JAX's
  const inside = and(ge(idx, 0), lt(idx, operand.shape[params.axis]));
  const mask = broadcastInDim(inside, out.shape, indexAxesInUpdates(idx.aval, params));
  const fill = options.fillValue ?? defaultFillValue(operand.dtype);
  return select(mask, out, broadcastInDim(scalar(Number(fill), operand.dtype), out.shape, []));
}

function generalGather(operand: Value, indices: ArrayLike, options: GatherGeneralOptions): Value {
  const mode = options.mode ?? "clip";
  if (mode !== "clip" && mode !== "fill" && mode !== "promise_in_bounds") {
    throw new ShapeError(`lax.gather: mode must be "clip", "fill" or "promise_in_bounds", got ${JSON.stringify(mode)}`);
  }
  const fill = Number(options.fillValue ?? defaultFillValue(operand.dtype));
  const gather1d = (flat: Value, positions: Value) => bind1(gatherP, [flat, positions], { axis: 0, batchDims: 0 });
  return gatherGeneral("lax.gather", operand, indices, options.dimensionNumbers, options.sliceSizes, mode, fill, gather1d);
}

// ---- the scatter family ------------------------------------------------------------------
//
// scatter (set), scatter_add, scatter_mul, scatter_min and scatter_max write
// `updates` (gather's output shape) into `operand` at `indices` along `axis`.
// Repeated indices combine every update, in index order (set: the last one
// wins, as XLA's CPU does). `mode` says what an out-of-range index does:
// "drop" (JAX's FILL_OR_DROP, the default of x.at[...] and lax.scatter*)
// ignores the update; "clip" clamps it onto the axis, as the transpose of a
// clamping gather must.

export type ScatterMode = "clip" | "drop";
type ScatterParams = IndexParams & { mode: ScatterMode };
type ScatterCombine = "set" | "add" | "mul" | "min" | "max";

/** Checks a scatter's mode, and that its updates have the operand's dtype and gather's output shape at `indices`. */
function checkScatter(name: string, operand: ShapedArray, indices: ShapedArray, updates: ShapedArray, params: ScatterParams): void {
  if (params.mode !== "clip" && params.mode !== "drop") {
    throw new ShapeError(`lax.${name}: mode must be "drop" or "clip", got ${JSON.stringify(params.mode)}`);
  }
  const expected = gatherShape(name, operand, indices, params, params.mode === "drop");
  if (!shapeEq(expected, updates.shape) || updates.dtype !== operand.dtype) {
    throw new ShapeError(
      `lax.${name}: updates ${updates} must have the operand's dtype and the shape ${fmtShape(expected)} that gathering ` +
        `operand ${operand} at indices ${indices} (axis ${params.axis}, batchDims ${params.batchDims}) gives`,
    );
  }
}

/** The indices' axes in the updates: batch axes first, then the indexed block at `axis`. */
function indexAxesInUpdates(indices: ShapedArray, { axis, batchDims }: IndexParams): number[] {
  return [...range(batchDims), ...range(indices.ndim - batchDims, axis)];
}

/**
 * Which updates land inside the operand (all of them under "clip"), as a
 * bool array of the updates' shape: dropped updates must not reach tangents
 * or cotangents.
 */
function updatesInBounds(operand: ShapedArray, indices: Value, updates: ShapedArray, params: ScatterParams): Value | null {
  if (params.mode === "clip") return null;
  const inside = and(ge(indices, 0), lt(indices, operand.shape[params.axis]));
  return broadcastInDim(inside, updates.shape, indexAxesInUpdates(indices.aval, params));
}

const maskOr = (mask: Value | null, x: Value, fallback: Value) => (mask === null ? x : select(mask, x, fallback));

/** The gather that reads, for each update, the operand position it goes to (clamped when out of range). */
function gatherAt(x: Value, indices: Value, { axis, batchDims }: ScatterParams): Value {
  if (x.shape[axis] === 0) {
    // nothing to read: every index is out of range, and every use of this gather masks those out
    const shape = [...x.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...x.shape.slice(axis + 1)];
    return fullOf(shape, 0, x.dtype);
  }
  return bind1(gatherP, [x, indices], { axis, batchDims });
}

/** A full array of one value in an aval's shape and dtype. */
const fullOf = (shape: readonly number[], value: number, dtype: ShapedArray["dtype"]) => broadcastInDim(scalar(value, dtype), shape, []);

type ScatterJvp = (primals: Value[], tangents: MaybeZero[], params: ScatterParams, out: Value) => MaybeZero;

function defineScatter(
  name: string,
  apiName: string,
  combine: ScatterCombine,
  rules: { jvp: ScatterJvp; transpose?: PrimitiveDefinition<ScatterParams>["transpose"] },
): Primitive<ScatterParams> {
  const prim: Primitive<ScatterParams> = definePrimitive<ScatterParams>(name, {
    params: { axis: "int", batchDims: "int", mode: ["clip", "drop"] },
    // setting and adding act on each part alike (PrimitiveRules.complexLanes); mul, min, max do not
    complexLanes: combine === "set" || combine === "add",
    abstractEval([operand, indices, updates], params) {
      checkScatter(apiName, operand, indices, updates, params);
      return [new ShapedArray(operand.shape, operand.dtype, operand.weakType && updates.weakType)];
    },
    lower: ([operand, indices], params) => ({
      kind: "routine",
      routine: "scatter",
      params: { ...indexRoutineParams(operand, indices, params), combine, drop: params.mode === "drop" },
    }),
    jvp(primals, tangents, params) {
      const out = bind1(prim, primals, params);
      const [to, , tu] = tangents;
      if ((isZero(to) && isZero(tu)) || !isFloat(out.dtype)) return [[out], [new Zero(out.aval.strong())]];
      return [[out], [rules.jvp(primals, tangents, params, out)]];
    },
    transpose: rules.transpose,
    batch(args, dims, { axis, batchDims, mode }) {
      const size = batchSize(args, dims);
      const [operand, indices, updates] = args.map((a, i) => toFront(a, dims[i], size));
      return [[bind1(prim, [operand, indices, updates], { axis: axis + 1, batchDims: batchDims + 1, mode })], [0]];
    },
  });
  return prim;
}

export const scatterAddP: Primitive<ScatterParams> = defineScatter("scatter_add", "scatterAdd", "add", {
  jvp: ([, indices], [to, , tu], params) => {
    if (isZero(tu)) return to;
    return bind1(scatterAddP, [instantiate(to), indices, tu], params);
  },
  transpose([ct], [operand, indices, updates], params) {
    if (isUndefined(indices)) throw new Error("scatter_add is not linear in its indices");
    const ctOperand = isUndefined(operand) && !isZero(ct) ? ct : new Zero(avalOf(operand));
    let ctUpdates: MaybeZero = new Zero(avalOf(updates));
    if (isUndefined(updates) && !isZero(ct)) {
      // a dropped update never reached the output, so its cotangent is zero
      const mask = updatesInBounds(ct.aval, indices, updates.aval, params);
      ctUpdates = maskOr(mask, gatherAt(ct, indices, params), zerosOf(updates.aval.strong()));
    }
    return [ctOperand, new Zero(indices.aval), ctUpdates];
  },
});

/**
 * set: the tangent is the tangent of whichever value ends up in each
 * position, found by scattering the updates' ids with the same rule (the
 * last in-range update wins) and gathering them back, as JAX's scatter jvp.
 * It is written with scatter_add and select, whose transposes give the gradient.
 */
export const scatterP: Primitive<ScatterParams> = defineScatter("scatter", "scatter", "set", {
  jvp([operand, indices, updates], [to, , tu], params) {
    const ids = broadcastInDim(
      reshape(iota("int32", sizeOf(indices.shape.slice(params.batchDims))), indices.shape.slice(params.batchDims)),
      updates.shape,
      range(indices.ndim - params.batchDims, params.axis),
    );
    const winner = bind1(scatterP, [fullOf(operand.shape, -1, "int32"), indices, ids], params);
    const wins = eq(gatherAt(winner, indices, params), ids);
    const zeroU = zerosOf(updates.aval.strong());
    const placed = bind1(scatterAddP, [zerosOf(operand.aval.strong()), indices, select(wins, instantiate(tu), zeroU)], params);
    return select(ge(winner, 0), placed, instantiate(to));
  },
});

/**
 * mul: linear in the operand; in the updates, each update's partial is the
 * operand times the product of the other updates at its position. That
 * product is computed without dividing by zero: with Z zeros among them,
 * it is (product of the nonzero ones) / u when Z = 0, the product of the
 * nonzero ones for the single zero when Z = 1, and 0 otherwise. (JAX
 * implements only unique indices here; this is the same value there.)
 */
export const scatterMulP: Primitive<ScatterParams> = defineScatter("scatter_mul", "scatterMul", "mul", {
  jvp([operand, indices, updates], [to, , tu], params) {
    const lin = isZero(to) ? null : bind1(scatterMulP, [to, indices, updates], params);
    if (isZero(tu)) return lin!;
    const isZeroU = eq(updates, 0);
    const nonzero = select(isZeroU, scalar(1, updates.dtype), updates);
    const zerosAt = gatherAt(
      bind1(scatterAddP, [fullOf(operand.shape, 0, "int32"), indices, convert(isZeroU, "int32")], params),
      indices,
      params,
    );
    const nonzeroProduct = gatherAt(bind1(scatterMulP, [fullOf(operand.shape, 1, operand.dtype), indices, nonzero], params), indices, params);
    const others = select(
      eq(zerosAt, 0),
      div(nonzeroProduct, nonzero),
      select(and(isZeroU, eq(zerosAt, 1)), nonzeroProduct, zerosOf(updates.aval.strong())),
    );
    const byUpdates = mul(operand, bind1(scatterAddP, [zerosOf(operand.aval.strong()), indices, mul(instantiate(tu), others)], params));
    return lin === null ? byUpdates : add(lin, byUpdates);
  },
  transpose([ct], [operand, indices, updates], params) {
    if (isUndefined(indices) || isUndefined(updates)) throw new Error("scatter_mul is linear in its operand only");
    if (!isUndefined(operand) || isZero(ct)) return [new Zero(avalOf(operand)), new Zero(indices.aval), new Zero(updates.aval)];
    return [bind1(scatterMulP, [ct, indices, updates], params), new Zero(indices.aval), new Zero(updates.aval)];
  },
});

/**
 * min/max: the tangent at a position is the mean of the tangents of every
 * value (the operand's and the in-range updates') equal to the result, as
 * JAX's scatter extremal jvp splits ties.
 */
const extremalJvp: ScatterJvp = ([operand, indices, updates], [to, , tu], params, out) => {
  const dtype = operand.dtype;
  const inBounds = updatesInBounds(operand.aval, indices, updates.aval, params);
  const wins = maskOr(inBounds, eq(updates, gatherAt(out, indices, params)), fullOf(updates.shape, 0, "bool"));
  const kept = eq(operand, out);
  const one = (shape: readonly number[]) => fullOf(shape, 1, dtype);
  const zero = (shape: readonly number[]) => fullOf(shape, 0, dtype);
  const count = add(
    bind1(scatterAddP, [zero(operand.shape), indices, select(wins, one(updates.shape), zero(updates.shape))], params),
    select(kept, one(operand.shape), zero(operand.shape)),
  );
  const fromUpdates = bind1(scatterAddP, [zero(operand.shape), indices, select(wins, instantiate(tu), zero(updates.shape))], params);
  // a NaN result matches nothing, so the count may be 0 there
  return div(add(select(kept, instantiate(to), zero(operand.shape)), fromUpdates), max(count, 1));
};
export const scatterMinP: Primitive<ScatterParams> = defineScatter("scatter_min", "scatterMin", "min", { jvp: extremalJvp });
export const scatterMaxP: Primitive<ScatterParams> = defineScatter("scatter_max", "scatterMax", "max", { jvp: extremalJvp });

export interface ScatterOptions extends IndexOptions {
  /** Out-of-range indices: "drop" ignores their updates (JAX's default), "clip" clamps them onto the axis. */
  mode?: ScatterMode;
}

/** JAX's general scatter: `dimensionNumbers` in place of `axis` (see `lax.scatterAdd`). */
export interface ScatterGeneralOptions {
  dimensionNumbers: ScatterDimensionNumbers;
  /**
   * Out-of-bounds windows: "fill" or "drop" (the default, JAX's FILL_OR_DROP)
   * and "promise_in_bounds" drop their updates; "clip" clamps their starts so the window fits.
   */
  mode?: GeneralMode;
}

function generalScatter(prim: Primitive<ScatterParams>, name: string, operand: Value, indices: ArrayLike, updates: ArrayLike, options: ScatterGeneralOptions): Value {
  const mode = options.mode ?? "fill";
  if (mode !== "clip" && mode !== "fill" && mode !== "drop" && mode !== "promise_in_bounds") {
    throw new ShapeError(`lax.${name}: mode must be "clip", "fill", "drop" or "promise_in_bounds", got ${JSON.stringify(mode)}`);
  }
  const u = asValue(updates, operand.dtype);
  if (u.dtype !== operand.dtype) throw new DTypeError(`lax.${name}: updates must have the operand's dtype ${operand.dtype}, got ${u.dtype}`);
  const positions = scatterGeneralPositions(`lax.${name}`, operand, indices, u, options.dimensionNumbers, mode);
  const flat = bind1(prim, [reshape(operand, [operand.size]), positions, reshape(u, [u.size])], { axis: 0, batchDims: 0, mode: "drop" });
  return reshape(flat, operand.shape);
}

function scatterWith(prim: Primitive<ScatterParams>, name: string) {
  return (operand: Value, indices: ArrayLike, updates: ArrayLike, options: ScatterOptions | ScatterGeneralOptions): Value => {
    operand = operandArg(`lax.${name}`, operand);
    options = optionsArg(`lax.${name}`, options);
    if (isGeneral(options)) return generalScatter(prim, name, operand, indices, updates, options as ScatterGeneralOptions);
    options = options as ScatterOptions;
    return bind1(prim, [operand, indexArray(name, indices), asValue(updates, operand.dtype)], {
      ...indexParams(name, operand, options),
      mode: options.mode ?? "drop",
    });
  };
}

/**
 * Adds `updates` into `operand` at `indices` along `axis` (repeated indices
 * accumulate; out-of-range ones are dropped unless `mode: "clip"`): the
 * transpose of `gather`, so `updates` has gather's output shape. With
 * `dimensionNumbers` in place of `axis` it is JAX's general scatter_add (so
 * are lax.scatter, scatterMul, scatterMin and scatterMax; see `ScatterGeneralOptions`).
 * @example
 * lax.scatterAdd(np.zeros([3]), np.array([0, 0, 2, 5], { dtype: "int32" }), np.ones([4]), { axis: 0 }); // [2, 0, 1]
 * // x.at[:, [3, 1]].add(1) in the general form
 * const dn = { updateWindowDims: [0], insertedWindowDims: [1], scatterDimsToOperandDims: [1] };
 * lax.scatterAdd(np.zeros([2, 4]), np.array([[3], [1]], { dtype: "int32" }), np.ones([2, 2]), { dimensionNumbers: dn }); // [[0, 1, 0, 1], [0, 1, 0, 1]]
 */
export const scatterAdd = scatterWith(scatterAddP, "scatterAdd");
/**
 * Writes `updates` into `operand` at `indices` along `axis`; with repeated
 * indices the last update wins; out-of-range ones are dropped unless `mode: "clip"`.
 * @example
 * lax.scatter(np.zeros([3]), np.array([0, 0, 5], { dtype: "int32" }), np.array([1, 2, 3]), { axis: 0 }); // [2, 0, 0]
 */
export const scatter = scatterWith(scatterP, "scatter");
/**
 * Multiplies `operand` at `indices` by `updates` (repeated indices multiply
 * each one in; out-of-range ones are dropped unless `mode: "clip"`).
 * @example
 * lax.scatterMul(np.ones([3]), np.array([0, 0], { dtype: "int32" }), np.array([2, 3]), { axis: 0 }); // [6, 1, 1]
 */
export const scatterMul = scatterWith(scatterMulP, "scatterMul");
/**
 * The minimum of `operand` and every update at each position (out-of-range updates are dropped unless `mode: "clip"`).
 * @example
 * lax.scatterMin(np.full([2], 5), np.array([0, 0], { dtype: "int32" }), np.array([3, 1]), { axis: 0 }); // [1, 5]
 */
export const scatterMin = scatterWith(scatterMinP, "scatterMin");
/**
 * The maximum of `operand` and every update at each position (out-of-range updates are dropped unless `mode: "clip"`).
 * @example
 * lax.scatterMax(np.zeros([2]), np.array([1, 1], { dtype: "int32" }), np.array([3, 1]), { axis: 0 }); // [0, 3]
 */
export const scatterMax = scatterWith(scatterMaxP, "scatterMax");

// ---- dynamic_slice ----------------------------------------------------------------------

function checkStarts(name: string, operand: ShapedArray, starts: ShapedArray[]) {
  if (starts.length !== operand.ndim || starts.some((s) => s.ndim !== 0 || s.dtype !== "int32")) {
    throw new ShapeError(
      `lax.${name}: needs one 0-d int32 start index per axis of the operand ${operand}, got ${starts.length} ` +
        `(${starts.map(String).join(", ")})`,
    );
  }
}

type SliceParams = { sizes: number[] };
export const dynamicSliceP: Primitive<SliceParams> = definePrimitive<SliceParams>("dynamic_slice", {
  // pure data movement: complex operands move as their float pairs (PrimitiveRules.complexLanes)
  complexLanes: true,
  params: { sizes: "ints" },
  abstractEval([operand, ...starts], { sizes }) {
    checkStarts("dynamicSlice", operand, starts);
    if (sizes.length !== operand.ndim || sizes.some((s, i) => !Number.isInteger(s) || s < 0 || s > operand.shape[i])) {
      throw new ShapeError(`lax.dynamicSlice: slice sizes ${JSON.stringify(sizes)} do not fit the operand ${operand} (need 0 <= size <= dim on every axis)`);
    }
    return [new ShapedArray(sizes, operand.dtype, operand.weakType)];
  },
  lower: (_avals, { sizes }) => ({ kind: "routine", routine: "dynamic_slice", params: { sizes } }),
  jvp([operand, ...starts], [t], params) {
    const out = bind1(dynamicSliceP, [operand, ...starts], params);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : bind1(dynamicSliceP, [t, ...starts], params)]];
  },
  transpose([ct], [operand, ...starts]) {
    const startVals = starts.map((s) => {
      if (isUndefined(s)) throw new Error("dynamic_slice is not linear in its start indices");
      return s;
    });
    const aval = avalOf(operand);
    const zeroStarts = startVals.map((s) => new Zero(s.aval));
    if (!isUndefined(operand) || isZero(ct)) return [new Zero(aval), ...zeroStarts];
    return [updateSliceAt(zerosOf(aval.strong()), ct, startVals), ...zeroStarts];
  },
  batch([operand, ...starts], [bo, ...bs], { sizes }) {
    const size = batchSize([operand, ...starts], [bo, ...bs]);
    const x = toFront(operand, bo, size);
    const shape = x.shape.slice(1);
    const batched = bs.map((b) => b !== null);
    // slice the axes with unbatched starts at once; keep the others whole for the gathers below
    let out = sliceAt(
      x,
      [0, ...starts.map((s, d) => (batched[d] ? 0 : s))],
      [size, ...sizes.map((n, d) => (batched[d] ? shape[d] : n))],
    );
    starts.forEach((s, d) => {
      if (!batched[d]) return;
      const start = clamp(0, moveAxis(s, bs[d]!, 0), shape[d] - sizes[d]);
      const indices = add(broadcastInDim(start, [size, sizes[d]], [0]), broadcastInDim(iota("int32", sizes[d]), [size, sizes[d]], [1]));
      out = bind1(gatherP, [out, indices], { axis: d + 1, batchDims: 1 });
    });
    return [[out], [0]];
  },
});

function startValues(name: string, starts: readonly ArrayLike[]): Value[] {
  return listArg<ArrayLike>(`lax.${name}`, "starts", starts).map((s) => indexArray(name, s));
}

/**
 * Negative starts count from the end, as lax.dynamic_slice's
 * allow_negative_indices: -1 is the last position (then clamped so that
 * the window fits), and a start still negative after that clamps to 0.
 * Done here, before the primitive, so that the primitive's rules see
 * starts that a second pass would leave alone.
 */
function fromEnd(name: string, operand: Value, starts: readonly ArrayLike[]): Value[] {
  operand = operandArg(`lax.${name}`, operand);
  starts = listArg<ArrayLike>(`lax.${name}`, "starts", starts);
  if (starts.length !== operand.ndim) {
    throw new ShapeError(`lax.${name}: needs one start index per axis of the operand ${operand.aval}, got ${starts.length}`);
  }
  return starts.map((s, d) => {
    const n = operand.shape[d];
    if (typeof s === "number") return indexArray(name, s < 0 ? Math.max(s + n, 0) : s);
    const v = indexArray(name, s);
    return select(lt(v, 0), max(add(v, n), 0), v);
  });
}

/** dynamic_slice with starts as given (the rules' own starts are already non-negative or clamp to 0). */
const sliceAt = (operand: Value, starts: readonly ArrayLike[], sizes: readonly number[]) =>
  bind1(dynamicSliceP, [operand, ...startValues("dynamicSlice", starts)], { sizes: shapeArg("lax.dynamicSlice", sizes, "sizes") });
const updateSliceAt = (operand: Value, update: Value, starts: readonly ArrayLike[]) =>
  bind1(dynamicUpdateSliceP, [operand, update, ...startValues("dynamicUpdateSlice", starts)], {});

/**
 * The window of `operand` of shape `sizes` at `starts` (0-d int32 arrays or
 * numbers, one per axis), as JAX: a negative start counts from the end, then
 * starts are clamped so that the window fits.
 * @example
 * lax.dynamicSlice(np.arange(5), [np.array(3, { dtype: "int32" })], [2]); // [3, 4]
 * lax.dynamicSlice(np.arange(5), [-3], [2]);                               // [2, 3]
 */
export function dynamicSlice(operand: Value, starts: readonly ArrayLike[], sizes: readonly number[]): Value {
  return sliceAt(operand, fromEnd("dynamicSlice", operand, starts), sizes);
}

// ---- dynamic_update_slice ---------------------------------------------------------------

export const dynamicUpdateSliceP: Primitive = definePrimitive("dynamic_update_slice", {
  complexLanes: true,
  params: {},
  abstractEval([operand, update, ...starts]) {
    checkStarts("dynamicUpdateSlice", operand, starts);
    if (update.dtype !== operand.dtype || update.ndim !== operand.ndim || update.shape.some((n, i) => n > operand.shape[i])) {
      throw new ShapeError(
        `lax.dynamicUpdateSlice: the update ${update} must have the operand's dtype and rank and fit inside the operand ${operand}`,
      );
    }
    return [new ShapedArray(operand.shape, operand.dtype, operand.weakType && update.weakType)];
  },
  lower: () => ({ kind: "routine", routine: "dynamic_update_slice", params: {} }),
  jvp([operand, update, ...starts], [to, tu]) {
    const out = bind1(dynamicUpdateSliceP, [operand, update, ...starts], {});
    if (isZero(to) && isZero(tu)) return [[out], [new Zero(out.aval.strong())]];
    return [[out], [bind1(dynamicUpdateSliceP, [instantiate(to), instantiate(tu), ...starts], {})]];
  },
  transpose([ct], [operand, update, ...starts]) {
    const startVals = starts.map((s) => {
      if (isUndefined(s)) throw new Error("dynamic_update_slice is not linear in its start indices");
      return s;
    });
    const updateAval = avalOf(update);
    const zeroStarts = startVals.map((s) => new Zero(s.aval));
    if (isZero(ct)) return [new Zero(avalOf(operand)), new Zero(updateAval), ...zeroStarts];
    const ctOperand = isUndefined(operand) ? updateSliceAt(ct, zerosOf(updateAval.strong()), startVals) : new Zero(operand.aval);
    const ctUpdate = isUndefined(update) ? sliceAt(ct, startVals, updateAval.shape) : new Zero(update.aval);
    return [ctOperand, ctUpdate, ...zeroStarts];
  },
  batch([operand, update, ...starts], [bo, bu, ...bs]) {
    const size = batchSize([operand, update, ...starts], [bo, bu, ...bs]);
    const x = toFront(operand, bo, size);
    const u = toFront(update, bu, size);
    if (bs.every((b) => b === null)) return [[updateSliceAt(x, u, [0, ...starts])], [0]];
    if (u.size === 0) return [[x], [0]];
    // batched starts: place the update with one gather per axis, then select it inside the window
    const shape = x.shape.slice(1);
    let placed = u;
    let inside: Value | undefined;
    starts.forEach((s, d) => {
      const n = shape[d];
      const m = u.shape[d + 1];
      const start = clamp(0, bs[d] === null ? broadcastInDim(s, [size], []) : moveAxis(s, bs[d]!, 0), n - m);
      const rel = sub(broadcastInDim(iota("int32", n), [size, n], [1]), broadcastInDim(start, [size, n], [0]));
      placed = bind1(gatherP, [placed, clamp(0, rel, m - 1)], { axis: d + 1, batchDims: 1 });
      const inAxis = broadcastInDim(and(ge(rel, 0), lt(rel, m)), [size, ...shape], [0, d + 1]);
      inside = inside === undefined ? inAxis : and(inside, inAxis);
    });
    return [[select(inside!, placed, x)], [0]];
  },
});

/**
 * `operand` with `update` written at `starts` (0-d int32 arrays or numbers,
 * one per axis), as JAX: a negative start counts from the end, then starts
 * are clamped so that the update fits.
 * @example
 * lax.dynamicUpdateSlice(np.zeros([4]), np.ones([2]), [np.array(1, { dtype: "int32" })]); // [0, 1, 1, 0]
 * lax.dynamicUpdateSlice(np.zeros([4]), np.ones([2]), [-1]);                               // [0, 0, 1, 1]
 */
export function dynamicUpdateSlice(operand: Value, update: ArrayLike, starts: readonly ArrayLike[]): Value {
  operand = operandArg("lax.dynamicUpdateSlice", operand);
  return updateSliceAt(operand, asValue(update, operand.dtype), fromEnd("dynamicUpdateSlice", operand, starts));
}


// ---- StableHLO lowerings (exportStableHLO) ---------------------------------------------------
//
// jaxon's gather/scatter index one axis with scalar indices after `batchDims`
// shared leading axes: StableHLO's dimension numbers with an implicit
// trailing index vector, the shared axes as operand/indices batching dims.

function indexDims(operand: ShapedArray, indices: ShapedArray, { axis, batchDims }: IndexParams) {
  const k = indices.ndim - batchDims;
  const outNdim = operand.ndim - 1 + k;
  return {
    window: range(outNdim).filter((d) => (d >= batchDims && d < axis) || d >= axis + k),
    batching: range(batchDims),
  };
}

lowersToStablehlo(gatherP, (ctx, [operand, indices], params, [oa, ia], [o]) => {
  const { window, batching } = indexDims(oa, ia, params);
  return [
    ctx.b.op1("stablehlo.gather", [operand, indices], { shape: o.shape, dtype: o.dtype }, {
      dimension_numbers: attr.struct("gather", {
        offset_dims: window,
        collapsed_slice_dims: [params.axis],
        operand_batching_dims: batching,
        start_indices_batching_dims: batching,
        start_index_map: [params.axis],
        index_vector_dim: ia.ndim,
      }),
      slice_sizes: attr.i64s(oa.shape.map((d, i) => (i === params.axis || i < params.batchDims ? 1 : d))),
      indices_are_sorted: attr.bool(false),
    }),
  ];
});

for (const [prim, combine] of [[scatterP, null], [scatterAddP, "stablehlo.add"], [scatterMulP, "stablehlo.multiply"], [scatterMinP, "stablehlo.minimum"], [scatterMaxP, "stablehlo.maximum"]] as const) {
  lowersToStablehlo(prim, (ctx, [operand, indices, updates], params, [oa, ia], [o]) => {
    const { window, batching } = indexDims(oa, ia, params);
    // "clip" clamps the indices onto the axis; "drop" is XLA's own out-of-bounds rule
    if (params.mode === "clip") {
      const hi = full(ctx, Math.max(oa.shape[params.axis] - 1, 0), [], "int32");
      indices = ctx.b.op1("stablehlo.clamp", [full(ctx, 0, [], "int32"), indices, hi], indices.type);
    }
    const s = { shape: [], dtype: o.dtype };
    const logic = o.dtype === "bool" ? { "stablehlo.add": "stablehlo.or", "stablehlo.multiply": "stablehlo.and", "stablehlo.maximum": "stablehlo.or", "stablehlo.minimum": "stablehlo.and" } : null;
    const body = ctx.b.region([s, s], ([a, b]) => [combine === null ? b : ctx.b.op1(logic ? logic[combine] : combine, [a, b], s)]);
    return ctx.b.op("stablehlo.scatter", [operand, indices, updates], [{ shape: o.shape, dtype: o.dtype }], {
      scatter_dimension_numbers: attr.struct("scatter", {
        update_window_dims: window,
        inserted_window_dims: [params.axis],
        input_batching_dims: batching,
        scatter_indices_batching_dims: batching,
        scatter_dims_to_operand_dims: [params.axis],
        index_vector_dim: ia.ndim,
      }),
      indices_are_sorted: attr.bool(false),
      unique_indices: attr.bool(false),
    }, [body]);
  });
}

lowersToStablehlo(dynamicSliceP, (ctx, [x, ...starts], { sizes }, _a, [o]) => [
  ctx.b.op1("stablehlo.dynamic_slice", [x, ...starts], { shape: o.shape, dtype: o.dtype }, { slice_sizes: attr.i64s(sizes) }),
]);
lowersToStablehlo(dynamicUpdateSliceP, (ctx, [x, update, ...starts], _p, _a, [o]) => [
  ctx.b.op1("stablehlo.dynamic_update_slice", [x, update, ...starts], { shape: o.shape, dtype: o.dtype }),
]);

/**
 * Indexing primitives: gather and scatter_add (one indexed axis, with leading
 * batch axes, as tf.gather's batch_dims), dynamic_slice and
 * dynamic_update_slice (JAX's semantics: start indices are clamped so that the
 * window fits). Out-of-range gather/scatter indices are clamped too.
 *
 * gather and scatter_add are each other's transposes; so are dynamic_slice
 * and dynamic_update_slice. Batching with batched indices or starts rewrites
 * the operation as gathers with one more batch axis.
 */
import { listArg, shapeArg } from "../static-args.js";
import type { ArrayLike } from "../array-methods.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape, normalizeAxis, shapeEq, sizeOf } from "../shape.js";
import type { Primitive, Value } from "../trace/core.js";
import { add, and, asValue, clamp, convert, ge, instantiate, lt, operandArg, select, sub, zerosOf } from "./elementwise.js";
import { bind1, definePrimitive, isUndefined, isZero, ShapedArray, Zero } from "./primitive.js";
import { broadcastInDim, iota, moveAxis } from "./shape.js";

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
function gatherShape(name: string, operand: ShapedArray, indices: ShapedArray, { axis, batchDims }: IndexParams): number[] {
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
  if (operand.shape[axis] === 0 && indices.size > 0) {
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

export const gatherP: Primitive<IndexParams> = definePrimitive<IndexParams>("gather", {
  params: { axis: "int", batchDims: "int" },
  abstractEval([operand, indices], params) {
    return [new ShapedArray(gatherShape("gather", operand, indices, params), operand.dtype, operand.weakType)];
  },
  lower: ([operand, indices], params) => ({ kind: "routine", routine: "gather", params: indexRoutineParams(operand, indices, params) }),
  jvp([operand, indices], [t], params) {
    const out = bind1(gatherP, [operand, indices], params);
    return [[out], [isZero(t) ? new Zero(out.aval.strong()) : bind1(gatherP, [t, indices], params)]];
  },
  transpose([ct], [operand, indices], params) {
    if (isUndefined(indices)) throw new Error("gather is not linear in its indices");
    const aval = avalOf(operand);
    if (!isUndefined(operand) || isZero(ct)) return [new Zero(aval), new Zero(indices.aval)];
    return [bind1(scatterAddP, [zerosOf(aval.strong()), indices, ct], params), new Zero(indices.aval)];
  },
  batch([operand, indices], [bo, bi], { axis, batchDims }) {
    if (batchDims === 0 && bi === null) {
      return [[bind1(gatherP, [moveAxis(operand, bo!, 0), indices], { axis: axis + 1, batchDims: 0 })], [0]];
    }
    if (batchDims === 0 && bo === null) {
      // the indices' axes replace the operand's axis `axis`, batch axis included
      return [[bind1(gatherP, [operand, indices], { axis, batchDims: 0 })], [axis + bi!]];
    }
    const size = batchSize([operand, indices], [bo, bi]);
    const out = bind1(gatherP, [toFront(operand, bo, size), toFront(indices, bi, size)], { axis: axis + 1, batchDims: batchDims + 1 });
    return [[out], [0]];
  },
});

function indexArray(name: string, indices: ArrayLike): Value {
  const idx = asValue(indices, "int32");
  if (idx.dtype === "uint32") return convert(idx, "int32");
  if (idx.dtype !== "int32") throw new DTypeError(`lax.${name}: indices must be int32 or uint32, got ${idx.dtype}`);
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

/**
 * Takes entries of `operand` along `axis` (tf.gather with batch_dims):
 * the output's shape is `operand.shape[:axis] + indices.shape[batchDims:] + operand.shape[axis+1:]`.
 * Indices out of range are clamped to the axis.
 * @example
 * lax.gather(x, idx, { axis: 0 });                 // x[idx]
 * const rows = np.array([[1, 2, 3], [4, 5, 6]]);
 * lax.gather(rows, np.array([[2], [0]], { dtype: "int32" }), { axis: 1, batchDims: 1 }); // out[b, i] = rows[b, idx[b, i]]: [[3], [4]]
 */
export function gather(operand: Value, indices: ArrayLike, options: IndexOptions): Value {
  return bind1(gatherP, [operand, indexArray("gather", indices)], indexParams("gather", operand, options));
}

// ---- scatter_add ------------------------------------------------------------------------

export const scatterAddP: Primitive<IndexParams> = definePrimitive<IndexParams>("scatter_add", {
  params: { axis: "int", batchDims: "int" },
  abstractEval([operand, indices, updates], params) {
    const expected = gatherShape("scatterAdd", operand, indices, params);
    if (!shapeEq(expected, updates.shape) || updates.dtype !== operand.dtype) {
      throw new ShapeError(
        `lax.scatterAdd: updates ${updates} must have the operand's dtype and the shape ${fmtShape(expected)} that gathering ` +
          `operand ${operand} at indices ${indices} (axis ${params.axis}, batchDims ${params.batchDims}) gives`,
      );
    }
    return [new ShapedArray(operand.shape, operand.dtype, operand.weakType && updates.weakType)];
  },
  lower: ([operand, indices], params) => ({ kind: "routine", routine: "scatter_add", params: indexRoutineParams(operand, indices, params) }),
  jvp([operand, indices, updates], [to, , tu], params) {
    const out = bind1(scatterAddP, [operand, indices, updates], params);
    if (isZero(tu)) return [[out], [isZero(to) ? new Zero(out.aval.strong()) : to]];
    return [[out], [bind1(scatterAddP, [instantiate(to), indices, tu], params)]];
  },
  transpose([ct], [operand, indices, updates], params) {
    if (isUndefined(indices)) throw new Error("scatter_add is not linear in its indices");
    const ctOperand = isUndefined(operand) && !isZero(ct) ? ct : new Zero(avalOf(operand));
    const ctUpdates = isUndefined(updates) && !isZero(ct) ? bind1(gatherP, [ct, indices], params) : new Zero(avalOf(updates));
    return [ctOperand, new Zero(indices.aval), ctUpdates];
  },
  batch(args, dims, { axis, batchDims }) {
    const size = batchSize(args, dims);
    const [operand, indices, updates] = args.map((a, i) => toFront(a, dims[i], size));
    return [[bind1(scatterAddP, [operand, indices, updates], { axis: axis + 1, batchDims: batchDims + 1 })], [0]];
  },
});

/**
 * Adds `updates` into `operand` at `indices` along `axis` (repeated indices
 * accumulate): the transpose of `gather`, so `updates` has gather's output shape.
 * @example
 * lax.scatterAdd(np.zeros([3]), np.array([0, 0, 2], { dtype: "int32" }), np.ones([3]), { axis: 0, batchDims: 0 }); // [2, 0, 1]
 */
export function scatterAdd(operand: Value, indices: ArrayLike, updates: ArrayLike, options: IndexOptions): Value {
  return bind1(scatterAddP, [operand, indexArray("scatterAdd", indices), asValue(updates, operand.dtype)], indexParams("scatterAdd", operand, options));
}

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
    return [dynamicUpdateSlice(zerosOf(aval.strong()), ct, startVals), ...zeroStarts];
  },
  batch([operand, ...starts], [bo, ...bs], { sizes }) {
    const size = batchSize([operand, ...starts], [bo, ...bs]);
    const x = toFront(operand, bo, size);
    const shape = x.shape.slice(1);
    const batched = bs.map((b) => b !== null);
    // slice the axes with unbatched starts at once; keep the others whole for the gathers below
    let out = dynamicSlice(
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
 * The window of `operand` of shape `sizes` at `starts` (0-d int32 arrays or
 * numbers, one per axis), as JAX: starts are clamped so that the window fits.
 * @example
 * lax.dynamicSlice(np.arange(5), [np.array(3, { dtype: "int32" })], [2]); // [3, 4]
 */
export function dynamicSlice(operand: Value, starts: readonly ArrayLike[], sizes: readonly number[]): Value {
  operand = operandArg("lax.dynamicSlice", operand);
  return bind1(dynamicSliceP, [operand, ...startValues("dynamicSlice", starts)], { sizes: shapeArg("lax.dynamicSlice", sizes, "sizes") });
}

// ---- dynamic_update_slice ---------------------------------------------------------------

export const dynamicUpdateSliceP: Primitive = definePrimitive("dynamic_update_slice", {
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
    const ctOperand = isUndefined(operand) ? dynamicUpdateSlice(ct, zerosOf(updateAval.strong()), startVals) : new Zero(operand.aval);
    const ctUpdate = isUndefined(update) ? dynamicSlice(ct, startVals, updateAval.shape) : new Zero(update.aval);
    return [ctOperand, ctUpdate, ...zeroStarts];
  },
  batch([operand, update, ...starts], [bo, bu, ...bs]) {
    const size = batchSize([operand, update, ...starts], [bo, bu, ...bs]);
    const x = toFront(operand, bo, size);
    const u = toFront(update, bu, size);
    if (bs.every((b) => b === null)) return [[dynamicUpdateSlice(x, u, [0, ...starts])], [0]];
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
 * one per axis), as JAX: starts are clamped so that the update fits.
 * @example
 * lax.dynamicUpdateSlice(np.zeros([4]), np.ones([2]), [np.array(1, { dtype: "int32" })]); // [0, 1, 1, 0]
 */
export function dynamicUpdateSlice(operand: Value, update: ArrayLike, starts: readonly ArrayLike[]): Value {
  operand = operandArg("lax.dynamicUpdateSlice", operand);
  return bind1(dynamicUpdateSliceP, [operand, asValue(update, operand.dtype), ...startValues("dynamicUpdateSlice", starts)], {});
}


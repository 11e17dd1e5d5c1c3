/**
 * JAX's general gather and scatter (dimension numbers, slice sizes, modes),
 * written as a composition over jaxon's one-axis gather and scatter
 * primitives: for every output (or update) element the position in the
 * flattened operand is computed from the start indices (placed by
 * `startIndexMap`, clamped or masked per mode), the batching dims' iotas and
 * the slice offsets' iotas; then one 1-D gather (or scatter) of the flattened
 * operand does the work. No new primitive: grad, vmap, jit and WebGPU come
 * from the rules of the primitives underneath.
 *
 * The index vector dim is the last dim of the indices, as JAX's lax.gather
 * requires. The checks follow JAX's shape rules (`_gather_shape_rule`,
 * `_scatter_shape_rule`) and name the offending field.
 */
import { isInt } from "../dtype.js";
import { DTypeError, ShapeError } from "../errors.js";
import { fmtShape } from "../shape.js";
import { intArg, listArg } from "../static-args.js";
import type { Value } from "../trace/core.js";
import { add, and, clamp, convert, ge, le, mul, operandArg, select } from "./elementwise.js";
import { broadcastInDim, iota, reshape, slice } from "./shape.js";
import { stopGradient } from "./stop-gradient.js";
import { scalar } from "./primitive.js";

/** JAX's `GatherDimensionNumbers` (camelCase); the index vector dim is the last dim of the indices. */
export interface GatherDimensionNumbers {
  /** The output dims that hold the slice's (uncollapsed, unbatched) operand dims, sorted. */
  offsetDims: readonly number[];
  /** Operand dims whose slice size is 1 and that the output drops, sorted. */
  collapsedSliceDims: readonly number[];
  /** For each entry of an index vector, the operand dim it starts. */
  startIndexMap: readonly number[];
  /** Operand dims indexed in lockstep with `startIndicesBatchingDims` (slice size 1), sorted. Default none. */
  operandBatchingDims?: readonly number[];
  /** The indices' dims that pair with `operandBatchingDims`. Default none. */
  startIndicesBatchingDims?: readonly number[];
}

/** JAX's `ScatterDimensionNumbers` (camelCase); the index vector dim is the last dim of the indices. */
export interface ScatterDimensionNumbers {
  /** The updates' dims that hold the window's operand dims, sorted. */
  updateWindowDims: readonly number[];
  /** Operand dims of window size 1 that the updates leave out, sorted. */
  insertedWindowDims: readonly number[];
  /** For each entry of an index vector, the operand dim it starts. */
  scatterDimsToOperandDims: readonly number[];
  /** Operand dims indexed in lockstep with `scatterIndicesBatchingDims`, sorted. Default none. */
  operandBatchingDims?: readonly number[];
  /** The indices' dims that pair with `operandBatchingDims`. Default none. */
  scatterIndicesBatchingDims?: readonly number[];
}

/** The general modes: "fill" is JAX's FILL_OR_DROP ("drop" is accepted for scatters as the same). */
export type GeneralMode = "clip" | "fill" | "drop" | "promise_in_bounds";

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function dimsField(op: string, name: string, v: unknown, bound: number, sorted: boolean): number[] {
  const dims = listArg<unknown>(op, name, v ?? []).map((d) => intArg(op, name, d));
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] < 0 || dims[i] >= bound) throw new ShapeError(`${op}: ${name} ${JSON.stringify(dims)} must lie in [0, ${bound}), got ${dims[i]}`);
    if (dims.indexOf(dims[i]) !== i) throw new ShapeError(`${op}: ${name} ${JSON.stringify(dims)} repeats ${dims[i]}`);
    if (sorted && i > 0 && dims[i] < dims[i - 1]) throw new ShapeError(`${op}: ${name} ${JSON.stringify(dims)} must be sorted ascending`);
  }
  return dims;
}

function indicesArg(op: string, indices: unknown, startDims: number): Value {
  const idx = operandArg(op, indices as Value);
  if (!isInt(idx.dtype)) throw new DTypeError(`${op}: indices must have an integer dtype, got ${idx.dtype}`);
  if (idx.ndim < 1 || idx.shape[idx.ndim - 1] !== startDims) {
    throw new ShapeError(
      `${op}: the last dim of indices is the index vector dim and must have one entry per startIndexMap/scatterDimsToOperandDims entry (${startDims}), got indices of shape ${fmtShape(idx.shape)}`,
    );
  }
  return idx.dtype === "int32" ? idx : convert(idx, "int32");
}

/** The operand dims that the slice (window) keeps, checked: start map, batching pairs, disjointness. */
function checkCommon(
  op: string,
  operandShape: readonly number[],
  idx: Value,
  collapsed: number[],
  startMap: number[],
  opBatch: number[],
  idxBatch: number[],
  names: { collapsed: string; startMap: string; idxBatch: string },
): number[] {
  for (const d of collapsed) {
    if (opBatch.includes(d)) throw new ShapeError(`${op}: ${names.collapsed} and operandBatchingDims share dim ${d}`);
  }
  for (const d of startMap) {
    if (opBatch.includes(d)) throw new ShapeError(`${op}: ${names.startMap} ${JSON.stringify(startMap)} must not name the operand batching dim ${d}`);
  }
  if (idxBatch.length !== opBatch.length) {
    throw new ShapeError(`${op}: operandBatchingDims ${JSON.stringify(opBatch)} and ${names.idxBatch} ${JSON.stringify(idxBatch)} need one length`);
  }
  idxBatch.forEach((d, i) => {
    if (operandShape[opBatch[i]] !== idx.shape[d]) {
      throw new ShapeError(
        `${op}: operand batching dim ${opBatch[i]} (size ${operandShape[opBatch[i]]}) and indices batching dim ${d} (size ${idx.shape[d]}) must have one size`,
      );
    }
  });
  return range(operandShape.length).filter((d) => !collapsed.includes(d) && !opBatch.includes(d));
}

/**
 * The flat operand position of every element of an array of `shape` whose
 * `batchPositions` follow the indices' batch dims and whose `windowPositions`
 * follow the operand dims `windowOperandDims`; also whether each element's
 * start was in bounds (null when nothing can be out of bounds).
 */
function flatPositions(
  operandShape: readonly number[],
  idx: Value,
  startMap: number[],
  opBatch: number[],
  idxBatch: number[],
  sizes: readonly number[],
  shape: number[],
  batchPositions: number[],
  windowPositions: number[],
  windowOperandDims: number[],
): { flat: Value; inBounds: Value | null } {
  const k = idx.ndim - 1;
  const batchShape = idx.shape.slice(0, k);
  let flat: Value | null = null;
  let inBounds: Value | null = null;
  let stride = 1;
  for (let d = operandShape.length - 1; d >= 0; d--) {
    let coord: Value | null = null;
    const s = startMap.indexOf(d);
    if (s >= 0) {
      const start = reshape(slice(idx, [...batchShape.map(() => 0), s], [...batchShape, s + 1]), batchShape);
      const hi = operandShape[d] - sizes[d];
      const ok = and(ge(start, 0), le(start, hi));
      inBounds = inBounds === null ? ok : and(inBounds, ok);
      // clamp always: a clamped start keeps every flat position inside the operand; "fill" masks on top
      const clamped = clamp(0, start, hi);
      coord = broadcastInDim(clamped, shape, batchPositions);
    }
    const b = opBatch.indexOf(d);
    if (b >= 0) coord = iota("int32", shape, batchPositions[idxBatch[b]]);
    const w = windowOperandDims.indexOf(d);
    if (w >= 0 && sizes[d] > 1) {
      const offset = iota("int32", shape, windowPositions[w]);
      coord = coord === null ? offset : add(coord, offset);
    }
    if (coord !== null) {
      const term = stride === 1 ? coord : mul(coord, stride);
      flat = flat === null ? term : add(flat, term);
    }
    stride *= operandShape[d];
  }
  const zero = broadcastInDim(scalar(0, "int32"), shape, []);
  const mask = inBounds === null ? null : broadcastInDim(inBounds, shape, batchPositions);
  return { flat: flat ?? zero, inBounds: mask };
}

/** Checks a general gather and returns what its composition needs. */
export function gatherGeneralPlan(op: string, operand: Value, indices: unknown, dn: GatherDimensionNumbers, sliceSizes: unknown) {
  const r = operand.ndim;
  if (dn === null || typeof dn !== "object") throw new ShapeError(`${op}: dimensionNumbers must be an object of GatherDimensionNumbers fields`);
  const startMap = dimsField(op, "startIndexMap", dn.startIndexMap, r, false);
  const idx = indicesArg(op, indices, startMap.length);
  const sizes = listArg<unknown>(op, "sliceSizes", sliceSizes).map((s) => intArg(op, "sliceSizes", s));
  if (sizes.length !== r) throw new ShapeError(`${op}: sliceSizes ${JSON.stringify(sizes)} needs one size per operand dim (operand shape ${fmtShape(operand.shape)})`);
  sizes.forEach((s, d) => {
    if (s < 0 || s > operand.shape[d]) throw new ShapeError(`${op}: sliceSizes[${d}] = ${s} must lie in [0, ${operand.shape[d]}] (operand shape ${fmtShape(operand.shape)})`);
  });
  const collapsed = dimsField(op, "collapsedSliceDims", dn.collapsedSliceDims, r, true);
  const opBatch = dimsField(op, "operandBatchingDims", dn.operandBatchingDims, r, true);
  const idxBatch = dimsField(op, "startIndicesBatchingDims", dn.startIndicesBatchingDims, idx.ndim - 1, false);
  for (const d of [...collapsed, ...opBatch]) {
    if (sizes[d] !== 1) throw new ShapeError(`${op}: sliceSizes[${d}] must be 1 for a dim in collapsedSliceDims or operandBatchingDims, got ${sizes[d]}`);
  }
  const windowDims = checkCommon(op, operand.shape, idx, collapsed, startMap, opBatch, idxBatch, {
    collapsed: "collapsedSliceDims",
    startMap: "startIndexMap",
    idxBatch: "startIndicesBatchingDims",
  });
  const outRank = idx.ndim - 1 + windowDims.length;
  const offsetDims = dimsField(op, "offsetDims", dn.offsetDims, outRank, true);
  if (offsetDims.length !== windowDims.length) {
    throw new ShapeError(
      `${op}: offsetDims ${JSON.stringify(offsetDims)} needs one dim per operand dim that is neither collapsed nor batching (${windowDims.length}: ${JSON.stringify(windowDims)})`,
    );
  }
  const batchPositions = range(outRank).filter((p) => !offsetDims.includes(p));
  const shape = range(outRank);
  batchPositions.forEach((p, i) => (shape[p] = idx.shape[i]));
  offsetDims.forEach((p, i) => (shape[p] = sizes[windowDims[i]]));
  return { idx, startMap, opBatch, idxBatch, sizes, shape, batchPositions, windowPositions: offsetDims, windowDims };
}

/** JAX's general lax.gather as a 1-D gather of the flattened operand (see the module comment). */
export function gatherGeneral(
  op: string,
  operand: Value,
  indices: unknown,
  dn: GatherDimensionNumbers,
  sliceSizes: unknown,
  mode: GeneralMode,
  fillValue: number,
  gather1d: (flat: Value, positions: Value) => Value,
): Value {
  const p = gatherGeneralPlan(op, operand, indices, dn, sliceSizes);
  const { flat, inBounds } = flatPositions(
    operand.shape, p.idx, p.startMap, p.opBatch, p.idxBatch, p.sizes, p.shape, p.batchPositions, p.windowPositions, p.windowDims,
  );
  if (p.shape.some((s) => s === 0)) return broadcastInDim(scalar(0, operand.dtype), p.shape, []);
  const out = gather1d(reshape(operand, [operand.size]), flat);
  if (inBounds === null || mode === "clip") return out;
  if (mode === "promise_in_bounds") {
    // forward clamps (as XLA's gather); the transpose drops out-of-bounds slices (as XLA's scatter): no gradient there
    return select(inBounds, out, stopGradient(out));
  }
  return select(inBounds, out, broadcastInDim(scalar(fillValue, operand.dtype), p.shape, []));
}

/** Checks a general scatter and returns the flat positions of its updates. */
export function scatterGeneralPositions(op: string, operand: Value, indices: unknown, updates: Value, dn: ScatterDimensionNumbers, mode: GeneralMode) {
  const r = operand.ndim;
  if (dn === null || typeof dn !== "object") throw new ShapeError(`${op}: dimensionNumbers must be an object of ScatterDimensionNumbers fields`);
  const startMap = dimsField(op, "scatterDimsToOperandDims", dn.scatterDimsToOperandDims, r, false);
  const idx = indicesArg(op, indices, startMap.length);
  const inserted = dimsField(op, "insertedWindowDims", dn.insertedWindowDims, r, true);
  const opBatch = dimsField(op, "operandBatchingDims", dn.operandBatchingDims, r, true);
  const idxBatch = dimsField(op, "scatterIndicesBatchingDims", dn.scatterIndicesBatchingDims, idx.ndim - 1, false);
  const windowDims = checkCommon(op, operand.shape, idx, inserted, startMap, opBatch, idxBatch, {
    collapsed: "insertedWindowDims",
    startMap: "scatterDimsToOperandDims",
    idxBatch: "scatterIndicesBatchingDims",
  });
  const expectedRank = idx.ndim - 1 + windowDims.length;
  if (updates.ndim !== expectedRank) {
    throw new ShapeError(`${op}: updates must have rank ${expectedRank} (indices batch dims + window dims), got shape ${fmtShape(updates.shape)}`);
  }
  const windowPositions = dimsField(op, "updateWindowDims", dn.updateWindowDims, updates.ndim, true);
  if (windowPositions.length !== windowDims.length) {
    throw new ShapeError(
      `${op}: updateWindowDims ${JSON.stringify(windowPositions)} needs one dim per operand dim that is neither inserted nor batching (${windowDims.length}: ${JSON.stringify(windowDims)})`,
    );
  }
  const batchPositions = range(updates.ndim).filter((p) => !windowPositions.includes(p));
  batchPositions.forEach((p, i) => {
    if (updates.shape[p] !== idx.shape[i]) {
      throw new ShapeError(`${op}: updates dim ${p} (size ${updates.shape[p]}) must match indices dim ${i} (size ${idx.shape[i]}); updates ${fmtShape(updates.shape)}, indices ${fmtShape(idx.shape)}`);
    }
  });
  // the window size per operand dim: 1 where inserted or batching
  const sizes = operand.shape.map(() => 1);
  windowPositions.forEach((p, i) => {
    const d = windowDims[i];
    if (updates.shape[p] > operand.shape[d]) {
      throw new ShapeError(`${op}: updates dim ${p} (size ${updates.shape[p]}) is a window over operand dim ${d} and must not exceed its size ${operand.shape[d]}`);
    }
    sizes[d] = updates.shape[p];
  });
  const { flat, inBounds } = flatPositions(
    operand.shape, idx, startMap, opBatch, idxBatch, sizes, [...updates.shape], batchPositions, windowPositions, windowDims,
  );
  // dropped updates go to a position past the end, which the 1-D scatter drops
  const positions = inBounds === null || mode === "clip" ? flat : select(inBounds, flat, broadcastInDim(scalar(operand.size, "int32"), [...updates.shape], []));
  return reshape(positions, [updates.size]);
}
